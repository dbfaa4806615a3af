package io.meridian.gateway.impl.plugins.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.gateway.Attributes;
import io.meridian.gateway.Exchange;
import io.meridian.gateway.PolicyTarget;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compiling RateLimitPolicy rules into limiters, and reading key values from a request. */
class RateLimitPolicyTest {

  private final RateLimitPlugin plugin = new RateLimitPlugin(System::nanoTime, 100);
  private final PolicyTarget demo = new PolicyTarget("default", "demo", List.of(Map.of()));

  private static Rule rule(String name, String spec) {
    return new Rule(RuleKind.RATE_LIMIT_POLICY, "meridian.io/v1", "default", name, Map.of(), Map.of(), new JsonObject(spec),
        1, 1, "t", "test");
  }

  /** Verifies that only rules targeting the service apply, the longest pathPrefix first, with burst defaulting to ceil(rate). */
  @Test
  void rulesCompileToLimitersMostSpecificFirst() {
    List<Rule> rules = List.of(
        rule("a", "{\"targetRef\":{\"service\":\"demo\"},\"key\":\"client-ip\",\"rate\":2.5}"),
        rule("b", "{\"targetRef\":{\"service\":\"demo\",\"pathPrefix\":\"/api/demo/v1/x\"},\"key\":\"route\",\"rate\":1,\"burst\":3}"),
        rule("c", "{\"targetRef\":{\"service\":\"other\"},\"key\":\"route\",\"rate\":1}"));
    RateLimitPlugin.Limits limits = plugin.policies().compile(demo, rules);
    assertThat(limits.limiters()).extracting(l -> l.policy).containsExactly("default/b", "default/a");
    assertThat(limits.limiters().get(1).burst).isEqualTo(3);
    Limiter b = limits.limiters().get(0);
    assertThat(b.applies("/api/demo/v1/x/y", "default")).isTrue();
    assertThat(b.applies("/api/demo/v1/y", "default")).isFalse();
    assertThat(b.applies("/t/shop/api/demo/v1/x", "shop")).isTrue(); // the tenant prefix is not part of the match
    assertThat(b.applies("/t/shop/api/demo/v1/y", "shop")).isFalse();
    assertThat(b.applies("/t/shops/api/demo/v1/x", "shop")).isFalse();
    assertThat(b.applies("/t/shop/api/demo/v1/x", null)).isFalse();
    assertThat(limits.limiters().get(1).applies("/anything", "default")).isTrue();
    assertThat(plugin.policies().compile(new PolicyTarget("default", "none", List.of()), List.of(rules.get(0)))).isNull();
  }

  /** Verifies that a rebuild with an unchanged rule keeps its buckets and a changed rule gets new ones. */
  @Test
  void unchangedRulesKeepTheirBuckets() {
    Rule r = rule("a", "{\"targetRef\":{\"service\":\"demo\"},\"key\":\"client-ip\",\"rate\":1,\"burst\":1}");
    Limiter first = plugin.policies().compile(demo, List.of(r)).limiters().get(0);
    assertThat(first.take("x").allowed()).isTrue();
    Limiter again = plugin.policies().compile(demo, List.of(rule("a", r.spec().encode()))).limiters().get(0);
    assertThat(again).isSameAs(first);
    assertThat(again.take("x").allowed()).isFalse();
    Limiter changed = plugin.policies().compile(demo,
        List.of(rule("a", "{\"targetRef\":{\"service\":\"demo\"},\"key\":\"client-ip\",\"rate\":2,\"burst\":1}"))).limiters().get(0);
    assertThat(changed).isNotSameAs(first);
    assertThat(changed.take("x").allowed()).isTrue();
  }

