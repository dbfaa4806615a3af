package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian {@code prometheus}) scraping the real jar's {@code /metrics} and
 * {@code /federate}: two versions of a service expose their own counters, Meridian scrapes them
 * (found through their registry metrics binding) and adds the registry's labels, and Prometheus
 * graphs the service's error ratio by version from the federated series.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrometheusIT {

  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  static Path work;

  MeridianProcess node;
  String token;
  Process prometheus;
  int prometheusPort;
  final List<HttpServer> apps = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    int admin = MeridianProcess.freePort();
    Map<String, String> env = MeridianProcess.loopbackEnv(admin, work.resolve("m").resolve("data"));
    env.put("MERIDIAN_TELEMETRY_SCRAPE_INTERVAL", "1s");
    node = MeridianProcess.start(work.resolve("m"), env, admin);
    node.awaitReady(Duration.ofSeconds(60));
    token = MeridianProcess.adminToken(work.resolve("m").resolve("data"));

    // two versions of "orders" in tenant shop; v2 answers 1 error in 11 requests, v1 none
    register("orders-v1-1", "v1", app(0));
    register("orders-v2-1", "v2", app(1));

    prometheusPort = MeridianProcess.freePort();
    Path config = work.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: meridian
            authorization: {credentials: "%1$s"}
            static_configs: [{targets: ["127.0.0.1:%2$d"]}]
          - job_name: meridian-federate
            honor_labels: true
            metrics_path: /federate
            params: {"match[]": ['{tenant="shop"}']}
            authorization: {credentials: "%1$s"}
            static_configs: [{targets: ["127.0.0.1:%2$d"]}]
        """.formatted(token, admin));
    Path binary = Path.of("/usr/bin/prometheus");
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("Debian prometheus is not installed (scripts/setup installs it)");
    }
    prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
        "--web.listen-address=127.0.0.1:" + prometheusPort, "--storage.tsdb.path=" + work.resolve("tsdb"))
        .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
  }

  @AfterAll
  void stop() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
    apps.forEach(a -> a.stop(0));
    if (node != null) {
      node.close();
    }
  }

  /**
   * Verifies that Prometheus sees both of Meridian's endpoints up, that a scraped application
   * series carries the registry's tenant, service, version and plane labels in Prometheus, and
   * that the service's error ratio by version is computed from them.
   */
  @Test
  void prometheusGraphsTheErrorRatioByVersionWithRegistryLabels() throws Exception {
    JsonObject targets = awaitQuery("/api/v1/targets", Duration.ofSeconds(60), body -> {
      JsonArray active = body.getJsonObject("data").getJsonArray("activeTargets");
      return active.size() == 2 && active.stream().allMatch(t -> "up".equals(((JsonObject) t).getString("health")));
    });
    assertThat(targets.getJsonObject("data").getJsonArray("activeTargets")).hasSize(2);

    JsonObject series = awaitQuery(query("demo_requests_total{tenant=\"shop\",service=\"orders\",version=\"v2\",plane=\"default\"}"),
        Duration.ofSeconds(60), body -> !result(body).isEmpty());
    JsonObject metric = result(series).getJsonObject(0).getJsonObject("metric");
    assertThat(metric.getString("instance")).isEqualTo("orders-v2-1");
    assertThat(metric.getString("kind")).isEqualTo("mesh");

    // Meridian's own meters come through the direct scrape
    awaitQuery(query("meridian_build_info{job=\"meridian\"}"), Duration.ofSeconds(30), body -> !result(body).isEmpty());

    String ratio = "sum by (version) (rate(demo_requests_total{service=\"orders\",code=\"500\"}[10s]))"
        + " / sum by (version) (rate(demo_requests_total{service=\"orders\"}[10s]))";
    JsonObject byVersion = awaitQuery(query(ratio), Duration.ofSeconds(60), body -> result(body).size() == 2);
    for (Object r : result(byVersion)) {
      JsonObject row = (JsonObject) r;
      double value = Double.parseDouble(row.getJsonArray("value").getString(1));
      if (row.getJsonObject("metric").getString("version").equals("v2")) {
        assertThat(value).isCloseTo(1.0 / 11, org.assertj.core.data.Offset.offset(0.02));
      } else {
        assertThat(row.getJsonObject("metric").getString("version")).isEqualTo("v1");
        assertThat(value).isZero();
      }
    }
  }

  /** An application exposing {@code demo_requests_total} that grows by 10 ok (and {@code errors} 500s) per scrape. */
  HttpServer app(int errors) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicLong scrapes = new AtomicLong();
    server.createContext("/metrics", exchange -> {
      long n = scrapes.incrementAndGet();
      byte[] body = ("# HELP demo_requests_total Requests served\n# TYPE demo_requests_total counter\n"
          + "demo_requests_total{code=\"200\"} " + (10 * n) + "\n"
          + "demo_requests_total{code=\"500\"} " + (errors * n) + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    apps.add(server);
    return server;
  }

  void register(String id, String version, HttpServer app) throws Exception {
    int port = app.getAddress().getPort();
    JsonObject instance = new JsonObject().put("id", id).put("tenant", "shop")
        .put("endpoints", new JsonArray().add(new JsonObject().put("plane", "default").put("address", "127.0.0.1")))
        .put("services", new JsonArray().add(new JsonObject().put("name", "orders").put("version", version)
            .put("port", port).put("protocol", "http")
            .put("metrics", new JsonObject().put("path", "/metrics").put("port", port))));
    HttpResponse<String> r = node.send("POST", "/api/v1/instances", token, instance.encode());
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
  }

  static String query(String promql) {
    return "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8);
  }

  static JsonArray result(JsonObject body) {
    return body.getJsonObject("data").getJsonArray("result");
  }

  interface Check {
    boolean done(JsonObject body);
  }

  /** Polls Prometheus's HTTP API until {@code check} holds (a new target shows up only after some seconds). */
  JsonObject awaitQuery(String path, Duration timeout, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "nothing";
    while (System.nanoTime() < deadline) {
      if (!prometheus.isAlive()) {
        throw new AssertionError("prometheus exited:\n" + Files.readString(work.resolve("prometheus.log")));
      }
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + path))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() == 200) {
          JsonObject body = new JsonObject(r.body());
          if (check.done(body)) {
            return body;
          }
        }
      } catch (IOException notYet) {
        last = notYet.toString();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("Prometheus " + path + " did not get there within " + timeout + "; last answer: " + last
        + "\nMeridian targets: " + node.get("/api/v1/telemetry/targets", token).body());
  }
}
