package io.meridian.telemetry.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.app.Node;
import io.meridian.common.config.ConfigLoader;
import io.meridian.common.store.Store;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.meridian.common.verticle.RoleContext;
import io.meridian.telemetry.impl.series.Family;
import io.meridian.telemetry.impl.series.Sample;
import io.meridian.telemetry.impl.series.SeriesStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node's admin server (token checks, routing, error rendering) in front of a telemetry
 * role deployed on the node's Vert.x, its series store fed directly (as the scraper does):
 * {@code /federate}, {@code /api/v1/metrics/service}, {@code /api/v1/graph}.
 */
class SeriesApiComponentTest {

  static final String ADMIN = "series-test-admin-token-0123456789";

  @TempDir
  static Path dir;
  static Node node;
  static Store store;
  static SeriesStore series;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  static final int MANY = 12_000;

  @BeforeAll
  static void start() throws Exception {
    Map<String, String> env = new HashMap<>(Map.of(
        "MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0", "MERIDIAN_DATA_DIR", dir.resolve("node").toString(),
        "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0"));
    node = Node.start(ConfigLoader.load(null, env, List.of(new ConfigLoader.Setting("roles", "registry"))).config(), null);
    store = EmbeddedStore.open(dir.resolve("telemetry"), null);
    TelemetryVerticle telemetry = new TelemetryVerticle(new RoleContext("n", store, t -> null, new SimpleMeterRegistry()));
    // the store is fed by the test alone (no scraper); the span intake on a free loopback port
    JsonObject config = new JsonObject().put("telemetry", new JsonObject()
        .put("zipkin", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("scrape", new JsonObject().put("enabled", false)));
    node.vertx().deployVerticle(telemetry, new DeploymentOptions().setConfig(config))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    series = telemetry.seriesStore();
    feed();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.stop();
    }
    if (store != null) {
      store.close();
    }
  }

  /** Five minutes of gateway and sidecar traffic up to now, and many series of one family. */
  static void feed() {
    long now = System.currentTimeMillis();
    List<Family> families = List.of(new Family("meridian_gateway_requests_seconds", "histogram", ""),
        new Family("envoy_cluster_upstream_rq_total", "counter", ""), new Family("many", "gauge", ""));
    for (int i = 20; i >= 0; i--) {
      long t = now - i * 15_000L;
      double s = (20 - i) * 15.0;
      List<Sample> gateway = List.of(
          sample("meridian_gateway_requests_seconds_count", s, "gateway", "edge", "tenant", "default", "service", "orders",
              "version", "v1", "route", "r", "status", "200"),
          sample("meridian_gateway_requests_seconds_count", s / 10, "gateway", "edge", "tenant", "default", "service", "orders",
              "version", "v1", "route", "r", "status", "500"));
      series.ingest("node-1", t, gateway, families);
      List<Sample> sidecar = List.of(sample("envoy_cluster_upstream_rq_total", s * 2, "envoy_cluster_name",
          "outbound|8080|v2|orders.default.svc.cluster.local", "service", "frontend", "tenant", "default"));
      series.ingest("frontend-1", t, sidecar, families);
    }
    List<Sample> many = new ArrayList<>();
    for (int i = 0; i < MANY; i++) {
      many.add(sample("many", i, "i", Integer.toString(i)));
    }
    series.ingest("many-target", now, many, families);
  }

