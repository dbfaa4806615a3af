package io.meridian.rules.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.json.Yaml;
import io.meridian.testing.Examples;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Verifies document reading and the spec schemas: Istio's documented examples and the
 * issue's Meridian kinds parse cleanly and render to their golden YAML (parse → model →
 * YAML; regenerate with {@code -Dgolden.update=true}); every kind of mistake is an error at
 * its path; fields Meridian does not implement are refused by name.
 */
class RuleSchemaTest {

  static final Path FIXTURES = Path.of("src/test/resources/rules");
  static final Path GOLDEN = Path.of("src/test/resources/golden/rules");

  static Stream<String> fixtures() {
    return Stream.of("istio/destination-rule-all.yaml", "istio/virtual-service-all-v1.yaml",
        "istio/virtual-service-reviews-test-v2.yaml", "istio/virtual-service-reviews-50-v3.yaml",
        "istio/virtual-service-reviews-90-10.yaml", "istio/virtual-service-ratings-test-delay.yaml",
        "istio/virtual-service-ratings-test-abort.yaml", "istio/destination-rule-httpbin-circuit-breaking.yaml",
        "meridian/policies.yaml");
  }

  static List<RuleDocuments.Report> read(String yaml, List<RuleDocuments.Candidate> into) {
    List<RuleDocuments.Report> reports = new ArrayList<>();
    for (Yaml.Document doc : Yaml.parseDocuments(yaml, Yaml.Limits.DEFAULT)) {
      RuleDocuments.Report report = new RuleDocuments.Report();
      RuleDocuments.Candidate c = RuleDocuments.read(doc.value(), "default", 256 * 1024, report);
      if (c != null) {
        into.add(c);
      }
      reports.add(report);
    }
    return reports;
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void documentedExamplesParseAndRenderToTheirGoldenYaml(String fixture) throws Exception {
    String text = Files.readString(FIXTURES.resolve(fixture));
    List<RuleDocuments.Candidate> candidates = new ArrayList<>();
    for (RuleDocuments.Report report : read(text, candidates)) {
      assertThat(report.errors).as(fixture).isEmpty();
    }
    StringBuilder rendered = new StringBuilder();
    for (RuleDocuments.Candidate c : candidates) {
      rendered.append(rendered.length() == 0 ? "" : "---\n").append(Yaml.dump(c.toRule(0, 0, null, null).toDocument()));
    }
    Path golden = GOLDEN.resolve(fixture.replace('/', '-'));
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, rendered.toString());
    }
    assertThat(golden).as("golden file (create it with -Dgolden.update=true and review it)").exists();
    assertThat(rendered.toString()).isEqualTo(Files.readString(golden));
    // the rendered YAML reads back to the same rules
    List<RuleDocuments.Candidate> again = new ArrayList<>();
    read(rendered.toString(), again);
    assertThat(again).isEqualTo(candidates);
  }

  private static List<RuleDocuments.Issue> errors(String yaml) {
    return read(yaml, new ArrayList<>()).get(0).errors;
  }

  private static String vs(String http) {
    return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [reviews]\n  http:\n" + http;
  }

  @Test
  void typosAndWrongTypesAreErrorsAtTheirPath() {
    assertThat(errors(vs("  - route:\n    - destination: {host: reviews, subsett: v1}\n")))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.http[0].route[0].destination.subsett");
    assertThat(errors(vs("  - route:\n    - destination: {host: reviews}\n      weight: ten\n")))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("spec.http[0].route[0].weight");
          assertThat(e.message()).contains("whole number");
        });
    assertThat(errors(vs("  - timeout: 1.5\n    route:\n    - destination: {host: reviews}\n")))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.http[0].timeout");
    assertThat(errors(vs("  - timeout: soon\n    route:\n    - destination: {host: reviews}\n")))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.http[0].timeout");
    assertThat(errors(vs("  - match:\n    - uri: {regex: '(unclosed'}\n    route:\n    - destination: {host: reviews}\n")))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("spec.http[0].match[0].uri.regex");
          assertThat(e.message()).contains("invalid regular expression");
        });
    // Java accepts lookahead; RE2 (Envoy, gRPC) does not
    assertThat(errors(vs("  - match:\n    - uri: {regex: '/api/(?!internal).*'}\n    route:\n    - destination: {host: reviews}\n")))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("spec.http[0].match[0].uri.regex");
          assertThat(e.message()).contains("RE2");
        });
    assertThat(errors(vs("  - match:\n    - uri: {exact: /a, prefix: /b}\n    route:\n    - destination: {host: reviews}\n")))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.http[0].match[0].uri");
  }

  @Test
  void weightsMustSumToOneHundred() {
    assertThat(errors(vs("  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 60\n"
        + "    - destination: {host: reviews, subset: v2}\n      weight: 30\n")))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("spec.http[0].route[1].weight");
          assertThat(e.message()).contains("sum to 100").contains("90");
        });
    assertThat(errors(vs("  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 50\n"
        + "    - destination: {host: reviews, subset: v2}\n")))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.http[0].route[1].weight");
  }

  @Test
  void fieldsMeridianDoesNotImplementAreRefusedByName() {
    assertThat(errors(vs("  - delegate: {name: other}\n"))).anySatisfy(e -> {
      assertThat(e.path()).isEqualTo("spec.http[0].delegate");
      assertThat(e.message()).startsWith("is not supported by Meridian");
    });
    assertThat(errors("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n"
        + "  host: reviews\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.trafficPolicy.tls");
    assertThat(errors("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n"
        + "  action: CUSTOM\n")).singleElement().satisfies(e -> assertThat(e.message()).contains("ExternalAuthPolicy"));
  }

  /** Verifies that AuthorizationPolicy conditions name keys the gateway evaluates, carry values, and IPs that parse. */
  @Test
  void authorizationConditionsAreChecked() {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n  rules:\n  - when:\n";
    assertThat(errors(head + "    - {key: 'request.headers[X-Team]', values: [a]}\n"
        + "    - {key: 'request.auth.claims[groups][0]', notValues: [b]}\n    - {key: source.ip, values: [10.0.0.0/8, 1.2.3.4]}\n"
        + "    - {key: source.principal, notValues: ['*']}\n")).isEmpty();
    assertThat(errors(head + "    - {key: 'request.regex.headers[x]', values: [a]}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.rules[0].when[0].key");
    assertThat(errors(head + "    - {key: 'request.headers[x]'}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.rules[0].when[0].values");
    assertThat(errors(head + "    - {key: remote.ip, notValues: [10.0.0.0/33]}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.rules[0].when[0].notValues[0]");
  }

  @Test
  void jwtRulesNeedKeys() {
    String head = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: j}\nspec:\n  jwtRules:\n";
    assertThat(errors(head + "  - issuer: https://i.example.com\n")).singleElement().satisfies(e -> {
      assertThat(e.path()).isEqualTo("spec.jwtRules[0]");
      assertThat(e.message()).contains("jwksUri or jwks");
    });
    assertThat(errors(head + "  - {issuer: https://i.example.com, jwksUri: 'https://i.example.com/keys'}\n")).isEmpty();
  }

  @Test
  void theEnvelopeIsChecked() {
    assertThat(errors("apiVersion: networking.istio.io/v1\nkind: VirtualServise\nmetadata: {name: r}\nspec: {}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("kind");
    assertThat(errors("apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: r}\nspec: {hosts: [a], http: []}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("apiVersion");
    assertThat(errors("apiVersion: meridian.io/v1\nkind: RateLimitPolicy\nmetadata: {name: Bad_Name}\n"
        + "spec: {targetRef: {service: demo}, key: client-ip, rate: 10}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("metadata.name");
    assertThat(errors("apiVersion: meridian.io/v1\nkind: RateLimitPolicy\nmetadata: {name: rl, colour: red}\n"
        + "spec: {targetRef: {service: demo}, key: client-ip, rate: 10}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("metadata.colour");
    assertThat(errors("apiVersion: meridian.io/v1\nkind: RateLimitPolicy\nmetadata: {name: rl}\n"
        + "spec: {targetRef: {service: demo}, key: cookie, rate: 10}\n"))
        .extracting(RuleDocuments.Issue::path).containsExactly("spec.key");
    // what kubectl get -o yaml adds is accepted and dropped
    List<RuleDocuments.Candidate> ok = new ArrayList<>();
    assertThat(read("apiVersion: meridian.io/v1\nkind: RateLimitPolicy\nmetadata: {name: rl, uid: x, generation: 3}\n"
        + "spec: {targetRef: {service: demo}, key: client-ip, rate: 10}\nstatus: {}\n", ok).get(0).errors).isEmpty();
    assertThat(ok).hasSize(1);
  }

  @Test
  void documentsOverTheSizeLimitAreRefused() {
    RuleDocuments.Report report = new RuleDocuments.Report();
    JsonObject huge = new JsonObject().put("apiVersion", "meridian.io/v1").put("kind", "RateLimitPolicy")
        .put("metadata", new JsonObject().put("name", "rl").put("annotations", new JsonObject().put("a", "x".repeat(5000))))
        .put("spec", new JsonObject());
    assertThat(RuleDocuments.read(huge, "default", 4096, report)).isNull();
    assertThat(report.errors).singleElement().satisfies(e -> assertThat(e.message()).contains("rules.maxDocumentSize"));
    assertThat(Examples.resource("/rules/istio/README.md")).contains("Istio");
  }
}
