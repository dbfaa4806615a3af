package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GET /api/v1/gateway/gateways} on a real node: the gateway's identity, scope, listeners and live view size. */
class GatewaysApiTest extends GatewayComponentTest {

  private JsonArray gateways() throws Exception {
    HttpResponse<String> r = gw.admin("GET", "/api/v1/gateway/gateways", null, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("gateways");
  }

  /**
   * Verifies that the node's gateway is listed with the configured name, tier, tenants, plane,
   * visibility and (no) labels, its bound port, TLS off and readiness, and that {@code instances}
   * counts only what its scope holds (its tenant), following registrations.
   */
  @Test
  void listsTheGatewayWithItsScopeAndTheInstancesItSees() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of("MERIDIAN_GATEWAY_NAME", "edge-a", "MERIDIAN_GATEWAY_TENANTS", "acme",
        "MERIDIAN_GATEWAY_VISIBILITY", "any"));
    JsonArray list = gateways();
    assertThat(list).hasSize(1);
    JsonObject g = list.getJsonObject(0);
    assertThat(g.getString("node")).isEqualTo(gw.node.nodeId());
    assertThat(g.getString("name")).isEqualTo("edge-a");
    assertThat(g.getString("tier")).isEqualTo("tenant");
    assertThat(g.getJsonArray("tenants")).containsExactly("acme");
    assertThat(g.getString("plane")).isEqualTo("default");
    assertThat(g.getString("visibility")).isEqualTo("any");
    assertThat(g.getJsonObject("labels").getMap()).isEmpty();
    assertThat(g.getJsonObject("ports").getInteger("gateway")).isEqualTo(gw.gatewayPort);
    assertThat(g.getBoolean("tls")).isFalse();
    assertThat(g.getBoolean("ready")).isTrue();
    assertThat(g.getInteger("instances")).isZero();

    gw.register(instance("in-scope", "acme", "z1"));
    gw.register(instance("other-tenant", "beta", "z1"));
    gw.await("the gateway's view to hold the one instance in its scope", () -> {
      try {
        return gateways().getJsonObject(0).getInteger("instances") == 1;
      } catch (Exception e) {
        return false;
      }
    });
    gw.register(instance("in-scope-2", "acme", "z1"));
    gw.await("the gateway's view to hold two instances", () -> {
      try {
        return gateways().getJsonObject(0).getInteger("instances") == 2;
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** Verifies that the list needs a token (401 without one). */
  @Test
  void needsAToken() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    HttpResponse<String> r = gw.http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + gw.node.adminPort() + "/api/v1/gateway/gateways"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(401);
  }

  private static String instance(String id, String tenant, String zone) {
    return new JsonObject().put("id", id).put("tenant", tenant).put("labels", new JsonObject().put("zone", zone))
        .put("endpoints", new JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
        .put("services", new JsonArray().add(new JsonObject().put("name", "svc").put("version", "v1").put("port", 9)))
        .encode();
  }
}
