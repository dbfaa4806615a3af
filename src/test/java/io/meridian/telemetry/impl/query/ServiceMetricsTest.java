package io.meridian.telemetry.impl.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scenario ({@link MeshFixture#orders()}), window [300 s, 600 s]: the gateway sends {@code orders}
 * v1 1 req/s (200) + 0.1 req/s (503), v2 0.5 req/s with a counter reset; {@code frontend}'s sidecar
 * calls the v2 subset at 2 req/s, 10 % of them 5xx. Other services and tenants must not count.
 */
class ServiceMetricsTest {

  static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

  /** Verifies rate, error ratio and quantiles in total, per version and per source, from gateway and sidecar series. */
  @Test
  void addsGatewayAndSidecarTrafficByVersion() {
    JsonObject r = ServiceMetrics.compute("orders", "default", FIVE_MINUTES, MeshFixture.END, MeshFixture.orders().mesh());
    // requests: v1 300 + 30, v2 150 (gateway, reset handled) + 600 (sidecars); errors 30 + 60
    assertThat(r.getJsonObject("total").getDouble("rate")).isCloseTo(1080 / 300.0, within(1e-6));
    assertThat(r.getJsonObject("total").getDouble("errorRatio")).isCloseTo(90 / 1080.0, within(1e-6));
    JsonObject v1 = r.getJsonArray("versions").getJsonObject(0);
    JsonObject v2 = r.getJsonArray("versions").getJsonObject(1);
    assertThat(v1.getString("version")).isEqualTo("v1");
    assertThat(v1.getDouble("rate")).isCloseTo(1.1, within(1e-6));
    assertThat(v1.getDouble("errorRatio")).isCloseTo(30 / 330.0, within(1e-6));
    // 150 of 330 under 10 ms, 300 under 100 ms: p50 = 10 + 90 × 15/150 = 19 ms; p99 in +Inf → 100 ms
    assertThat(v1.getDouble("p50")).isCloseTo(19.0, within(1e-6));
    assertThat(v1.getDouble("p99")).isCloseTo(100.0, within(1e-6));
    assertThat(v2.getString("version")).isEqualTo("v2");
    assertThat(v2.getDouble("rate")).isCloseTo(750 / 300.0, within(1e-6));
    assertThat(v2.getDouble("errorRatio")).isCloseTo(60 / 750.0, within(1e-6));
    // the sidecars' histogram (ms): 300 under 5 ms, 600 under 25 ms: p50 = 5 ms
    assertThat(v2.getDouble("p50")).isCloseTo(5.0, within(1e-6));
    assertThat(r.getJsonObject("sources").getJsonObject("gateway").getDouble("rate")).isCloseTo(480 / 300.0, within(1e-6));
    assertThat(r.getJsonObject("sources").getJsonObject("sidecars").getDouble("rate")).isCloseTo(2.0, within(1e-6));
    assertThat(r.getJsonObject("sources").getJsonObject("sidecars").getDouble("errorRatio")).isCloseTo(0.1, within(1e-6));
    assertThat(r.getString("window")).isEqualTo("5m");
  }

  /** Verifies the timeline: ten points over the window, each a rate over at least a minute. */
  @Test
  void timelineHasPointsOverTheWindow() {
    JsonObject r = ServiceMetrics.compute("orders", "default", FIVE_MINUTES, MeshFixture.END, MeshFixture.orders().mesh());
    JsonObject timeline = r.getJsonObject("timeline");
    assertThat(timeline.getString("step")).isEqualTo("30s");
    assertThat(timeline.getString("range")).isEqualTo("1m");
    assertThat(timeline.getJsonArray("points")).hasSize(10);
    JsonObject last = timeline.getJsonArray("points").getJsonObject(9);
    assertThat(last.getLong("t")).isEqualTo(MeshFixture.END);
    // at the end: v1 1.1 + v2 0.5 + sidecars 2 = 3.6 req/s
    assertThat(last.getDouble("rate")).isCloseTo(3.6, within(1e-6));
  }

  /** Verifies that a service without series answers nulls, not zeros, and no versions. */
  @Test
  void noDataIsNullNotZero() {
    JsonObject r = ServiceMetrics.compute("nobody", "default", FIVE_MINUTES, MeshFixture.END, MeshFixture.orders().mesh());
    JsonObject total = r.getJsonObject("total");
    for (String field : List.of("rate", "errorRatio", "p50", "p90", "p99")) {
      assertThat(total.containsKey(field)).isTrue();
      assertThat(total.getValue(field)).as(field).isNull();
    }
    assertThat(r.getJsonArray("versions")).isEmpty();
    assertThat(r.getJsonObject("timeline").getJsonArray("points").getJsonObject(0).getValue("rate")).isNull();
  }

  /** Verifies that a service with traffic but no requests in the window has rate 0 and an undefined error ratio. */
  @Test
  void idleServiceHasZeroRateAndNullRatio() {
    MeshFixture f = new MeshFixture();
    f.gatewayCounts.add(MeshFixture.series(MeshSeries.GATEWAY_COUNT, t -> 42, MeshFixture.gw("default", "orders", "v1", "200")));
    JsonObject total = ServiceMetrics.compute("orders", "default", FIVE_MINUTES, MeshFixture.END, f.mesh()).getJsonObject("total");
    assertThat(total.getDouble("rate")).isEqualTo(0.0);
    assertThat(total.getValue("errorRatio")).isNull();
    assertThat(total.getValue("p99")).isNull();
  }

  /** Verifies the cluster names Meridian's xDS gives sidecars, and that other names are not taken for a service. */
  @Test
  void parsesMeridianClusterNames() {
    assertThat(EnvoyCluster.parse("outbound|8080|v2|orders.shop.svc.cluster.local"))
        .isEqualTo(new EnvoyCluster(8080, "v2", "orders", "shop"));
    assertThat(EnvoyCluster.parse("outbound|80||web.default.svc.cluster.local"))
        .isEqualTo(new EnvoyCluster(80, "", "web", "default"));
    for (String other : new String[] {"BlackHoleCluster", "inbound|8080||orders.shop.svc.cluster.local",
        "outbound|x||orders.shop.svc.cluster.local", "outbound|80||orders.svc.cluster.local", "outbound|80||orders.shop.example.com",
        "outbound|80|orders.shop.svc.cluster.local", null}) {
      assertThat(EnvoyCluster.parse(other)).as(other).isNull();
    }
  }
}
