package io.meridian.gateway.impl.plugins.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The JWT plugin in a real node: RequestAuthentication rules with inline and remote JWKS, against a real backend. */
class GatewayJwtTest extends AuthTestBase {

  static final String ISSUER = "https://issuer.example.com";

  private static String rule(String keys) {
    return """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: demo-jwt, namespace: default}
        spec:
          targetRef: {kind: Service, name: demo}
          jwtRules:
          - issuer: %s
            audiences: [demo-api]
            %s
            outputPayloadToHeader: x-jwt-payload
            outputClaimToHeaders:
            - {header: x-jwt-sub, claim: sub}
            - {header: x-jwt-groups, claim: groups}
        """.formatted(ISSUER, keys);
  }

  private HttpResponse<String> call(String token) throws Exception {
    return token == null ? gw.get("/api/demo/hello") : gw.get("/api/demo/hello", "Authorization", "Bearer " + token);
  }

  private void assertUnauthenticated(HttpResponse<String> r, String message) {
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer "));
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("unauthenticated");
    assertThat(error.getString("message")).contains(message);
  }

  /**
   * Verifies Istio's semantics with an inline JWKS: no token passes (without a claim header the client sent), a valid RS256 token passes with its
   * claims as headers (the Authorization header removed), and expired, wrong-audience, wrongly signed,
   * unknown-issuer and malformed tokens get 401 with {@code WWW-Authenticate: Bearer} without reaching the backend.
   */
  @Test
  void inlineJwksVerifiesTokensAndRefusesBadOnes() throws Exception {
    TestTokens key = TestTokens.rsa("k1");
    gw.apply(rule("jwks: '" + TestTokens.jwks(key) + "'"));
    awaitStatus(401, "Authorization", "Bearer not-a-token");

    HttpResponse<String> anonymous = gw.get("/api/demo/hello", "x-jwt-sub", "mallory");
    assertThat(anonymous.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(anonymous.body()).getJsonObject("headers").containsKey("x-jwt-sub")).isFalse();

    JsonObject claims = TestTokens.claims(ISSUER, "alice", "demo-api").put("groups", new io.vertx.core.json.JsonArray().add("a").add("b"));
    HttpResponse<String> ok = gw.get("/api/demo/hello", "Authorization", "Bearer " + key.sign(claims), "x-jwt-sub", "mallory");
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonObject seen = new JsonObject(ok.body()).getJsonObject("headers");
    assertThat(seen.getString("x-jwt-sub")).isEqualTo("alice");
    assertThat(seen.getString("x-jwt-groups")).isEqualTo("a,b");
    assertThat(seen.containsKey("authorization")).isFalse();
    JsonObject payload = new JsonObject(new String(Base64.getUrlDecoder().decode(seen.getString("x-jwt-payload")), StandardCharsets.UTF_8));
    assertThat(payload.getString("sub")).isEqualTo("alice");

    int before = backend.requests.get();
    long now = System.currentTimeMillis() / 1000;
    assertUnauthenticated(call(key.sign(TestTokens.claims(ISSUER, "alice", "demo-api").put("exp", now - 3600))), "expired");
    assertUnauthenticated(call(key.sign(TestTokens.claims(ISSUER, "alice", "other-api"))), "Audiences");
    TestTokens impostor = TestTokens.rsa("k1");
    assertUnauthenticated(call(impostor.sign(TestTokens.claims(ISSUER, "alice", "demo-api"))), "verification fails");
    assertUnauthenticated(call(key.sign(TestTokens.claims("https://elsewhere", "alice", "demo-api"))), "issuer");
    assertUnauthenticated(call(TestTokens.rsa("k9").sign(TestTokens.claims(ISSUER, "alice", "demo-api"))), "no key with kid k9");
    assertUnauthenticated(call("a.b"), "Header.Payload.Signature");
    assertThat(backend.requests.get()).isEqualTo(before);
  }

  /**
   * Verifies a {@code jwksUri}: keys are fetched from a real HTTP server (not per request), and a token
   * signed by a rotated-in key (unknown kid) makes the gateway fetch the JWKS again and accept it;
   * {@code forwardOriginalToken} keeps the Authorization header.
   */
  @Test
  void remoteJwksIsFetchedCachedAndRefetchedForANewKey() throws Exception {
    TestTokens first = TestTokens.rsa("k1");
    TestTokens second = TestTokens.ec("k2");
    AtomicReference<String> served = new AtomicReference<>(TestTokens.jwks(first));
    AtomicInteger fetches = new AtomicInteger();
    HttpServer issuer = vertx.createHttpServer().requestHandler(req -> {
      fetches.incrementAndGet();
      req.response().putHeader("content-type", "application/json").end(served.get());
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      gw.apply(rule("jwksUri: http://127.0.0.1:" + issuer.actualPort() + "/jwks.json\n    forwardOriginalToken: true"));
      awaitStatus(401, "Authorization", "Bearer not-a-token");

      String token = first.sign(TestTokens.claims(ISSUER, "bob", "demo-api"));
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> ok = call(token);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonObject seen = new JsonObject(ok.body()).getJsonObject("headers");
        assertThat(seen.getString("x-jwt-sub")).isEqualTo("bob");
        assertThat(seen.getString("authorization")).isEqualTo("Bearer " + token);
      }
      int afterFirst = fetches.get();
      assertThat(afterFirst).isEqualTo(1); // when the rule was compiled, never per request

      served.set(TestTokens.jwks(first, second));
      HttpResponse<String> rotated = call(second.sign(TestTokens.claims(ISSUER, "carol", "demo-api")));
      assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
      assertThat(new JsonObject(rotated.body()).getJsonObject("headers").getString("x-jwt-sub")).isEqualTo("carol");
      assertThat(fetches.get()).isEqualTo(afterFirst + 1);

      // another unknown key right after: not fetched again (rate-limited), refused
      assertUnauthenticated(call(TestTokens.rsa("k3").sign(TestTokens.claims(ISSUER, "dave", "demo-api"))), "no key with kid k3");
      assertThat(fetches.get()).isEqualTo(afterFirst + 1);
    } finally {
      issuer.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Verifies that while the JWKS cannot be fetched (the issuer answers 503), tokens are refused with 401
   * naming the failed fetch (requests without a token still pass), and that once the issuer recovers the
   * keys are fetched again without a rule change and the same token passes.
   */
  @Test
  void unreachableJwksRefusesTokensUntilItRecovers() throws Exception {
    TestTokens key = TestTokens.rsa("k1");
    java.util.concurrent.atomic.AtomicBoolean up = new java.util.concurrent.atomic.AtomicBoolean();
    HttpServer issuer = vertx.createHttpServer().requestHandler(req -> {
      if (up.get()) {
        req.response().putHeader("content-type", "application/json").end(TestTokens.jwks(key));
      } else {
        req.response().setStatusCode(503).end();
      }
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      gw.apply(rule("jwksUri: http://127.0.0.1:" + issuer.actualPort() + "/jwks.json"));
      String token = key.sign(TestTokens.claims(ISSUER, "erin", "demo-api"));
      awaitStatus(401, "Authorization", "Bearer " + token);
      assertUnauthenticated(call(token), "Jwks remote fetch is failed");
      assertThat(call(null).statusCode()).isEqualTo(200);

      up.set(true);
      awaitStatus(200, "Authorization", "Bearer " + token);
      HttpResponse<String> ok = call(token);
      assertThat(new JsonObject(ok.body()).getJsonObject("headers").getString("x-jwt-sub")).isEqualTo("erin");
    } finally {
      issuer.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
