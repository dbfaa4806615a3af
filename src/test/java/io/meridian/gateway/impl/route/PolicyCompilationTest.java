package io.meridian.gateway.impl.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.GatewayOptions;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PolicyTarget;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How rules reach plugins: compiled once per route table, per service, only where they apply. */
class PolicyCompilationTest {

  private static Instance instance(String id, String tenant, String service, String labels) {
    JsonObject spec = new JsonObject("{\"id\":\"" + id + "\",\"tenant\":\"" + tenant + "\",\"labels\":" + labels
        + ",\"endpoints\":[{\"plane\":\"default\",\"address\":\"10.0.0.1\"}],"
        + "\"services\":[{\"name\":\"" + service + "\",\"version\":\"v1\",\"port\":8080}]}");
    return new Instance(InstanceSpec.fromJson(spec), 1, 1, 1, "t", "test",
        new HealthStatus(HealthStatus.PASSING, "", "t", "t"));
  }

  private static Rule rule(RuleKind kind, String namespace, String name, String spec) {
    return new Rule(kind, "x/v1", namespace, name, Map.of(), Map.of(), new JsonObject(spec), 1, 1, "t", "test");
  }

  /** Compiles to the names of the rules that target the service, the way a real plugin selects. */
  private static final class Names implements PolicyCompiler<List<String>> {
    final List<String> calls = new ArrayList<>();

    @Override
    public Set<RuleKind> kinds() {
      return Set.of(RuleKind.RATE_LIMIT_POLICY, RuleKind.AUTHORIZATION_POLICY);
    }

    @Override
    public List<String> compile(PolicyTarget target, List<Rule> rules) {
      calls.add(target.tenant() + "/" + target.service());
      List<String> names = rules.stream().filter(target::targets).map(Rule::name).toList();
      if (names.contains("broken")) {
        throw new IllegalArgumentException("cannot use it");
      }
      return names.isEmpty() ? null : names;
    }
  }

  @Test
  void eachServiceGetsTheRulesThatTargetItAndNothingElse() {
    Names compiler = new Names();
    RouteTableBuilder builder = new RouteTableBuilder(GatewayOptions.fromJson(new JsonObject()), List.of(compiler));
    List<Instance> instances = List.of(
        instance("o-1", "shop", "orders", "{\"team\":\"a\"}"),
        instance("p-1", "shop", "payments", "{\"team\":\"b\"}"),
        instance("o-2", "other", "orders", "{\"team\":\"a\"}"));
    List<Rule> rules = List.of(
        rule(RuleKind.RATE_LIMIT_POLICY, "shop", "rl-orders", "{\"targetRef\":{\"service\":\"orders\"}}"),
        rule(RuleKind.AUTHORIZATION_POLICY, "shop", "deny-team-b", "{\"selector\":{\"matchLabels\":{\"team\":\"b\"}}}"),
        rule(RuleKind.AUTHORIZATION_POLICY, "shop", "by-ref", "{\"targetRefs\":[{\"kind\":\"Service\",\"name\":\"payments\"}]}"),
        rule(RuleKind.AUTHORIZATION_POLICY, "shop", "namespace-wide", "{}"),
        rule(RuleKind.VIRTUAL_SERVICE, "shop", "not-mine", "{\"hosts\":[\"orders\"],\"http\":[{\"route\":[{\"destination\":{\"host\":\"orders\"}}]}]}"));

    RouteTable table = builder.build(instances, rules);

    assertThat(table.services().get("shop/orders").policy(compiler)).containsExactly("namespace-wide", "rl-orders");
    assertThat(table.services().get("shop/payments").policy(compiler)).containsExactly("by-ref", "deny-team-b", "namespace-wide");
    // another namespace's rules never apply
    assertThat(table.services().get("other/orders").policy(compiler)).isNull();
    assertThat(compiler.calls).containsExactlyInAnyOrder("shop/orders", "shop/payments");

    // a rule the plugin cannot use leaves that service without the policy; the table is still built
    List<Rule> withBroken = new ArrayList<>(rules);
    withBroken.add(rule(RuleKind.RATE_LIMIT_POLICY, "shop", "broken", "{\"targetRef\":{\"service\":\"payments\"}}"));
    RouteTable next = builder.build(instances, withBroken);
    assertThat(next.services().get("shop/payments").policy(compiler)).isNull();
    assertThat(next.services().get("shop/orders").policy(compiler)).containsExactly("namespace-wide", "rl-orders");
  }

  @Test
  void aServiceRecordsTheHeadersItsRoutesMatchOn() {
    RouteTableBuilder builder = new RouteTableBuilder(GatewayOptions.fromJson(new JsonObject()));
    RouteTable table = builder.build(List.of(instance("o-1", "shop", "orders", "{}")), List.of(rule(RuleKind.VIRTUAL_SERVICE,
        "shop", "orders", "{\"hosts\":[\"orders\"],\"http\":[{\"match\":[{\"headers\":{\"X-User\":{\"exact\":\"a\"}},"
            + "\"withoutHeaders\":{\"x-beta\":{}}}],\"route\":[{\"destination\":{\"host\":\"orders\"}}]},"
            + "{\"route\":[{\"destination\":{\"host\":\"orders\"}}]}]}")));
    assertThat(table.services().get("shop/orders").matchHeaders()).containsExactlyInAnyOrder("x-user", "x-beta");
  }
}
