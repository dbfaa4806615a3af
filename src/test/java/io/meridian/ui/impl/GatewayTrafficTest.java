package io.meridian.ui.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The telemetry summary of the UI stream: gateway edges of the service graph per service. */
class GatewayTrafficTest {

  /**
   * Verifies that gateway → service edges of several gateways are added per service (error
   * ratio weighted by rate, the largest p99), service → service edges are left out, and a
   * service without error data keeps a null ratio.
   */
  @Test
  void sumsGatewayEdgesPerService() {
    JsonObject graph = new JsonObject("""
        {"edges":[
          {"source":"gateway:a","destination":"orders","rate":3.0,"errorRatio":0.0,"p99":20.0},
          {"source":"gateway:b","destination":"orders","rate":1.0,"errorRatio":0.4,"p99":50.0},
          {"source":"frontend","destination":"orders","rate":100.0,"errorRatio":1.0,"p99":900.0},
          {"source":"gateway:a","destination":"shop","rate":0.0,"errorRatio":null,"p99":null}]}
        """);
    var out = UiEventStream.gatewayTraffic(graph);
    assertThat(out).hasSize(2);
    JsonObject orders = out.getJsonObject(0);
    assertThat(orders.getString("service")).isEqualTo("orders");
    assertThat(orders.getDouble("rate")).isEqualTo(4.0);
    assertThat(orders.getDouble("errorRatio")).isEqualTo(0.1);
    assertThat(orders.getDouble("p99")).isEqualTo(50.0);
    JsonObject shop = out.getJsonObject(1);
    assertThat(shop.getDouble("rate")).isEqualTo(0.0);
    assertThat(shop.getValue("errorRatio")).isNull();
    assertThat(shop.getValue("p99")).isNull();
  }
}
