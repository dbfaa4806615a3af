package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RateLimitPolicy through a real node and backend: 429s, headers, keys, path prefixes, changes, validation. */
class GatewayRateLimitTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private GatewayTestNode gw;
  private TestBackend backend;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    gw = GatewayTestNode.start(dir, Map.of());
    backend = TestBackend.start(vertx, "demo");
    gw.register(backend.registration("demo-1", "demo", "v1"));
    gw.awaitRoute("/api/demo/v1/hello");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (backend != null) {
      backend.close();
    }
    if (gw != null) {
      gw.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String policy(String name, String target, String key, String rate, int burst) {
    return """
        apiVersion: meridian.io/v1
        kind: RateLimitPolicy
        metadata: {name: NAME, namespace: default}
        spec: {targetRef: TARGET, key: 'KEY', rate: RATE, burst: BURST}
        """.replace("NAME", name).replace("TARGET", target).replace("KEY", key).replace("RATE", rate)
        .replace("BURST", Integer.toString(burst));
  }

  private static String header(HttpResponse<String> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  private static String errorCode(HttpResponse<String> r) {
    return new JsonObject(r.body()).getJsonObject("error").getString("code");
  }

  /** Waits until a request (with {@code headers}) is answered under a policy whose limit is {@code limit}; returns that answer. */
  private HttpResponse<String> awaitLimit(String path, String limit, String... headers) throws Exception {
    HttpResponse<String>[] last = new HttpResponse[1];
    gw.await(() -> "X-RateLimit-Limit " + limit + " on " + path + ", last " + (last[0] == null ? null : last[0].headers().map()),
        () -> {
          try {
            last[0] = gw.get(path, headers);
            return limit.equals(header(last[0], "x-ratelimit-limit"));
          } catch (Exception e) {
            return false;
          }
        });
    return last[0];
  }

  /**
   * Verifies that a client-ip policy lets the burst through with decreasing X-RateLimit-Remaining,
   * then answers 429 rate_limited (with Retry-After and the X-RateLimit headers) without calling
   * the backend, and lets requests through again once tokens came back.
   */
  @Test
  void theBurstPassesThenTooManyRequestsUntilTokensComeBack() throws Exception {
    gw.apply(policy("per-ip", "{service: demo}", "client-ip", "2", 10));
    HttpResponse<String> first = awaitLimit("/api/demo/v1/hello", "10");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(header(first, "x-ratelimit-remaining")).isEqualTo("9"); // the first request of a new bucket
    assertThat(header(first, "x-ratelimit-reset")).isEqualTo("1"); // one token used, 0.5 s to refill
    assertThat(header(first, "retry-after")).isNull();

    int passed = 1;
    HttpResponse<String> refused = null;
    for (int i = 0; i < 200 && refused == null; i++) {
      HttpResponse<String> r = gw.get("/api/demo/v1/hello");
      if (r.statusCode() == 429) {
        refused = r;
      } else {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "x-ratelimit-limit")).isEqualTo("10");
        assertThat(Integer.parseInt(header(r, "x-ratelimit-remaining"))).isBetween(0, 9);
        passed++;
      }
    }
    assertThat(refused).as("a 429 within 200 requests").isNotNull();
    assertThat(passed).isGreaterThanOrEqualTo(10); // tokens only come back, never fewer than the burst
    assertThat(errorCode(refused)).isEqualTo("rate_limited");
    assertThat(header(refused, "x-meridian-gateway")).isNotNull();
    assertThat(header(refused, "retry-after")).isEqualTo("1"); // the next token in at most 0.5 s, rounded up
    assertThat(header(refused, "x-ratelimit-limit")).isEqualTo("10");
    assertThat(header(refused, "x-ratelimit-remaining")).isEqualTo("0");
    assertThat(Integer.parseInt(header(refused, "x-ratelimit-reset"))).isBetween(1, 5); // 10 tokens at 2/s
    int calls = backend.requests.get();
    assertThat(gw.get("/api/demo/v1/hello").statusCode()).isEqualTo(429);
    assertThat(backend.requests.get()).isEqualTo(calls);

    gw.await("a request allowed again", () -> {
      try {
        return gw.get("/api/demo/v1/hello").statusCode() == 200;
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** Verifies that header keys give each value its own bucket, requests without the header sharing one. */
  @Test
  void aHeaderKeyLimitsEachValueSeparately() throws Exception {
    gw.apply(policy("per-user", "{service: demo}", "header:X-User", "0.01", 2)); // no refill during the test
    awaitLimit("/api/demo/v1/hello", "2", "X-User", "probe");
    for (String user : new String[] {"alice", "bob"}) {
      assertThat(gw.get("/api/demo/v1/hello", "X-User", user).statusCode()).isEqualTo(200);
      HttpResponse<String> second = gw.get("/api/demo/v1/hello", "X-User", user);
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(header(second, "x-ratelimit-remaining")).isEqualTo("0");
      HttpResponse<String> third = gw.get("/api/demo/v1/hello", "X-User", user);
      assertThat(third.statusCode()).as(user).isEqualTo(429);
      assertThat(Integer.parseInt(header(third, "retry-after"))).isBetween(99, 100);
    }
    assertThat(gw.get("/api/demo/v1/hello").statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/demo/v1/hello").statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/demo/v1/hello").statusCode()).isEqualTo(429); // no header: one shared bucket
    assertThat(gw.get("/api/demo/v1/hello", "X-User", "carol").statusCode()).isEqualTo(200);
  }

  /** Verifies that a service without a policy is never limited and gets no rate-limit headers. */
  @Test
  void aServiceWithoutAPolicyIsNeverLimited() throws Exception {
    TestBackend other = TestBackend.start(vertx, "other");
    try {
      gw.register(other.registration("other-1", "other", "v1"));
      gw.awaitRoute("/api/other/v1/x");
      gw.apply(policy("tight", "{service: demo}", "client-ip", "0.01", 1));
      awaitLimit("/api/demo/v1/hello", "1");
      assertThat(gw.get("/api/demo/v1/hello").statusCode()).isEqualTo(429);
      for (int i = 0; i < 50; i++) {
        HttpResponse<String> r = gw.get("/api/other/v1/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.toLowerCase().startsWith("x-ratelimit") || h.equalsIgnoreCase("retry-after"));
      }
    } finally {
      other.close();
    }
  }

  /**
   * Verifies that every policy whose pathPrefix matches applies, the longest prefix first (a
   * request it refuses is not charged to the service-wide one), and a prefix limits only its paths.
   */
  @Test
  void pathPrefixPoliciesAddToTheServiceWideOne() throws Exception {
    gw.apply(policy("slow", "{service: demo, pathPrefix: /api/demo/v1/slow}", "header:X-User", "0.01", 2));
    awaitLimit("/api/demo/v1/slow", "2", "X-User", "probe");
    gw.apply(policy("all", "{service: demo}", "header:X-User", "0.01", 5));
    awaitLimit("/api/demo/v1/fast", "5", "X-User", "probe");

    HttpResponse<String> slow = gw.get("/api/demo/v1/slow", "X-User", "alice");
    assertThat(slow.statusCode()).isEqualTo(200);
    assertThat(header(slow, "x-ratelimit-limit")).isEqualTo("2"); // the most restrictive one
    assertThat(header(slow, "x-ratelimit-remaining")).isEqualTo("1");
    assertThat(gw.get("/api/demo/v1/slow", "X-User", "alice").statusCode()).isEqualTo(200);
    HttpResponse<String> refused = gw.get("/api/demo/v1/slow/x", "X-User", "alice");
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(header(refused, "x-ratelimit-limit")).isEqualTo("2");
    // "all" was charged twice (not for the refused one): 3 left for other paths
    HttpResponse<String> fast = gw.get("/api/demo/v1/fast", "X-User", "alice");
    assertThat(header(fast, "x-ratelimit-limit")).isEqualTo("5");
    assertThat(header(fast, "x-ratelimit-remaining")).isEqualTo("2");
    assertThat(gw.get("/api/demo/v1/fast", "X-User", "alice").statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/demo/v1/fast", "X-User", "alice").statusCode()).isEqualTo(200);
    HttpResponse<String> exhausted = gw.get("/api/demo/v1/fast", "X-User", "alice");
    assertThat(exhausted.statusCode()).isEqualTo(429);
    assertThat(header(exhausted, "x-ratelimit-limit")).isEqualTo("5");
  }

  /** Verifies that raising a policy's rate lifts the limit for new requests (new buckets, full). */
  @Test
  void aChangedPolicyAppliesToNewRequests() throws Exception {
    gw.apply(policy("per-ip", "{service: demo}", "client-ip", "0.01", 1));
    awaitLimit("/api/demo/v1/hello", "1");
    assertThat(gw.get("/api/demo/v1/hello").statusCode()).isEqualTo(429);
    gw.apply(policy("per-ip", "{service: demo}", "client-ip", "1000", 1000));
    HttpResponse<String> r = awaitLimit("/api/demo/v1/hello", "1000");
    assertThat(r.statusCode()).isEqualTo(200);
    for (int i = 0; i < 20; i++) {
      assertThat(gw.get("/api/demo/v1/hello").statusCode()).isEqualTo(200);
    }
    // deleting it lifts the limit altogether
    assertThat(gw.admin("DELETE", "/api/v1/rules/RateLimitPolicy/default/per-ip", null, null).statusCode() / 100).isEqualTo(2);
    gw.await("no rate-limit headers", () -> {
      try {
        return header(gw.get("/api/demo/v1/hello"), "x-ratelimit-limit") == null;
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** Verifies that applying a RateLimitPolicy with unusable values is refused with 400. */
  @Test
  void badPoliciesAreRefusedAtApply() throws Exception {
    for (String bad : new String[] {
        policy("zero", "{service: demo}", "client-ip", "0", 1),
        policy("negative", "{service: demo}", "client-ip", "-1", 1),
        policy("cookie", "{service: demo}", "cookie:session", "1", 1),
        policy("empty-header", "{service: demo}", "header:", "1", 1),
        policy("no-burst", "{service: demo}", "client-ip", "1", 0),
        policy("scope", "{service: demo}", "client-ip", "1", 1).replace("burst: 1}", "burst: 1, scope: global}"),
        policy("prefix", "{service: demo, pathPrefix: api}", "client-ip", "1", 1)}) {
      HttpResponse<String> r = gw.admin("POST", "/api/v1/rules/apply", "application/yaml", bad);
      assertThat(r.statusCode()).as(bad + r.body()).isEqualTo(400);
    }
  }
}
