package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Circuit breakers in a real node: CircuitBreakerPolicy rules, fast 503s, recovery, the REST view and metrics. */
class GatewayBreakerTest extends GatewayComponentTest {

  private static String errorCode(HttpResponse<String> r) {
    if (!r.headers().firstValue("content-type").orElse("").startsWith("application/json")) {
      return null;
    }
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    return error == null ? null : error.getString("code");
  }

  @FunctionalInterface
  private interface Check {
    boolean test() throws Exception;
  }

  /** Waits (bounded) for {@code check}; an exception counts as "not yet". */
  private void until(String what, Check check) throws InterruptedException {
    gw.await(what, () -> {
      try {
        return check.test();
      } catch (Exception e) {
        return false;
      }
    });
  }

  private JsonArray breakers() throws Exception {
    HttpResponse<String> r = gw.admin("GET", "/api/v1/gateway/breakers", null, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("breakers");
  }

  private JsonObject breaker(String service, String subset) throws Exception {
    for (Object o : breakers()) {
      JsonObject b = (JsonObject) o;
      if (b.getString("service").equals(service) && java.util.Objects.equals(b.getString("subset"), subset)) {
        return b;
      }
    }
    return null;
  }

  /** Sends requests to {@code path} until the gateway answers circuit_open (at most 50); returns that answer. */
  private HttpResponse<String> untilOpen(String path, String... headers) throws Exception {
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> r = gw.get(path, headers);
      if ("circuit_open".equals(errorCode(r))) {
        return r;
      }
    }
    throw new AssertionError("the breaker did not open after 50 requests to " + path);
  }

  /**
   * Verifies that consecutive upstream 500s open the service's breaker, that it then answers
   * 503 circuit_open with Retry-After without calling the upstream, that the REST view and the
   * metrics show it open, and that after openDuration successful trials close it again.
   */
  @Test
  void failuresOpenTheBreakerAndSuccessfulTrialsCloseIt() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend demo = backend("demo");
    gw.register(demo.registration("demo-1", "demo", "v1"));
    gw.awaitRoute("/api/demo/x");
    gw.apply("""
        apiVersion: meridian.io/v1
        kind: CircuitBreakerPolicy
        metadata: {name: demo-cb, namespace: default}
        spec:
          targetRef: {service: demo}
          consecutiveFailures: 3
          openDuration: 3s
          halfOpenRequests: 2
        """);
    until("the breaker of demo", () -> breaker("demo", null) != null);
    JsonObject closed = breaker("demo", null);
    assertThat(closed.getString("state")).isEqualTo("closed");
    assertThat(closed.getString("tenant")).isEqualTo("default");
    assertThat(closed.getString("policy")).isEqualTo("demo-cb");

    demo.status = 500;
    int before = demo.requests.get();
    HttpResponse<String> open = untilOpen("/api/demo/x");
    assertThat(demo.requests.get() - before).as("upstream calls until it opened").isEqualTo(3);
    assertThat(open.statusCode()).isEqualTo(503);
    long retryAfter = Long.parseLong(open.headers().firstValue("retry-after").orElseThrow());
    assertThat(retryAfter).isBetween(1L, 3L);
    JsonObject state = breaker("demo", null);
    assertThat(state.getString("state")).isEqualTo("open");
    assertThat(state.getLong("failures")).isEqualTo(3);
    assertThat(state.getLong("requests")).isEqualTo(3);
    assertThat(state.getLong("retryAt")).isGreaterThanOrEqualTo(state.getLong("openedAt"));
    String metrics = gw.admin("GET", "/metrics", null, null).body();
    assertThat(Pattern.compile("meridian_gateway_breaker_state\\{[^}]*service=\"demo\"[^}]*\\} 1\\.0").matcher(metrics).find())
        .as(metrics).isTrue();
    assertThat(Pattern.compile("meridian_gateway_breaker_rejections_total\\{[^}]*service=\"demo\"[^}]*\\} [1-9]")
        .matcher(metrics).find()).as(metrics).isTrue();

