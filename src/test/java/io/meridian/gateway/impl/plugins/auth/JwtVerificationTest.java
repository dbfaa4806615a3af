package io.meridian.gateway.impl.plugins.auth;

import io.meridian.gateway.FakeExchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.gateway.Attributes;
import io.meridian.gateway.PluginFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Token verification and the JWT plugin's request handling, without sockets. */
class JwtVerificationTest {

  static final String ISS = "https://issuer.example.com";

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** Verifies that ES256 tokens verify against an EC JWK and fail against another EC key with the same kid. */
  @Test
  void es256TokensVerifyWithTheirKeyOnly() throws Exception {
    TestTokens key = TestTokens.ec("e1");
    String token = key.sign(TestTokens.claims(ISS, "alice", "api"));
    JwsToken.decode(token).verify(Jwks.parse(TestTokens.jwks(key)), Set.of("api"), now());
    Jwks other = Jwks.parse(TestTokens.jwks(TestTokens.ec("e1")));
    assertThatThrownBy(() -> JwsToken.decode(token).verify(other, Set.of(), now())).hasMessageContaining("verification fails");
  }

  /** Verifies that unsigned ({@code alg: none}) and HMAC tokens are refused whatever their signature. */
  @Test
  void noneAndHmacAreRefused() throws Exception {
    Jwks keys = Jwks.parse(TestTokens.jwks(TestTokens.rsa("k1")));
    for (String alg : List.of("none", "HS256")) {
      String head = TestTokens.b64(new JsonObject().put("alg", alg).encode().getBytes(StandardCharsets.UTF_8));
      String body = TestTokens.b64(TestTokens.claims(ISS, "a", "api").encode().getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(() -> JwsToken.decode(head + "." + body + ".").verify(keys, Set.of(), now()))
          .hasMessageContaining("not supported");
    }
  }

  /** Verifies the time claims with Envoy's 60 s clock skew and audiences given as a list. */
  @Test
  void timeClaimsAllowClockSkewAndAudienceListsMatch() throws Exception {
    TestTokens key = TestTokens.rsa("k1");
    Jwks keys = Jwks.parse(TestTokens.jwks(key));
    long now = now();
    JsonObject justExpired = TestTokens.claims(ISS, "a", "api").put("exp", now - 30);
    JwsToken.decode(key.sign(justExpired)).verify(keys, Set.of(), now);
    JsonObject early = TestTokens.claims(ISS, "a", "api").put("nbf", now + 600);
    assertThatThrownBy(() -> JwsToken.decode(key.sign(early)).verify(keys, Set.of(), now)).hasMessageContaining("not yet valid");
    JsonObject many = TestTokens.claims(ISS, "a", "x").put("aud", new JsonArray().add("x").add("api"));
    JwsToken.decode(key.sign(many)).verify(keys, Set.of("api"), now);
    assertThatThrownBy(() -> JwsToken.decode(key.sign(many)).verify(keys, Set.of("other"), now)).hasMessageContaining("Audiences");
  }

  /** Verifies that a JWKS with an unusable key is refused at compile time and encryption keys are skipped. */
  @Test
  void jwksParsing() throws Exception {
    assertThatThrownBy(() -> Jwks.parse("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"\"}]}")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keys[0]");
    assertThatThrownBy(() -> Jwks.parse("{\"nokeys\":1}")).hasMessageContaining("'keys'");
    JsonObject enc = TestTokens.rsa("x").jwk().put("use", "enc");
    assertThat(Jwks.parse(new JsonObject().put("keys", new JsonArray().add(enc)).encode()).keys()).isEmpty();
  }

  private static JwtPlugin.Policy policy(JwtPlugin plugin, JsonObject rule) {
    return new JwtPlugin.Policy(List.of(plugin.rule(rule)));
  }

  /**
   * Verifies what a verified token leaves on the exchange: the claims and the request principal
   * {@code iss/sub} as attributes, the token header removed; and that tokens are read from a
   * configured header prefix, query parameter or cookie.
   */
  @Test
  void verifiedTokenSetsClaimsAndPrincipal() throws Exception {
    TestTokens key = TestTokens.rsa("k1");
    JwtPlugin plugin = new JwtPlugin(null, "gw");
    JsonObject rule = new JsonObject().put("issuer", ISS).put("jwks", TestTokens.jwks(key))
        .put("fromHeaders", new JsonArray().add(new JsonObject().put("name", "x-token").put("prefix", "Token ")))
        .put("fromParams", new JsonArray().add("jwt")).put("fromCookies", new JsonArray().add("session"));
    String token = key.sign(TestTokens.claims(ISS, "alice", "api").put("groups", new JsonArray().add("g1"))
        .put("org", new JsonObject().put("id", 7)));

    FakeExchange byHeader = new FakeExchange(policy(plugin, rule), "/x");
    byHeader.headers.put("x-token", "Token " + token);
    assertThat(plugin.onRequest(byHeader).succeeded()).isTrue();
    assertThat(byHeader.get(Attributes.REQUEST_PRINCIPAL)).isEqualTo(ISS + "/alice");
    Map<String, Object> claims = byHeader.get(Attributes.JWT_CLAIMS);
    assertThat(claims).containsEntry("sub", "alice").containsEntry("aud", "api").containsEntry("groups", List.of("g1"))
        .containsEntry("org", Map.of("id", 7));
    assertThat(byHeader.headers).doesNotContainKey("x-token");

    FakeExchange byParam = new FakeExchange(policy(plugin, rule), "/x?a=1&jwt=" + token);
    assertThat(plugin.onRequest(byParam).succeeded()).isTrue();
    assertThat(byParam.get(Attributes.REQUEST_PRINCIPAL)).isEqualTo(ISS + "/alice");

    FakeExchange byCookie = new FakeExchange(policy(plugin, rule), "/x");
    byCookie.headers.put("cookie", "a=b; session=" + token);
    assertThat(plugin.onRequest(byCookie).succeeded()).isTrue();
    assertThat(byCookie.get(Attributes.REQUEST_PRINCIPAL)).isEqualTo(ISS + "/alice");

    // the default location (Authorization: Bearer) is not configured here: such a token is not looked at
    FakeExchange elsewhere = new FakeExchange(policy(plugin, rule), "/x");
    elsewhere.headers.put("authorization", "Bearer garbage");
    assertThat(plugin.onRequest(elsewhere).succeeded()).isTrue();
    assertThat(elsewhere.get(Attributes.REQUEST_PRINCIPAL)).isNull();

    FakeExchange bad = new FakeExchange(policy(plugin, rule), "/x");
    bad.headers.put("x-token", "Token " + token.substring(0, token.length() - 4) + "AAAA");
    Future<Void> refused = plugin.onRequest(bad);
    assertThat(refused.failed()).isTrue();
    PluginFailure f = (PluginFailure) refused.cause();
    assertThat(f.status()).isEqualTo(401);
    assertThat(f.headers()).anySatisfy(h -> assertThat(h.getKey()).isEqualTo("WWW-Authenticate"));
    assertThat(bad.get(Attributes.JWT_CLAIMS)).isNull();
  }

  /**
   * Verifies that a rule whose inline keys cannot be used fails closed: its issuer's tokens are refused
   * (not passed on unverified), other issuers' rules keep working, and requests without a token pass.
   */
  @Test
  void unusableKeysRefuseTheirIssuersTokens() throws Exception {
    TestTokens key = TestTokens.rsa("k1");
    JsonObject broken = new JsonObject().put("issuer", "https://broken").put("jwks", "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}");
    JsonObject good = new JsonObject().put("issuer", ISS).put("jwks", TestTokens.jwks(key));
    io.meridian.rules.Rule rule = new io.meridian.rules.Rule(io.meridian.rules.RuleKind.REQUEST_AUTHENTICATION,
        "security.istio.io/v1", "default", "r", Map.of(), Map.of(), new JsonObject().put("jwtRules", new JsonArray().add(broken).add(good)),
        1, 1, "", "");
    JwtPlugin plugin = new JwtPlugin(null, "gw");
    JwtPlugin.Policy policy = plugin.policies().compile(new io.meridian.gateway.PolicyTarget("default", "demo", List.of()), List.of(rule));

    FakeExchange brokenIssuer = new FakeExchange(policy, "/x");
    brokenIssuer.headers.put("authorization", "Bearer " + key.sign(TestTokens.claims("https://broken", "a", "api")));
    Future<Void> refused = plugin.onRequest(brokenIssuer);
    assertThat(refused.failed()).isTrue();
    assertThat(refused.cause()).hasMessageContaining("unusable");

    FakeExchange goodIssuer = new FakeExchange(policy, "/x");
    goodIssuer.headers.put("authorization", "Bearer " + key.sign(TestTokens.claims(ISS, "a", "api")));
    assertThat(plugin.onRequest(goodIssuer).succeeded()).isTrue();
    assertThat(plugin.onRequest(new FakeExchange(policy, "/x")).succeeded()).isTrue();
  }

  /** Verifies that claim and payload headers a client sends itself are removed, with or without a token. */
  @Test
  void clientsCannotSendClaimHeaders() throws Exception {
    TestTokens key = TestTokens.rsa("k1");
    JwtPlugin plugin = new JwtPlugin(null, "gw");
    JsonObject rule = new JsonObject().put("issuer", ISS).put("jwks", TestTokens.jwks(key)).put("outputPayloadToHeader", "x-payload")
        .put("outputClaimToHeaders", new JsonArray().add(new JsonObject().put("header", "x-org").put("claim", "org")));
    FakeExchange anonymous = new FakeExchange(policy(plugin, rule), "/x");
    anonymous.headers.put("X-Org", "evil");
    anonymous.headers.put("x-payload", "evil");
    assertThat(plugin.onRequest(anonymous).succeeded()).isTrue();
    assertThat(anonymous.headers).doesNotContainKeys("x-org", "x-payload");

    FakeExchange withoutClaim = new FakeExchange(policy(plugin, rule), "/x");
    withoutClaim.headers.put("x-org", "evil");
    withoutClaim.headers.put("authorization", "Bearer " + key.sign(TestTokens.claims(ISS, "a", "api")));
    assertThat(plugin.onRequest(withoutClaim).succeeded()).isTrue();
    assertThat(withoutClaim.headers).doesNotContainKey("x-org").containsKey("x-payload");
  }

  /** Verifies claim-to-header conversion: strings, lists, numbers, nested claims by dotted path. */
  @Test
  void claimValues() {
    JsonObject c = new JsonObject().put("s", "x").put("l", new JsonArray().add("a").add(2)).put("n", 5)
        .put("o", new JsonObject().put("k", "v"));
    assertThat(JwtPlugin.claimValue(c, "s")).isEqualTo("x");
    assertThat(JwtPlugin.claimValue(c, "l")).isEqualTo("a,2");
    assertThat(JwtPlugin.claimValue(c, "n")).isEqualTo("5");
    assertThat(JwtPlugin.claimValue(c, "o.k")).isEqualTo("v");
    assertThat(JwtPlugin.claimValue(c, "missing")).isNull();
    assertThat(JwtPlugin.claimValue(new JsonObject().put("bad", "a\nb"), "bad")).isNull();
  }
}