  /** Verifies that scope: cluster divides the rate by the cluster's members as the plugin learns them, local scope never. */
  @Test
  void clusterScopeFollowsTheMemberCount() {
    Limiter cluster = plugin.policies().compile(demo,
        List.of(rule("c", "{\"targetRef\":{\"service\":\"demo\"},\"key\":\"route\",\"rate\":3,\"scope\":\"cluster\"}")))
        .limiters().get(0);
    Limiter local = plugin.policies().compile(demo,
        List.of(rule("l", "{\"targetRef\":{\"service\":\"demo\"},\"key\":\"route\",\"rate\":3,\"scope\":\"local\"}")))
        .limiters().get(0);
    assertThat(cluster.interval()).isEqualTo(333_333_333L); // not clustered: like local
    plugin.clusterMembers(3);
    assertThat(cluster.interval()).isEqualTo(1_000_000_000L);
    assertThat(local.interval()).isEqualTo(333_333_333L);
    plugin.clusterMembers(0);
    assertThat(cluster.interval()).isEqualTo(333_333_333L);
  }

  /** Verifies that keys the schema would refuse are refused by the compiler too. */
  @Test
  void unusableKeysAreRefused() {
    assertThatThrownBy(() -> KeySource.parse("cookie:x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeySource.parse("header:")).isInstanceOf(IllegalArgumentException.class);
  }

  /** Verifies each key kind's value, and the shared buckets of requests without one. */
  @Test
  void keyValuesComeFromTheRequest() {
    Map<String, String> headers = new HashMap<>();
    Map<Exchange.Key<?>, Object> attributes = new HashMap<>();
    String[] route = {null};
    Exchange x = (Exchange) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Exchange.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "requestHeader" -> headers.get(((String) args[0]).toLowerCase());
          case "get" -> attributes.get(args[0]);
          case "clientAddress" -> new InetSocketAddress("10.1.2.3", 5555);
          case "route" -> route[0];
          default -> throw new UnsupportedOperationException(method.getName());
        });
    assertThat(KeySource.parse("client-ip").of(x)).isEqualTo("10.1.2.3");
    attributes.put(Attributes.CLIENT_IP, "192.0.2.7");
    assertThat(KeySource.parse("client-ip").of(x)).isEqualTo("192.0.2.7");

    KeySource user = KeySource.parse("header:X-User");
    assertThat(user.of(x)).isEqualTo(KeySource.NO_HEADER);
    headers.put("x-user", "alice");
    assertThat(user.of(x)).isEqualTo("alice");

    KeySource sub = KeySource.parse("claim:sub");
    assertThat(sub.of(x)).isEqualTo(KeySource.ANONYMOUS);
    attributes.put(Attributes.JWT_CLAIMS, Map.of("iss", "i"));
    assertThat(sub.of(x)).isEqualTo(KeySource.ANONYMOUS);
    attributes.put(Attributes.JWT_CLAIMS, Map.of("sub", "u-42"));
    assertThat(sub.of(x)).isEqualTo("u-42");

    KeySource tier = KeySource.parse("claim:org.tier");
    attributes.put(Attributes.JWT_CLAIMS, Map.of("org", Map.of("tier", "gold", "id", 7)));
    assertThat(tier.of(x)).isEqualTo("gold");
    attributes.put(Attributes.JWT_CLAIMS, Map.of("org.tier", "flat", "org", Map.of("tier", "gold")));
    assertThat(tier.of(x)).as("a top-level claim named with a dot wins").isEqualTo("flat");
    attributes.put(Attributes.JWT_CLAIMS, Map.of("org", Map.of("id", 7)));
    assertThat(tier.of(x)).isEqualTo(KeySource.ANONYMOUS);
    attributes.put(Attributes.JWT_CLAIMS, Map.of("org", "acme"));
    assertThat(tier.of(x)).isEqualTo(KeySource.ANONYMOUS);
    attributes.put(Attributes.JWT_CLAIMS, Map.of("roles", java.util.List.of("a", "b")));
    assertThat(KeySource.parse("claim:roles").of(x)).isEqualTo("a,b");
    attributes.put(Attributes.JWT_CLAIMS, Map.of("org", Map.of("tier", "gold")));
    assertThat(KeySource.parse("claim:org").of(x)).as("an object is no key").isEqualTo(KeySource.ANONYMOUS);

    KeySource byRoute = KeySource.parse("route");
    assertThat(byRoute.of(x)).isEqualTo(KeySource.DEFAULT_ROUTE);
    route[0] = "checkout";
    assertThat(byRoute.of(x)).isEqualTo("checkout");
  }
}
