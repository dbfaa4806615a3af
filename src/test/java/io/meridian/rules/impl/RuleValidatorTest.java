package io.meridian.rules.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.json.Yaml;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Verifies reference and conflict checks (like istioctl analyze) against a small registry. */
class RuleValidatorTest {

  /** reviews v1, v2 and ratings v1 in namespace default; nothing else. */
  static final RuleValidator.Facts REGISTRY = new RuleValidator.Facts() {
    final Map<String, List<Map<String, String>>> services = Map.of(
        "reviews", List.of(Map.of("version", "v1"), Map.of("version", "v2")),
        "ratings", List.of(Map.of("version", "v1")));

    @Override
    public boolean available() {
      return true;
    }

    @Override
    public boolean hasService(String tenant, String service) {
      return tenant.equals("default") && services.containsKey(service);
    }

    @Override
    public List<Map<String, String>> labelSets(String tenant, String service) {
      return tenant.equals("default") ? services.getOrDefault(service, List.of()) : List.of();
    }
  };

  static final String DR = """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews}
      spec:
        host: reviews
        subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v3, labels: {version: v3}}
      """;

  /** Validates every document of {@code yaml} as one batch; returns each document's report. */
  static List<RuleDocuments.Report> check(String yaml) {
    List<RuleDocuments.Candidate> batch = new ArrayList<>();
    for (Yaml.Document d : Yaml.parseDocuments(yaml, Yaml.Limits.DEFAULT)) {
      RuleDocuments.Report r = new RuleDocuments.Report();
      batch.add(RuleDocuments.read(d.value(), "default", 1 << 20, r));
      assertThat(r.errors).isEmpty();
    }
    Map<String, RuleDocuments.Candidate> world = new HashMap<>();
    batch.forEach(c -> world.put(c.key(), c));
    List<RuleDocuments.Report> reports = new ArrayList<>();
    for (RuleDocuments.Candidate c : batch) {
      RuleDocuments.Report r = new RuleDocuments.Report();
      new RuleValidator(REGISTRY).validate(c, world.values(), r);
      reports.add(r);
    }
    return reports;
  }

  static String vs(String name, String host, String subset) {
    return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: " + name + "}\nspec:\n"
        + "  hosts: [" + host + "]\n  http:\n  - route:\n    - destination: {host: " + host
        + (subset == null ? "" : ", subset: " + subset) + "}\n";
  }

  @Test
  void knownHostsAndDefinedSubsetsPass() {
    List<RuleDocuments.Report> reports = check(DR + "---\n" + vs("reviews", "reviews", "v1"));
    assertThat(reports.get(1).errors).isEmpty();
    assertThat(reports.get(1).warnings).isEmpty();
    assertThat(check(vs("full", "reviews.default.svc.cluster.local", null)).get(0).errors).isEmpty();
  }

  @Test
  void unknownHostsAreErrors() {
    assertThat(check(vs("x", "reveiws", null)).get(0).errors).singleElement().satisfies(e -> {
      assertThat(e.path()).isEqualTo("spec.http[0].route[0].destination.host");
      assertThat(e.message()).contains("unknown host 'reveiws'");
    });
    assertThat(check(vs("x", "reviews.other", null)).get(0).errors).hasSize(1);
  }

  @Test
  void serviceEntriesDeclareExternalHosts() {
    String entry = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\n"
        + "spec: {hosts: ['*.example.com'], ports: [{number: 443, name: https, protocol: HTTPS}]}\n";
    assertThat(check(entry + "---\n" + vs("x", "api.example.com", null)).get(1).errors).isEmpty();
    assertThat(check(vs("x", "api.example.com", null)).get(0).errors).hasSize(1);
  }

  @Test
  void undefinedSubsetsAreErrorsAndEmptyOnesWarnings() {
    assertThat(check(vs("x", "reviews", "v1")).get(0).errors).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("needs a DestinationRule"));
    assertThat(check(DR + "---\n" + vs("x", "reviews", "v2")).get(1).errors).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("not defined"));
    List<RuleDocuments.Report> v3 = check(DR + "---\n" + vs("x", "reviews", "v3"));
    assertThat(v3.get(1).errors).isEmpty();
    assertThat(v3.get(1).warnings).singleElement().satisfies(w -> assertThat(w.message()).contains("matches no registered instance"));
    assertThat(v3.get(0).warnings).singleElement().satisfies(w -> assertThat(w.path()).isEqualTo("spec.subsets[1]"));
  }

  @Test
  void oneVirtualServiceAndOneDestinationRulePerHostAndNamespace() {
    List<RuleDocuments.Report> vss = check(vs("a", "reviews", null) + "---\n" + vs("b", "reviews.default.svc.cluster.local", null));
    assertThat(vss.get(0).errors).singleElement().satisfies(e -> assertThat(e.message()).contains("VirtualService default/b"));
    List<RuleDocuments.Report> drs = check(DR + "---\n" + DR.replace("name: reviews}", "name: reviews-2}"));
    assertThat(drs.get(1).errors).singleElement().satisfies(e -> assertThat(e.path()).isEqualTo("spec.host"));
  }

  @Test
  void gatewaysMustExist() {
    String bound = vs("x", "reviews", null).replace("  hosts: [reviews]\n", "  hosts: [reviews]\n  gateways: [edge, mesh]\n");
    assertThat(check(bound).get(0).errors).singleElement().satisfies(e -> assertThat(e.path()).isEqualTo("spec.gateways[0]"));
    String gateway = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: edge}\n"
        + "spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}\n";
    assertThat(check(gateway + "---\n" + bound).get(1).errors).isEmpty();
  }

  @Test
  void policiesMustTargetRegisteredServices() {
    String rl = "apiVersion: meridian.io/v1\nkind: RateLimitPolicy\nmetadata: {name: rl}\n"
        + "spec: {targetRef: {service: SERVICE}, key: client-ip, rate: 10}\n";
    assertThat(check(rl.replace("SERVICE", "reviews")).get(0).errors).isEmpty();
    assertThat(check(rl.replace("SERVICE", "nope")).get(0).errors).singleElement()
        .satisfies(e -> assertThat(e.path()).isEqualTo("spec.targetRef.service"));
  }
}
