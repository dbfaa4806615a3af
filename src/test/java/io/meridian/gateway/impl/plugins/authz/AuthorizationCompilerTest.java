package io.meridian.gateway.impl.plugins.authz;

import io.meridian.gateway.FakeExchange;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.gateway.Attributes;
import io.meridian.gateway.PolicyTarget;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Verifies Istio AuthorizationPolicy semantics as compiled for one service, without sockets. */
class AuthorizationCompilerTest {

  private static final PolicyTarget SHOP = new PolicyTarget("default", "shop", List.of(Map.of("app", "shop")));

  private static Rule policy(String name, String specJson) {
    return new Rule(RuleKind.AUTHORIZATION_POLICY, "security.istio.io/v1", "default", name, Map.of(), Map.of(),
        new JsonObject(specJson), 1, 1, "2026-01-01T00:00:00Z", "test");
  }

  private static String decide(FakeExchange x, Rule... rules) {
    AuthorizationPolicies p = new AuthorizationCompiler().compile(SHOP, List.of(rules));
    return p == null ? null : p.decide(new AuthzRequest(x));
  }

  @Test
  void istioStringsMatchExactPrefixSuffixAndPresence() {
    IstioStrings m = IstioStrings.of(List.of("/exact", "/api/*", "*.png"));
    assertThat(m.matches("/exact")).isTrue();
    assertThat(m.matches("/exact/")).isFalse();
    assertThat(m.matches("/api/x/y")).isTrue();
    assertThat(m.matches("/apix")).isFalse();
    assertThat(m.matches("/img/a.png")).isTrue();
    assertThat(m.matches(null)).isFalse();
    IstioStrings any = IstioStrings.of(List.of("*"));
    assertThat(any.matches("x")).isTrue();
    assertThat(any.matches("")).isFalse();
    assertThat(IstioStrings.ignoringCase(List.of("Shop.Example.COM")).matches("shop.example.com")).isTrue();
  }

  @Test
  void denyWinsThenAnAllowMustMatch() {
    Rule deny = policy("deny-admin", "{\"action\":\"DENY\",\"rules\":[{\"to\":[{\"operation\":{\"paths\":[\"/admin/*\"]}}]}]}");
    Rule allow = policy("allow-get", "{\"rules\":[{\"to\":[{\"operation\":{\"methods\":[\"GET\"]}}]}]}");
    FakeExchange get = new FakeExchange();
    get.servicePath = "/items";
    assertThat(decide(get, deny, allow)).isNull();
    get.servicePath = "/admin/users";
    assertThat(decide(get, deny, allow)).contains("default/deny-admin").contains("DENY");
    FakeExchange post = new FakeExchange();
    post.method = "POST";
    assertThat(decide(post, deny, allow)).contains("no ALLOW").contains("default/allow-get");
    assertThat(decide(post, deny)).as("no ALLOW policies: allowed").isNull();
  }

  @Test
  void allowNothingAndAllowAllAndDenyWithoutRules() {
    FakeExchange x = new FakeExchange();
    assertThat(decide(x, policy("allow-nothing", "{}"))).contains("allow-nothing");
    assertThat(decide(x, policy("allow-all", "{\"rules\":[{}]}"))).isNull();
    assertThat(decide(x, policy("deny-none", "{\"action\":\"DENY\"}"))).isNull();
    assertThat(decide(x, policy("deny-all", "{\"action\":\"DENY\",\"rules\":[{}]}"))).contains("deny-all");
  }

  @Test
  void onlyPoliciesTargetingTheServiceApply() {
    FakeExchange x = new FakeExchange();
    Rule other = policy("other", "{\"action\":\"DENY\",\"targetRefs\":[{\"kind\":\"Service\",\"name\":\"cart\"}],\"rules\":[{}]}");
    Rule bySelector = policy("mine", "{\"action\":\"DENY\",\"selector\":{\"matchLabels\":{\"app\":\"shop\"}},\"rules\":[{}]}");
    assertThat(new AuthorizationCompiler().compile(SHOP, List.of(other))).isNull();
    assertThat(decide(x, other, bySelector)).contains("default/mine");
  }

  @Test
  void sourceFieldsUseTheTrustedClientTheRemotePeerAndAbsentIdentities() {
    FakeExchange x = new FakeExchange();
    x.peer = new InetSocketAddress("10.0.0.5", 1234);
    x.put(Attributes.CLIENT_IP, "203.0.113.7");
    Rule byClient = policy("c", "{\"action\":\"DENY\",\"rules\":[{\"from\":[{\"source\":{\"ipBlocks\":[\"203.0.113.0/24\"]}}]}]}");
    Rule byPeer = policy("p", "{\"action\":\"DENY\",\"rules\":[{\"from\":[{\"source\":{\"remoteIpBlocks\":[\"203.0.113.0/24\"]}}]}]}");
    Rule notPeer = policy("np", "{\"action\":\"DENY\",\"rules\":[{\"from\":[{\"source\":{\"notRemoteIpBlocks\":[\"10.0.0.0/8\"]}}]}]}");
    assertThat(decide(x, byClient)).contains("default/c");
    assertThat(decide(x, byPeer)).isNull();
    assertThat(decide(x, notPeer)).isNull();
    // mTLS identities are never known at the gateway: a positive list never matches, a negative one always
    Rule principals = policy("pr", "{\"rules\":[{\"from\":[{\"source\":{\"principals\":[\"*\"]}}]}]}");
    Rule notNamespaces = policy("ns", "{\"action\":\"DENY\",\"rules\":[{\"from\":[{\"source\":{\"notNamespaces\":[\"prod\"]}}]}]}");
    assertThat(decide(x, principals)).contains("no ALLOW");
    assertThat(decide(x, notNamespaces)).contains("default/ns");
    // request principals come from the JWT plugin
    Rule jwt = policy("jwt", "{\"rules\":[{\"from\":[{\"source\":{\"requestPrincipals\":[\"https://issuer/*\"]}}]}]}");
    assertThat(decide(x, jwt)).contains("no ALLOW");
    x.put(Attributes.REQUEST_PRINCIPAL, "https://issuer/alice");
    assertThat(decide(x, jwt)).isNull();
  }

