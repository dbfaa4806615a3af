package io.meridian.gateway.impl.plugins.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The external-auth plugin in a real node: an ExternalAuthPolicy pointing at a real auth service
 * (a Vert.x server registered as service {@code auth}) in front of a real backend.
 */
class GatewayExtAuthTest extends AuthTestBase {

  /** The headers of each check the auth service received. */
  private final ConcurrentLinkedQueue<MultiMap> checks = new ConcurrentLinkedQueue<>();
  private HttpServer auth;

  @AfterEach
  void stopAuthService() throws Exception {
    if (auth != null) {
      auth.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** An auth service: {@code Authorization: Bearer good} is alice (200, {@code x-user}); anything else 401 with its own body. */
  private int startAuthService() throws Exception {
    auth = vertx.createHttpServer().requestHandler(req -> {
      checks.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()).add(":path", req.uri()));
      if ("Bearer good".equals(req.getHeader("authorization"))) {
        req.response().putHeader("x-user", "alice").putHeader("x-other", "not-copied").end();
      } else {
        req.response().setStatusCode(401).putHeader("content-type", "application/json").putHeader("www-authenticate", "Basic realm=\"t\"")
            .end(new JsonObject().put("denied", "who are you?").encode());
      }
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return auth.actualPort();
  }

  private void registerAuth(int port) throws Exception {
    gw.register(new JsonObject().put("id", "auth-1")
        .put("endpoints", new JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
        .put("services", new JsonArray().add(new JsonObject().put("name", "auth").put("port", port))).encode());
  }

  private static String policy(String failureMode, String cacheTTL) {
    return policy(failureMode, cacheTTL, "2s");
  }

  private static String policy(String failureMode, String cacheTTL, String timeout) {
    return """
        apiVersion: meridian.io/v1
        kind: ExternalAuthPolicy
        metadata: {name: demo-auth, namespace: default}
        spec:
          targetRef: {service: demo}
          authService: {host: auth, port: 8080, path: /check}
          forwardHeaders: [authorization]
          copyResponseHeaders: [x-user]
          timeout: %s
          failureMode: %s
          cacheTTL: %s
        """.formatted(timeout, failureMode, cacheTTL);
  }

  /**
   * Verifies that a request the auth service refuses gets the auth service's own status, headers and
   * body without reaching the backend; an accepted one reaches it with the copied {@code x-user}
   * (replacing the client's), the auth service having seen the forwarded header, method and URI; and an
   * identical request within the cache TTL does not ask the auth service again; refusals reach HTTP/2 clients too.
   */
  @Test
  void authServiceDecidesAndAllowingDecisionsAreCached() throws Exception {
    registerAuth(startAuthService());
    gw.apply(policy("deny", "1m"));
    awaitStatus(401);

    int before = backend.requests.get();
    HttpResponse<String> refused = gw.get("/api/demo/hello?q=1", "Authorization", "Bearer bad");
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(refused.body()).getString("denied")).isEqualTo("who are you?");
    assertThat(refused.headers().firstValue("www-authenticate")).contains("Basic realm=\"t\"");
    assertThat(refused.headers().firstValue("content-type")).contains("application/json");
    assertThat(backend.requests.get()).isEqualTo(before);
    MultiMap check = checks.stream().reduce((a, b) -> b).orElseThrow();
    assertThat(check.get(":path")).isEqualTo("/check");
    assertThat(check.get("authorization")).isEqualTo("Bearer bad");
    assertThat(check.get("x-forwarded-method")).isEqualTo("GET");
    assertThat(check.get("x-forwarded-uri")).isEqualTo("/api/demo/hello?q=1");

    HttpResponse<String> ok = gw.get("/api/demo/hello", "Authorization", "Bearer good", "x-user", "mallory");
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonObject seen = new JsonObject(ok.body()).getJsonObject("headers");
    assertThat(seen.getString("x-user")).isEqualTo("alice");
    assertThat(seen.containsKey("x-other")).isFalse();
    assertThat(seen.getString("authorization")).isEqualTo("Bearer good");

    int asked = checks.size();
    HttpResponse<String> again = gw.get("/api/demo/other", "Authorization", "Bearer good");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(again.body()).getJsonObject("headers").getString("x-user")).isEqualTo("alice");
    assertThat(checks.size()).isEqualTo(asked);
    // refusals are not cached
    assertThat(gw.get("/api/demo/hello", "Authorization", "Bearer bad").statusCode()).isEqualTo(401);
    assertThat(checks.size()).isEqualTo(asked + 1);

    // over HTTP/2 (h2c upgrade) the auth service's refusal arrives the same way
    java.net.http.HttpClient h2 = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2).build();
    HttpResponse<String> refusedH2 = h2.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + gw.gatewayPort + "/api/demo/hello")).header("Authorization", "Bearer bad")
        .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(refusedH2.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
    assertThat(refusedH2.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(refusedH2.body()).getString("denied")).isEqualTo("who are you?");
    assertThat(refusedH2.headers().firstValue("www-authenticate")).contains("Basic realm=\"t\"");
  }

  /** Verifies {@code targetRef.pathPrefix}: only requests whose path (as received) starts with it are checked. */
  @Test
  void pathPrefixLimitsThePolicy() throws Exception {
    registerAuth(startAuthService());
    gw.apply(policy("deny", "0s").replace("targetRef: {service: demo}", "targetRef: {service: demo, pathPrefix: /api/demo/private}"));
    gw.await("the policy on /api/demo/private", () -> {
      try {
        return gw.get("/api/demo/private/x").statusCode() == 401;
      } catch (Exception e) {
        return false;
      }
    });
    int asked = checks.size();
    assertThat(gw.get("/api/demo/hello").statusCode()).isEqualTo(200);
    assertThat(checks.size()).isEqualTo(asked);
    assertThat(gw.get("/api/demo/private/y", "Authorization", "Bearer good").statusCode()).isEqualTo(200);
    assertThat(checks.size()).isEqualTo(asked + 1);
  }

  /** Verifies that without a cache TTL every request asks the auth service. */
  @Test
  void withoutCacheTtlEveryRequestIsChecked() throws Exception {
    registerAuth(startAuthService());
    gw.apply(policy("deny", "0s"));
    awaitStatus(401);
    int asked = checks.size();
    for (int i = 0; i < 3; i++) {
      assertThat(gw.get("/api/demo/hello", "Authorization", "Bearer good").statusCode()).isEqualTo(200);
    }
    assertThat(checks.size()).isEqualTo(asked + 3);
  }

  /**
   * Verifies failureMode when the auth service cannot be reached (registered, nothing listening):
   * {@code deny} refuses with 403 {@code ext_authz_error} without calling the backend, {@code allow}
   * lets the request through without the copied header (the client's own {@code x-user} is dropped).
   */
  @Test
  void unreachableAuthServiceFollowsFailureMode() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    registerAuth(closed);
    gw.apply(policy("deny", "0s"));
    awaitStatus(403);
    int before = backend.requests.get();
    HttpResponse<String> denied = gw.get("/api/demo/hello", "Authorization", "Bearer good");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(denied.body()).getJsonObject("error").getString("code")).isEqualTo("ext_authz_error");
    assertThat(backend.requests.get()).isEqualTo(before);

    gw.apply(policy("allow", "0s"));
    awaitStatus(200);
    HttpResponse<String> allowed = gw.get("/api/demo/hello", "Authorization", "Bearer good", "x-user", "mallory");
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(allowed.body()).getJsonObject("headers").containsKey("x-user")).isFalse();
  }

  /** Verifies that an auth service that does not answer within the policy's timeout counts as unreachable (deny: 403). */
  @Test
  void silentAuthServiceTimesOut() throws Exception {
    auth = vertx.createHttpServer().requestHandler(req -> checks.add(req.headers()))
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    registerAuth(auth.actualPort());
    gw.apply(policy("deny", "0s", "300ms"));
    awaitStatus(403);
    HttpResponse<String> denied = gw.get("/api/demo/hello", "Authorization", "Bearer good");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(denied.body()).getJsonObject("error").getString("message")).contains("auth service");
    assertThat(checks).isNotEmpty(); // it was asked, and did not answer
  }
}
