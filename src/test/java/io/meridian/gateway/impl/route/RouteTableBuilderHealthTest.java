package io.meridian.gateway.impl.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.GatewayOptions;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How instance health shapes the gateway's route table. */
class RouteTableBuilderHealthTest {

  private static Instance instance(String id, String service, int port, String state) {
    JsonObject spec = new JsonObject("{\"id\":\"" + id + "\",\"endpoints\":[{\"plane\":\"default\",\"address\":\"10.0.0.1\"}],"
        + "\"services\":[{\"name\":\"" + service + "\",\"version\":\"v1\",\"port\":" + port + ",\"planes\":[\"default\"]}]}");
    return new Instance(InstanceSpec.fromJson(spec), 1, 1, 1, "t", "test", new HealthStatus(state, "", "t", "t"));
  }

  /**
   * Verifies that a service whose every instance is unhealthy stays in the table with no
   * endpoints (the gateway answers 503 "no healthy endpoint", not 404 "no route"), while only
   * passing instances become endpoints.
   */
  @Test
  void aServiceWithOnlyUnhealthyInstancesIsKnownWithoutEndpoints() {
    RouteTableBuilder builder = new RouteTableBuilder(GatewayOptions.fromJson(new JsonObject()));
    RouteTable table = builder.build(List.of(
        instance("sick-1", "sick", 8080, HealthStatus.CRITICAL),
        instance("sick-2", "sick", 8081, HealthStatus.WARNING),
        instance("ok-1", "mixed", 8082, HealthStatus.PASSING),
        instance("bad-1", "mixed", 8083, HealthStatus.CRITICAL)), List.of());

    ServiceRoutes sick = table.service("default", "sick");
    assertThat(sick).isNotNull();
    assertThat(sick.all().isEmpty()).isTrue();
    assertThat(sick.routes()[0].pick().cluster().pick(null, null)).isNull();
    assertThat(sick.versions().get("v1")).isNull();

    ServiceRoutes mixed = table.service("default", "mixed");
    assertThat(mixed.all().endpoints).extracting(e -> e.authority).containsExactly("10.0.0.1:8082");
    assertThat(table.service("default", "unknown")).isNull();
  }
}