  @Test
  void operationFieldsMatchHostPortMethodAndServicePath() {
    FakeExchange x = new FakeExchange();
    x.header("host", "shop.example.com:9080");
    x.servicePath = "/orders/7";
    Rule rule = policy("op", "{\"rules\":[{\"to\":[{\"operation\":{\"hosts\":[\"SHOP.example.com\"],\"ports\":[\"9080\"],"
        + "\"notMethods\":[\"DELETE\"],\"paths\":[\"/orders/*\"]}}]}]}");
    assertThat(decide(x, rule)).isNull();
    Rule withPort = policy("hp", "{\"rules\":[{\"to\":[{\"operation\":{\"hosts\":[\"shop.example.com:9080\"]}}]}]}");
    assertThat(decide(x, withPort)).isNull();
    x.localPort = 9443;
    assertThat(decide(x, rule)).contains("no ALLOW");
    x.localPort = 9080;
    x.method = "DELETE";
    assertThat(decide(x, rule)).contains("no ALLOW");
    x.method = "GET";
    x.host = "evil.example.com";
    x.header("host", "evil.example.com");
    assertThat(decide(x, rule)).contains("no ALLOW");
  }

  @Test
  void conditionsOnHeadersClaimsPrincipalAndAddresses() {
    FakeExchange x = new FakeExchange();
    x.header("x-team", "payments-eu");
    x.put(Attributes.JWT_CLAIMS, Map.of("groups", List.of("dev", "ops"), "org", Map.of("tier", "gold"), "aud", "shop",
        "level", 3));
    x.put(Attributes.REQUEST_PRINCIPAL, "iss/alice");
    assertThat(decide(x, when("request.headers[X-Team]", "[\"payments*\"]", null))).isNull();
    assertThat(decide(x, when("request.headers[X-Team]", "[\"billing\"]", null))).contains("no ALLOW");
    assertThat(decide(x, when("request.headers[X-Other]", null, "[\"x\"]"))).as("absent header, notValues").isNull();
    assertThat(decide(x, when("request.auth.claims[groups]", "[\"ops\"]", null))).isNull();
    assertThat(decide(x, when("request.auth.claims[groups]", null, "[\"ops\"]"))).contains("no ALLOW");
    assertThat(decide(x, when("request.auth.claims[org][tier]", "[\"gold\"]", null))).isNull();
    assertThat(decide(x, when("request.auth.claims[level]", "[\"3\"]", null))).isNull();
    assertThat(decide(x, when("request.auth.audiences", "[\"shop\"]", null))).isNull();
    assertThat(decide(x, when("request.auth.principal", "[\"iss/*\"]", null))).isNull();
    assertThat(decide(x, when("source.ip", "[\"127.0.0.0/8\"]", null))).isNull();
    assertThat(decide(x, when("remote.ip", null, "[\"127.0.0.1\"]"))).contains("no ALLOW");
    assertThat(decide(x, when("destination.port", "[\"9080\"]", null))).isNull();
    assertThat(decide(x, when("source.principal", "[\"*\"]", null))).contains("no ALLOW");
    assertThat(decide(x, when("connection.sni", null, "[\"x\"]"))).isNull();
  }

  @Test
  void anUnusableRuleFailsClosed() {
    FakeExchange x = new FakeExchange();
    Rule deny = policy("bad-deny", "{\"action\":\"DENY\",\"rules\":[{\"when\":[{\"key\":\"experimental.x\",\"values\":[\"a\"]}]}]}");
    Rule allow = policy("bad-allow", "{\"rules\":[{\"when\":[{\"key\":\"experimental.x\",\"values\":[\"a\"]}]}, {}]}");
    assertThat(decide(x, deny)).contains("bad-deny");
    assertThat(decide(x, allow)).as("its other rule still allows").isNull();
    Rule onlyBad = policy("only-bad", "{\"rules\":[{\"when\":[{\"key\":\"experimental.x\",\"values\":[\"a\"]}]}]}");
    assertThat(decide(x, onlyBad)).contains("no ALLOW");
  }

  private static Rule when(String key, String values, String notValues) {
    JsonObject condition = new JsonObject().put("key", key);
    if (values != null) {
      condition.put("values", new io.vertx.core.json.JsonArray(values));
    }
    if (notValues != null) {
      condition.put("notValues", new io.vertx.core.json.JsonArray(notValues));
    }
    return policy("when", new JsonObject().put("rules", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("when", new io.vertx.core.json.JsonArray().add(condition)))).encode());
  }
}
