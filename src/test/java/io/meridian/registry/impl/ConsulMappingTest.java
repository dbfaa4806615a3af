package io.meridian.registry.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.meridian.common.error.ApiException;
import io.meridian.registry.InstanceSpec;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class ConsulMappingTest {

  private final ConsulMapping mapping = new ConsulMapping(TestPlanes.twoPlanes(true));
  private final InstanceParser parser = new InstanceParser(TestPlanes.twoPlanes(true));

  /** As Consul's Go client (api.AgentServiceRegistration) serialises a registration. */
  private static final String GO_CLIENT = """
      {"ID": "orders-1", "Name": "orders", "Tags": ["v2", "primary"], "Port": 8080, "Address": "10.1.0.5",
       "Meta": {"version": "v2", "tenant": "shop", "plane": "data", "team": "payments"},
       "TaggedAddresses": {"mgmt": {"Address": "192.168.5.5", "Port": 8080}},
       "Check": {"CheckID": "orders-ttl", "TTL": "10s", "DeregisterCriticalServiceAfter": "1m"}}
      """;

  @Test
  void taggedAddressesBecomePlanesAndMetaSetsTheModel() {
    ConsulMapping.Translated t = mapping.registration(new JsonObject(GO_CLIENT), null);
    InstanceSpec spec = parser.parse(t.registration()).spec();
    assertThat(spec.id()).isEqualTo("orders-1");
    assertThat(spec.tenant()).isEqualTo("shop");
    assertThat(spec.address("data")).isEqualTo("10.1.0.5");
    assertThat(spec.address("mgmt")).isEqualTo("192.168.5.5");
    assertThat(spec.services().get(0).version()).isEqualTo("v2");
    assertThat(spec.services().get(0).planes()).containsExactly("data", "mgmt");
    assertThat(spec.labels()).containsExactly(java.util.Map.entry("team", "payments"));
    assertThat(spec.tags()).containsExactly("v2", "primary");
    assertThat(spec.health().policy()).isEqualTo("ttl");
    assertThat(spec.health().checkId()).isEqualTo("orders-ttl");
    assertThat(spec.health().initialStatus()).isEqualTo("critical");
    assertThat(spec.health().deregisterAfter()).hasSeconds(60);
  }

  @Test
  void fieldNamesMatchCaseInsensitivelyAsInConsul() {
    JsonObject kiwiStyle = new JsonObject("{\"Id\":\"a1\",\"name\":\"a\",\"port\":80,\"address\":\"10.0.0.9\","
        + "\"check\":{\"ttl\":\"5s\"}}");
    InstanceSpec spec = parser.parse(mapping.registration(kiwiStyle, "shop").registration()).spec();
    assertThat(spec.id()).isEqualTo("a1");
    assertThat(spec.tenant()).isEqualTo("shop");
    assertThat(spec.address("data")).isEqualTo("10.0.0.9");
  }

  @Test
  void httpAndTcpChecksMustTargetTheInstancesOwnAddresses() {
    JsonObject http = new JsonObject(GO_CLIENT);
    http.put("Check", new JsonObject().put("HTTP", "http://192.168.5.5:9090/health?full=1").put("Interval", "5s"));
    InstanceSpec spec = parser.parse(mapping.registration(http, null).registration()).spec();
    assertThat(spec.health().policy()).isEqualTo("http");
    assertThat(spec.health().plane()).isEqualTo("mgmt");
    assertThat(spec.health().port()).isEqualTo(9090);
    assertThat(spec.health().path()).isEqualTo("/health?full=1");

    JsonObject elsewhere = new JsonObject(GO_CLIENT);
    elsewhere.put("Check", new JsonObject().put("TCP", "203.0.113.7:22").put("Interval", "5s"));
    assertThat(catchThrowableOfType(ApiException.class, () -> mapping.registration(elsewhere, null)).field())
        .isEqualTo("Check.TCP");
  }

  @Test
  void unsupportedOrUnknownFieldsAreNamed() {
    assertThat(field("{\"Name\":\"a\",\"Port\":1,\"Address\":\"10.0.0.1\",\"Colour\":1}")).isEqualTo("Colour");
    assertThat(field("{\"Name\":\"a\",\"Port\":1,\"Address\":\"10.0.0.1\",\"Connect\":{}}")).isEqualTo("Connect");
    assertThat(field("{\"Name\":\"a\",\"Port\":1,\"Address\":\"10.0.0.1\",\"Check\":{\"GRPC\":\"x\"}}")).isEqualTo("Check.GRPC");
    assertThat(field("{\"Name\":\"a\",\"Address\":\"10.0.0.1\"}")).isEqualTo("Port");
    assertThat(field("{\"Port\":1,\"Address\":\"10.0.0.1\"}")).isEqualTo("Name");
    assertThat(field("{\"Name\":\"a\",\"Port\":1}")).isEqualTo("Address");
    assertThat(field("{\"Name\":\"a\",\"Port\":1,\"Address\":\"10.0.0.1\",\"Checks\":[{\"TTL\":\"1s\"},{\"TTL\":\"2s\"}]}"))
        .isEqualTo("Checks");
    assertThat(field("{\"Name\":\"a\",\"Port\":1,\"Address\":\"10.0.0.1\",\"TaggedAddresses\":{\"mgmt\":{\"Address\":\"192.168.0.1\",\"Port\":2}}}"))
        .isEqualTo("TaggedAddresses.mgmt.Port");
  }

  @Test
  void modelErrorsAreReportedWithConsulFieldNames() {
    JsonObject bad = new JsonObject(GO_CLIENT);
    bad.getJsonObject("TaggedAddresses").getJsonObject("mgmt").put("Address", "10.1.0.6");
    ConsulMapping.Translated t = mapping.registration(bad, null);
    ApiException e = catchThrowableOfType(ApiException.class, () -> parser.parse(t.registration()));
    assertThat(t.consulField(e.field())).startsWith("TaggedAddresses.mgmt");
    JsonObject badName = new JsonObject(GO_CLIENT).put("Name", "Orders_Service");
    ConsulMapping.Translated t2 = mapping.registration(badName, null);
    assertThat(t2.consulField(catchThrowableOfType(ApiException.class, () -> parser.parse(t2.registration())).field()))
        .isEqualTo("Name");
  }

  private String field(String json) {
    ApiException e = catchThrowableOfType(ApiException.class, () -> mapping.registration(new JsonObject(json), null));
    return e == null ? null : e.field();
  }
}
