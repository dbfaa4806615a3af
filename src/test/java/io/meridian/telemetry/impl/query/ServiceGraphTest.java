package io.meridian.telemetry.impl.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServiceGraphTest {

  static JsonObject edge(JsonObject graph, String source, String destination) {
    for (Object o : graph.getJsonArray("edges")) {
      JsonObject e = (JsonObject) o;
      if (e.getString("source").equals(source) && e.getString("destination").equals(destination)) {
        return e;
      }
    }
    throw new AssertionError("no edge " + source + " -> " + destination + " in " + graph.getJsonArray("edges").encode());
  }

  /** Verifies gateway → service and service → service edges (also cross-tenant), with rate, error ratio and p99. */
  @Test
  void edgesFromGatewayAndSidecars() {
    MeshFixture f = MeshFixture.orders();
    // billing in tenant "other" calls orders in "default"; in "other" alone: not in default's graph
    f.envoyTotals.add(MeshFixture.series(MeshSeries.ENVOY_TOTAL, MeshFixture.perSecond(3),
        "envoy_cluster_name", MeshFixture.ORDERS_V2, "service", "billing", "tenant", "other"));
    f.envoyTotals.add(MeshFixture.series(MeshSeries.ENVOY_TOTAL, MeshFixture.perSecond(3),
        "envoy_cluster_name", "outbound|80||ledger.other.svc.cluster.local", "service", "billing", "tenant", "other"));
    JsonObject g = ServiceGraph.compute("default", Duration.ofMinutes(5), MeshFixture.END, f.mesh());

    JsonObject gwOrders = edge(g, "gateway:edge", "orders");
    assertThat(gwOrders.getDouble("rate")).isCloseTo(480 / 300.0, within(1e-6));
    assertThat(gwOrders.getDouble("errorRatio")).isCloseTo(30 / 480.0, within(1e-6));
    assertThat(gwOrders.getDouble("p99")).isCloseTo(100.0, within(1e-6));
    assertThat(edge(g, "gateway:edge", "payments").getDouble("rate")).isCloseTo(50.0, within(1e-6));
    assertThat(edge(g, "gateway:edge", "payments").getValue("p99")).isNull();
    JsonObject feOrders = edge(g, "frontend", "orders");
    assertThat(feOrders.getDouble("rate")).isCloseTo(2.0, within(1e-6));
    assertThat(feOrders.getDouble("errorRatio")).isCloseTo(0.1, within(1e-6));
    assertThat(feOrders.getDouble("p99")).isCloseTo(24.6, within(1e-6)); // the 594th of 600: 5 + 20 × 294/300 ms
    assertThat(edge(g, "frontend", "payments").getDouble("rate")).isCloseTo(9.0, within(1e-6));
    assertThat(edge(g, "billing.other", "orders").getDouble("rate")).isCloseTo(3.0, within(1e-6));
    assertThat(g.getJsonArray("edges")).hasSize(5);

    JsonArray nodes = g.getJsonArray("nodes");
    assertThat(nodes.stream().map(o -> ((JsonObject) o).getString("id")))
        .containsExactlyInAnyOrder("billing.other", "frontend", "gateway:edge", "orders", "payments");
    assertThat(nodes.stream().map(o -> (JsonObject) o).filter(n -> n.getString("id").equals("gateway:edge")).findFirst().get()
        .getString("kind")).isEqualTo("gateway");
    assertThat(nodes.stream().map(o -> (JsonObject) o).filter(n -> n.getString("id").equals("billing.other")).findFirst().get()
        .getString("tenant")).isEqualTo("other");
  }

  /** Verifies that a tenant without traffic has an empty graph. */
  @Test
  void emptyWithoutSeries() {
    JsonObject g = ServiceGraph.compute("nobody", Duration.ofMinutes(5), MeshFixture.END, MeshFixture.orders().mesh());
    assertThat(g.getJsonArray("nodes")).isEmpty();
    assertThat(g.getJsonArray("edges")).isEmpty();
  }
}