    // while open, refusals never reach the upstream (a request after openDuration may be a trial, which does)
    int upstreamBefore = demo.requests.get();
    int passed = 0;
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = gw.get("/api/demo/x");
      if ("circuit_open".equals(errorCode(r))) {
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).isPresent();
      } else {
        passed++;
      }
    }
    assertThat(demo.requests.get() - upstreamBefore).isEqualTo(passed);

    // the upstream recovers: after openDuration, two successful trials close the breaker
    demo.status = 200;
    until("the breaker to close", () -> {
      gw.get("/api/demo/x");
      return "closed".equals(breaker("demo", null).getString("state"));
    });
    for (int i = 0; i < 5; i++) {
      assertThat(gw.get("/api/demo/x").statusCode()).isEqualTo(200);
    }
    metrics = gw.admin("GET", "/metrics", null, null).body();
    assertThat(Pattern.compile("meridian_gateway_breaker_state\\{[^}]*service=\"demo\"[^}]*\\} 0\\.0").matcher(metrics).find())
        .as(metrics).isTrue();

    // the policy is deleted: its breaker goes, with its gauge
    HttpResponse<String> deleted = gw.admin("DELETE", "/api/v1/rules/CircuitBreakerPolicy/default/demo-cb", null, null);
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
    until("the breaker to be dropped", () -> breakers().isEmpty());
    assertThat(gw.admin("GET", "/metrics", null, null).body()).doesNotContain("meridian_gateway_breaker_state{");
  }

  /**
   * Verifies that a policy on a subset breaks only requests routed to that subset (by a
   * VirtualService), that the failure-ratio trigger waits for the minimum of requests, and that
   * the other subset's failures keep reaching its upstream.
   */
  @Test
  void aSubsetPolicyBreaksOnlyItsSubset() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend v1 = backend("v1");
    TestBackend v2 = backend("v2");
    gw.register(v1.registration("demo-1", "demo", "v1"));
    gw.register(v2.registration("demo-2", "demo", "v2"));
    gw.awaitRoute("/api/demo/x");
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: demo, namespace: default}
        spec:
          host: demo
          subsets:
          - {name: stable, labels: {version: v1}}
          - {name: canary, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: demo, namespace: default}
        spec:
          hosts: [demo]
          http:
          - match: [{headers: {x-user: {exact: tester}}}]
            route: [{destination: {host: demo, subset: canary}}]
          - route: [{destination: {host: demo, subset: stable}}]
        ---
        apiVersion: meridian.io/v1
        kind: CircuitBreakerPolicy
        metadata: {name: demo-canary, namespace: default}
        spec:
          targetRef: {service: demo, subset: canary}
          failureRatio: 0.5
          minimumRequests: 6
          window: 1m
          openDuration: 1h
        """);
    until("the breaker of demo/canary", () -> breaker("demo", "canary") != null
        && new JsonObject(gw.get("/api/demo/x", "x-user", "tester").body()).getString("name").equals("v2"));
    v1.status = 500;
    v2.status = 500;
    int before = v2.requests.get();
    HttpResponse<String> open = untilOpen("/api/demo/x", "x-user", "tester");
    // the window holds the one success of the wait above: 1 of 2 failed is 50 %, but the
    // minimum of 6 requests is reached at the 5th failure
    assertThat(v2.requests.get() - before).as("failures until the minimum of requests").isEqualTo(5);
    assertThat(Long.parseLong(open.headers().firstValue("retry-after").orElseThrow())).isGreaterThan(3000);
    // the stable subset has no breaker: its failures keep reaching it
    int v1Before = v1.requests.get();
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = gw.get("/api/demo/x");
      assertThat(r.statusCode()).isEqualTo(500);
      assertThat(errorCode(r)).isNull();
    }
    assertThat(v1.requests.get() - v1Before).isEqualTo(10);
    int v2Requests = v2.requests.get();
    for (int i = 0; i < 5; i++) {
      assertThat(errorCode(gw.get("/api/demo/x", "x-user", "tester"))).isEqualTo("circuit_open");
    }
    assertThat(v2.requests.get()).isEqualTo(v2Requests);
    JsonObject canary = breaker("demo", "canary");
    assertThat(canary.getString("state")).isEqualTo("open");
    assertThat(canary.getLong("requests")).isEqualTo(6);
    assertThat(canary.getLong("failures")).isEqualTo(5);
    assertThat(canary.getLong("rejected")).isGreaterThanOrEqualTo(6);
    assertThat(breaker("demo", null)).isNull();

    // a route-table rebuild (another service appears) keeps the breaker and its state
    TestBackend other = backend("other");
    gw.register(other.registration("other-1", "other", "v1"));
    gw.awaitRoute("/api/other/x");
    assertThat(errorCode(gw.get("/api/demo/x", "x-user", "tester"))).isEqualTo("circuit_open");
    assertThat(breaker("demo", "canary").getLong("rejected")).isGreaterThanOrEqualTo(7);

    // changed settings replace it with a closed breaker
    gw.apply("""
        apiVersion: meridian.io/v1
        kind: CircuitBreakerPolicy
        metadata: {name: demo-canary, namespace: default}
        spec:
          targetRef: {service: demo, subset: canary}
          consecutiveFailures: 100
        """);
    until("the replaced breaker", () -> "closed".equals(breaker("demo", "canary").getString("state")));
    int reached = v2.requests.get();
    assertThat(gw.get("/api/demo/x", "x-user", "tester").statusCode()).isEqualTo(500);
    assertThat(v2.requests.get()).isEqualTo(reached + 1);
  }

  /** Verifies that connect failures count as failures (an instance whose port nothing listens on). */
  @Test
  void connectFailuresOpenTheBreaker() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of("MERIDIAN_GATEWAY_CONNECT_TIMEOUT", "1s"));
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    gw.register(new JsonObject().put("id", "gone-1")
        .put("endpoints", new JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
        .put("services", new JsonArray().add(new JsonObject().put("name", "gone").put("version", "v1").put("port", closed)))
        .encode());
    gw.apply("""
        apiVersion: meridian.io/v1
        kind: CircuitBreakerPolicy
        metadata: {name: gone-cb, namespace: default}
        spec:
          targetRef: {service: gone}
          consecutiveFailures: 2
          openDuration: 1h
        """);
    until("the breaker of gone", () -> breaker("gone", null) != null);
    assertThat(errorCode(gw.get("/api/gone/x"))).isEqualTo("upstream_connect_failed");
    assertThat(errorCode(gw.get("/api/gone/x"))).isEqualTo("upstream_connect_failed");
    HttpResponse<String> open = gw.get("/api/gone/x");
    assertThat(errorCode(open)).isEqualTo("circuit_open");
    assertThat(breaker("gone", null).getLong("failures")).isEqualTo(2);
  }
}
