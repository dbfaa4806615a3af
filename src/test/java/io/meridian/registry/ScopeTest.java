package io.meridian.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScopeTest {

  private static Instance instance(String json) {
    return new Instance(InstanceSpec.fromJson(new JsonObject(json)), 1, 1, 1, "t", "test", null);
  }

  private static final Instance ORDERS = instance("{\"id\":\"o1\",\"tenant\":\"shop\",\"kind\":\"mesh\",\"labels\":{\"zone\":\"a\"},"
      + "\"endpoints\":[{\"plane\":\"data\",\"address\":\"10.1.0.5\"},{\"plane\":\"mgmt\",\"address\":\"192.168.5.5\"}],"
      + "\"services\":[{\"name\":\"orders\",\"port\":8080,\"planes\":[\"data\"],\"visibility\":\"external\"},"
      + "{\"name\":\"orders-admin\",\"port\":9090,\"planes\":[\"mgmt\"],\"visibility\":\"internal\"}]}");
  private static final Instance DB = instance("{\"id\":\"db1\",\"tenant\":\"infra\",\"kind\":\"shared\","
      + "\"endpoints\":[{\"plane\":\"data\",\"address\":\"10.9.0.1\"}],\"services\":[{\"name\":\"db\",\"port\":5432,\"planes\":[\"data\"]}]}");

  @Test
  void aDataPlaneScopeNeverSeesManagementAddresses() {
    Scope data = new Scope(Set.of("shop"), Set.of("data"), null, Map.of(), false);
    Instance seen = data.project(ORDERS);
    assertThat(seen.spec().endpoints()).extracting(Endpoint::plane).containsExactly("data");
    assertThat(seen.spec().services()).extracting(ServiceBinding::name).containsExactly("orders");
    assertThat(seen.toJson().encode()).doesNotContain("192.168.5.5");
  }

  @Test
  void visibilityTenantsLabelsAndSharedServicesFilter() {
    assertThat(new Scope(Set.of(), Set.of(), "internal", Map.of(), false).project(ORDERS).spec().serviceNames())
        .containsExactly("orders-admin");
    assertThat(new Scope(Set.of(), Set.of("mgmt"), "external", Map.of(), false).project(ORDERS)).isNull();
    assertThat(new Scope(Set.of("other"), Set.of(), null, Map.of(), false).project(ORDERS)).isNull();
    assertThat(new Scope(Set.of(), Set.of(), null, Map.of("zone", "b"), false).project(ORDERS)).isNull();
    assertThat(new Scope(Set.of(), Set.of(), null, Map.of("zone", "a"), false).project(ORDERS)).isSameAs(ORDERS);
    assertThat(new Scope(Set.of("shop"), Set.of(), null, Map.of(), false).project(DB)).isNull();
    assertThat(new Scope(Set.of("shop"), Set.of(), null, Map.of(), true).project(DB)).isSameAs(DB);
    assertThat(Scope.ALL.project(ORDERS)).isSameAs(ORDERS);
  }

  @Test
  void scopesRoundTripThroughJson() {
    Scope scope = new Scope(Set.of("a", "b"), Set.of("data"), "external", Map.of("zone", "a"), true);
    assertThat(Scope.fromJson(scope.toJson())).isEqualTo(scope);
  }
}
