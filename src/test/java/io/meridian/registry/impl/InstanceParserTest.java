package io.meridian.registry.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.meridian.common.error.ApiException;
import io.meridian.registry.HealthPolicy;
import io.meridian.registry.InstanceSpec;
import io.meridian.registry.ServiceBinding;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class InstanceParserTest {

  private final InstanceParser strict = new InstanceParser(TestPlanes.twoPlanes(true));

  private static JsonObject example() {
    return new JsonObject(io.meridian.testing.Examples.orders());
  }

  private ApiException reject(Consumer<JsonObject> change) {
    JsonObject body = example();
    change.accept(body);
    return catchThrowableOfType(ApiException.class, () -> strict.parse(body));
  }

  @Test
  void theIssuesExampleParsesIntoTheModel() {
    InstanceParser.Parsed parsed = strict.parse(example());
    InstanceSpec spec = parsed.spec();
    assertThat(parsed.warnings()).isEmpty();
    assertThat(spec.id()).isEqualTo("orders-7f9c");
    assertThat(spec.tenant()).isEqualTo("shop");
    assertThat(spec.address("data")).isEqualTo("10.1.0.5");
    assertThat(spec.address("mgmt")).isEqualTo("192.168.5.5");
    assertThat(spec.services()).extracting(ServiceBinding::name, ServiceBinding::planes)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("orders", List.of("data")),
            org.assertj.core.groups.Tuple.tuple("orders-admin", List.of("mgmt")));
    assertThat(spec.health().policy()).isEqualTo("ttl");
    assertThat(spec.health().ttl()).isEqualTo(Duration.ofSeconds(15));
    assertThat(spec.health().deregisterAfter()).isEqualTo(Duration.ofMinutes(2));
    // the JSON form reads back to the same spec
    assertThat(InstanceSpec.fromJson(spec.toJson())).isEqualTo(spec);
  }

  @Test
  void defaultsFillWhatIsLeftOut() {
    InstanceParser noPlanes = new InstanceParser(TestPlanes.noPlanes());
    InstanceSpec spec = noPlanes.parse(new JsonObject("{\"endpoints\":[{\"address\":\"db.example.com\"}],"
        + "\"services\":[{\"name\":\"db\",\"port\":5432}]}")).spec();
    assertThat(spec.id()).startsWith("db-");
    assertThat(spec.tenant()).isEqualTo("default");
    assertThat(spec.kind()).isEqualTo("mesh");
    assertThat(spec.endpoints().get(0).plane()).isEqualTo("default");
    ServiceBinding db = spec.services().get(0);
    assertThat(db.protocol()).isEqualTo("http");
    assertThat(db.visibility()).isEqualTo("both");
    assertThat(db.planes()).containsExactly("default");
    assertThat(spec.health()).isEqualTo(HealthPolicy.NONE);
  }

  @Test
  void everyBadInputIsA400NamingItsField() {
    assertThat(reject(b -> b.getJsonArray("endpoints").getJsonObject(1).remove("address")).field())
        .isEqualTo("endpoints[1].address");
    assertThat(reject(b -> b.getJsonArray("services").getJsonObject(0).put("planes", new JsonArray().add("signal"))))
        .hasMessageContaining("no address on it").extracting(ApiException::field).isEqualTo("services[0].planes[0]");
    assertThat(reject(b -> b.getJsonArray("endpoints").getJsonObject(1).put("plane", "signal")))
        .hasMessageContaining("not declared").extracting(ApiException::field).isEqualTo("endpoints[1].plane");
    assertThat(reject(b -> b.getJsonArray("endpoints").getJsonObject(0).put("address", "172.16.0.1")))
        .hasMessageContaining("outside plane 'data'").extracting(ApiException::field).isEqualTo("endpoints[0].address");
    assertThat(reject(b -> b.getJsonArray("endpoints").getJsonObject(1).put("plane", "data").put("address", "10.1.0.6")))
        .hasMessageContaining("duplicate plane").extracting(ApiException::field).isEqualTo("endpoints[1].plane");
    assertThat(reject(b -> b.getJsonArray("services").getJsonObject(1).put("port", 0)).field()).isEqualTo("services[1].port");
    assertThat(reject(b -> b.getJsonArray("services").getJsonObject(1).put("port", 65536)).field()).isEqualTo("services[1].port");
    assertThat(reject(b -> b.getJsonArray("services").getJsonObject(0).put("name", "Orders")))
        .hasMessageContaining("DNS-1123").extracting(ApiException::field).isEqualTo("services[0].name");
    assertThat(reject(b -> b.put("tenant", "-shop")).field()).isEqualTo("tenant");
    assertThat(reject(b -> b.put("owner", "me"))).hasMessageContaining("unknown field").extracting(ApiException::field)
        .isEqualTo("owner");
    assertThat(reject(b -> b.getJsonArray("services").getJsonObject(0).put("weight", 3)).field()).isEqualTo("services[0].weight");
    assertThat(reject(b -> b.getJsonObject("health").put("ttl", "15")).field()).isEqualTo("health.ttl");
    assertThat(reject(b -> b.getJsonObject("health").put("path", "/healthz")))
        .hasMessageContaining("only applies to health policy http").extracting(ApiException::field).isEqualTo("health.path");
    assertThat(reject(b -> b.put("kind", "pod")).field()).isEqualTo("kind");
    assertThat(reject(b -> b.getJsonArray("services").add(b.getJsonArray("services").getJsonObject(0).copy())))
        .hasMessageContaining("duplicate service").extracting(ApiException::field).isEqualTo("services[2].name");
    assertThat(reject(b -> b.put("endpoints", new JsonArray())).field()).isEqualTo("endpoints");
    assertThat(reject(b -> b.put("services", new JsonArray())).field()).isEqualTo("services");
    assertThat(reject(b -> b.put("id", "has space")).field()).isEqualTo("id");
    assertThat(reject(b -> b.getJsonObject("labels").put("zone", "a\nb")).field()).isEqualTo("labels.zone");
    assertThat(reject(b -> b.getJsonArray("endpoints").getJsonObject(0).put("address", "not an address!")).field())
        .isEqualTo("endpoints[0].address");
    assertThat(reject(b -> b.getJsonArray("endpoints").getJsonObject(0).put("address", "db.example.com")))
        .hasMessageContaining("use an IP address").extracting(ApiException::field).isEqualTo("endpoints[0].address");
    assertThat(reject(b -> b.getJsonArray("endpoints").getJsonObject(0).remove("plane")))
        .hasMessageContaining("declared planes").extracting(ApiException::field).isEqualTo("endpoints[0].plane");
    assertThat(reject(b -> b.put("services", "orders")).field()).isEqualTo("services");
    for (ApiException e : List.of(reject(b -> b.put("kind", "pod")), reject(b -> b.put("owner", 1)))) {
      assertThat(e.status()).isEqualTo(400);
    }
  }

  @Test
  void nonStrictPlanesAcceptWithWarnings() {
    InstanceParser lenient = new InstanceParser(TestPlanes.twoPlanes(false));
    JsonObject body = example();
    body.getJsonArray("endpoints").getJsonObject(0).put("address", "172.16.0.1");
    body.getJsonArray("endpoints").add(new JsonObject().put("plane", "signal").put("address", "172.20.0.1"));
    InstanceParser.Parsed parsed = lenient.parse(body);
    assertThat(parsed.warnings()).hasSize(2).anySatisfy(w -> assertThat(w).contains("outside plane 'data'"))
        .anySatisfy(w -> assertThat(w).contains("'signal' is not declared"));
  }

  @Test
  void healthPoliciesAreInferredAndChecked() {
    InstanceParser noPlanes = new InstanceParser(TestPlanes.noPlanes());
    String base = "{\"endpoints\":[{\"address\":\"10.0.0.1\"},{\"plane\":\"default\",\"address\":\"10.0.0.1\"}],"
        + "\"services\":[{\"name\":\"a\",\"port\":8080}],\"health\":";
    ApiException duplicate = catchThrowableOfType(ApiException.class,
        () -> noPlanes.parse(new JsonObject(base + "{}}")));
    assertThat(duplicate.field()).isEqualTo("endpoints[1].plane");

    String ok = "{\"endpoints\":[{\"address\":\"10.0.0.1\"}],\"services\":[{\"name\":\"a\",\"port\":8080}],\"health\":";
    HealthPolicy http = noPlanes.parse(new JsonObject(ok + "{\"path\":\"/healthz?deep=1\",\"interval\":\"5s\"}}")).spec().health();
    assertThat(http.policy()).isEqualTo("http");
    assertThat(http.port()).isEqualTo(8080);
    assertThat(http.plane()).isEqualTo("default");
    assertThat(http.timeout()).isEqualTo(Duration.ofSeconds(2));
    HealthPolicy tcp = noPlanes.parse(new JsonObject(ok + "{\"policy\":\"tcp\",\"port\":9000}}")).spec().health();
    assertThat(tcp.policy()).isEqualTo("tcp");
    assertThat(tcp.port()).isEqualTo(9000);
    ApiException slow = catchThrowableOfType(ApiException.class,
        () -> noPlanes.parse(new JsonObject(ok + "{\"policy\":\"tcp\",\"interval\":\"1s\",\"timeout\":\"2s\"}}")));
    assertThat(slow.field()).isEqualTo("health.timeout");
    ApiException ttlMissing = catchThrowableOfType(ApiException.class,
        () -> noPlanes.parse(new JsonObject(ok + "{\"policy\":\"ttl\"}}")));
    assertThat(ttlMissing.field()).isEqualTo("health.ttl");
  }

  @Test
  void ipv6AddressesAreAccepted() {
    InstanceParser noPlanes = new InstanceParser(TestPlanes.noPlanes());
    InstanceSpec spec = noPlanes.parse(new JsonObject("{\"endpoints\":[{\"address\":\"fd00::5\"}],"
        + "\"services\":[{\"name\":\"a\",\"port\":80}]}")).spec();
    assertThat(spec.address("default")).isEqualTo("fd00::5");
  }

  /** Verifies that a binding's gateway {@code path} and {@code stripPrefix} (documented, default {@code true}) are accepted and kept. */
  @Test
  void aBindingMayKeepItsGatewayPrefix() {
    InstanceParser noPlanes = new InstanceParser(TestPlanes.noPlanes());
    InstanceSpec spec = noPlanes.parse(new JsonObject("{\"endpoints\":[{\"address\":\"10.0.0.1\"}],\"services\":["
        + "{\"name\":\"shop\",\"port\":80,\"path\":\"/shop\",\"stripPrefix\":false},{\"name\":\"cart\",\"port\":81}]}")).spec();
    assertThat(spec.service("shop").path()).isEqualTo("/shop");
    assertThat(spec.service("shop").stripPrefix()).isFalse();
    assertThat(spec.service("cart").stripPrefix()).isTrue();
    assertThat(InstanceSpec.fromJson(spec.toJson())).isEqualTo(spec);
    ApiException notABoolean = catchThrowableOfType(ApiException.class, () -> noPlanes.parse(new JsonObject(
        "{\"endpoints\":[{\"address\":\"10.0.0.1\"}],\"services\":[{\"name\":\"shop\",\"port\":80,\"stripPrefix\":\"no\"}]}")));
    assertThat(notABoolean.field()).isEqualTo("services[0].stripPrefix");
  }
}