  static Sample sample(String name, double value, String... labels) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      map.put(labels[i], labels[i + 1]);
    }
    return new Sample(name, map, value);
  }

  static HttpResponse<String> get(String pathAndQuery, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + pathAndQuery))
        .timeout(Duration.ofSeconds(30)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String match(String selector) {
    return "match%5B%5D=" + URLEncoder.encode(selector, StandardCharsets.UTF_8);
  }

  /** Verifies that /federate needs a token by default (like /metrics when closed) and answers Prometheus text with timestamps. */
  @Test
  void federateAnswersTextFormatBehindTheToken() throws Exception {
    assertThat(get("/federate?" + match("meridian_gateway_requests_seconds_count"), null).statusCode()).isEqualTo(401);
    HttpResponse<String> r = get("/federate?" + match("meridian_gateway_requests_seconds_count{status=~\"5..\"}")
        + "&" + match("envoy_cluster_upstream_rq_total"), ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(r.body().lines().toList()).containsExactly(
        "# TYPE envoy_cluster_upstream_rq_total counter",
        r.body().lines().toList().get(1),
        "# TYPE meridian_gateway_requests_seconds histogram",
        r.body().lines().toList().get(3));
    assertThat(r.body().lines().toList().get(1)).startsWith("envoy_cluster_upstream_rq_total{")
        .contains("envoy_cluster_name=\"outbound|8080|v2|orders.default.svc.cluster.local\"").matches(".*} 600 \\d{13}$");
    assertThat(r.body().lines().toList().get(3)).contains("status=\"500\"").matches(".*} 30 \\d{13}$");
  }

  /** Verifies that a big answer arrives whole over several pages, each family's TYPE line once. */
  @Test
  void federateStreamsManyPages() throws Exception {
    HttpResponse<String> r = get("/federate?" + match("many"), ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    List<String> lines = r.body().lines().toList();
    assertThat(lines).hasSize(MANY + 1);
    assertThat(lines.get(0)).isEqualTo("# TYPE many gauge");
    assertThat(lines.stream().filter(l -> l.startsWith("many{")).map(l -> l.substring(0, l.indexOf('}'))).distinct().count())
        .isEqualTo(MANY);
  }

  /** Verifies that a missing or malformed match[] is a 400 naming match[]. */
  @Test
  void federateRefusesBadSelectors() throws Exception {
    for (String query : new String[] {"", "?" + match("up{job=x}"), "?" + match("{}")}) {
      HttpResponse<String> r = get("/federate" + query, ADMIN);
      assertThat(r.statusCode()).as(query).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getJsonObject("error").getString("field")).isEqualTo("match[]");
    }
  }

  /** Verifies the service metrics query over HTTP and its 400s (name required, window bounded). */
  @Test
  void serviceMetrics() throws Exception {
    HttpResponse<String> r = get("/api/v1/metrics/service?name=orders&window=5m", ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getString("tenant")).isEqualTo("default");
    // gateway 1 + 0.1 req/s, sidecars 2 req/s
    assertThat(body.getJsonObject("total").getDouble("rate")).isBetween(3.0, 3.2);
    assertThat(body.getJsonObject("total").getDouble("errorRatio")).isBetween(0.03, 0.04);
    assertThat(body.getJsonArray("versions").stream().map(v -> ((JsonObject) v).getString("version"))).containsExactly("v1", "v2");
    assertThat(get("/api/v1/metrics/service?name=orders", null).statusCode()).isEqualTo(401);
    for (String[] bad : new String[][] {{"?tenant=default", "name"}, {"?name=orders&window=30s", "window"},
        {"?name=orders&window=2h", "window"}, {"?name=orders&window=soon", "window"}}) {
      HttpResponse<String> e = get("/api/v1/metrics/service" + bad[0], ADMIN);
      assertThat(e.statusCode()).as(bad[0]).isEqualTo(400);
      assertThat(new JsonObject(e.body()).getJsonObject("error").getString("field")).isEqualTo(bad[1]);
    }
  }

  /** Verifies the service graph over HTTP: gateway → orders and frontend → orders. */
  @Test
  void graph() throws Exception {
    HttpResponse<String> r = get("/api/v1/graph?tenant=default", ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getJsonArray("edges").stream().map(e -> ((JsonObject) e).getString("source") + "->"
        + ((JsonObject) e).getString("destination"))).containsExactly("frontend->orders", "gateway:edge->orders");
    assertThat(get("/api/v1/graph?window=0s", ADMIN).statusCode()).isEqualTo(400);
  }

  /** Verifies the store's figures over HTTP. */
  @Test
  void seriesStats() throws Exception {
    JsonObject stats = new JsonObject(get("/api/v1/telemetry/series", ADMIN).body());
    assertThat(stats.getInteger("series")).isEqualTo(MANY + 3);
    assertThat(stats.getLong("bytes")).isPositive();
  }
}
