package io.meridian.it;

import static io.meridian.it.GatewayHttp.await;
import static io.meridian.it.GatewayHttp.instance;
import static io.meridian.it.GatewayHttp.register;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The telemetry role on the real jar, all roles in one node, scraping every second (2 s
 * timeout) with every gateway request traced: scrape containment with real misbehaving
 * targets, the canary-analysis data path (gateway meters → the node's own scrape over the bus →
 * series → service metrics and graph), a gateway request's trace in the trace API, and bad
 * input over the real admin API. Real Prometheus and Zipkin are in {@link PrometheusIT} and
 * {@link ZipkinIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetryIT {

  /** The gateway's name (default config): its spans' service and its graph node. */
  static final String GATEWAY = "meridian-gateway";
  /** The scrape size limit (default config). */
  static final long MAX_BODY = 8 * 1024 * 1024;

  @TempDir
  static Path work;

  MeridianProcess node;
  String token;
  int gateway;
  final List<AutoCloseable> peers = new CopyOnWriteArrayList<>();

  @BeforeAll
  void start() throws Exception {
    int admin = MeridianProcess.freePort();
    Map<String, String> env = MeridianProcess.loopbackEnv(admin, work.resolve("m").resolve("data"));
    env.put("MERIDIAN_TELEMETRY_SCRAPE_INTERVAL", "1s");
    env.put("MERIDIAN_TELEMETRY_SCRAPE_TIMEOUT", "2s");
    env.put("MERIDIAN_GATEWAY_TRACING_SAMPLING", "1.0");
    node = MeridianProcess.start(work.resolve("m"), env, admin);
    node.awaitReady(Duration.ofSeconds(40));
    token = MeridianProcess.adminToken(work.resolve("m").resolve("data"));
    gateway = node.boundPort("gateway", token);
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable peer : peers) {
      peer.close();
    }
    if (node != null) {
      node.close();
    }
  }

  /**
   * Verifies the issue's containment contract on the real jar: of four registered targets, the
   * one that accepts and never answers is down with a timeout, the one answering HTML with a
   * parse error, the one streaming 10 MB of series with the size error, and none of their series
   * is kept (only {@code up 0}); the healthy one stays up, its last scrape keeps advancing with
   * no failure, its series are federated with the registry's labels, and the node stays ready.
   */
  @Test
  void misbehavingTargetsAreContainedWhileAHealthyOneKeepsBeingScraped() throws Exception {
    HangingTarget hang = peer(new HangingTarget());
    HttpServer garbage = metricsServer(exchange -> answer(exchange, 200, "text/html",
        "<html><body>Not Prometheus</body></html>".getBytes(StandardCharsets.UTF_8)));
    HttpServer big = metricsServer(TelemetryIT::tenMegabytesOfSeries);
    AtomicLong healthyScrapes = new AtomicLong();
    HttpServer healthy = metricsServer(exchange -> answer(exchange, 200, "text/plain; version=0.0.4",
        ("# TYPE healthy_scrapes_total counter\nhealthy_scrapes_total{path=\"/metrics\"} " + healthyScrapes.incrementAndGet()
            + "\n").getBytes(StandardCharsets.UTF_8)));
    registerScraped("hang-1", "hang", hang.port());
    registerScraped("garbage-1", "garbage", garbage.getAddress().getPort());
    registerScraped("big-1", "big", big.getAddress().getPort());
    registerScraped("healthy-1", "healthy", healthy.getAddress().getPort());

    JsonObject first = targets(await("every target scraped with its outcome", Duration.ofSeconds(20),
        () -> node.get("/api/v1/telemetry/targets?kind=registry", token), r -> {
          Map<String, JsonObject> t = targets(r);
          return error(t, "hang").startsWith("timeout")
              && error(t, "garbage").startsWith("parse error")
              && error(t, "big").equals("body exceeds " + MAX_BODY + " bytes")
              && t.containsKey("healthy") && "up".equals(t.get("healthy").getString("health"));
        })).get("healthy");
    assertThat(first.getJsonObject("labels").getMap()).containsAllEntriesOf(Map.of(
        "tenant", "scrape", "service", "healthy", "version", "v1", "instance", "healthy-1", "plane", "default", "kind", "mesh"));

    JsonObject later = targets(await("the healthy target scraped again", Duration.ofSeconds(20),
        () -> node.get("/api/v1/telemetry/targets?kind=registry", token),
        r -> targets(r).get("healthy").getLong("scrapes") >= first.getLong("scrapes") + 2)).get("healthy");
    assertThat(later.getString("health")).isEqualTo("up");
    assertThat(Instant.parse(later.getString("lastScrape"))).isAfter(Instant.parse(first.getString("lastScrape")));
    assertThat(later.getLong("failures")).isZero();
    assertThat(later.getString("lastError")).isNull();

    String healthySeries = federate("healthy_scrapes_total").lines().filter(l -> l.startsWith("healthy_scrapes_total{"))
        .findFirst().orElseThrow(() -> new AssertionError("healthy_scrapes_total is not federated"));
    for (String label : List.of("tenant=\"scrape\"", "service=\"healthy\"", "version=\"v1\"", "instance=\"healthy-1\"",
        "plane=\"default\"", "kind=\"mesh\"", "path=\"/metrics\"")) {
      assertThat(healthySeries).contains(label);
    }
    // of the tenant's targets only the healthy one's samples are kept; the others have up 0
    // (job!="meridian": the node's own meters count the tenant's instances too)
    Map<String, Double> up = new HashMap<>();
    for (String line : federate("{tenant=\"scrape\",job!=\"meridian\"}").lines().filter(l -> !l.startsWith("#")).toList()) {
      String name = line.substring(0, line.indexOf('{'));
      assertThat(name).as(line).isIn("healthy_scrapes_total", "up", "scrape_duration_seconds", "scrape_samples_scraped");
      if (name.equals("up")) {
        up.put(labelValue(line, "service"), value(line));
      }
    }
    assertThat(up).containsExactlyInAnyOrderEntriesOf(Map.of("hang", 0.0, "garbage", 0.0, "big", 0.0, "healthy", 1.0));
    assertThat(hang.accepted()).as("the hanging target was asked").isPositive();
    assertThat(node.get("/ready", null).statusCode()).isEqualTo(200);
  }

  /**
   * Verifies the canary-analysis data path end to end: requests through the gateway to two
   * versions of a service (v2 failing 1 in 8) are counted by the gateway's meters, scraped from
   * the node over the bus every second, and come back from {@code /api/v1/metrics/service} as
   * each version's rate, error ratio (0 for v1, ≈ 1/8 for v2) and p50/p99, and from
   * {@code /api/v1/graph} as the gateway → service edge.
   */
  @Test
  void gatewayTrafficGivesEachVersionsRedMetricsAndTheGraphEdge() throws Exception {
    HttpBackend v1 = peer(HttpBackend.start("orders-v1", "v1"));
    HttpBackend v2 = peer(HttpBackend.failingEvery("orders-v2", "v2", 8));
    register(node, token, instance("orders-v1", "default", "orders", "v1", v1.port()));
    register(node, token, instance("orders-v2", "default", "orders", "v2", v2.port()));
    // unpinned requests (no version label) until the gateway routes to both: no pinned request meets a version it does not know yet
    await("both versions of orders routable", Duration.ofSeconds(20), () -> GatewayHttp.get(gateway, "/api/orders/warm"),
        r -> v1.requests() > 0 && v2.requests() > 0);

    // a first point of every series before the measured traffic (increase() cannot count what precedes a series' first point);
    // 8 consecutive requests to v2 meet exactly one of its failures
    Map<String, Integer> sent = new HashMap<>();
    for (int i = 0; i < 8; i++) {
      send(sent, "v1");
      send(sent, "v2");
    }
    awaitGatewayCounts(sent);
    for (int i = 0; i < 160; i++) {
      send(sent, "v1");
      send(sent, "v2");
      if (i % 8 == 7) {
        Thread.sleep(20); // spread over several scrapes
      }
    }
    assertThat(sent).containsOnlyKeys("v1 200", "v2 200", "v2 500").containsEntry("v2 500", 21);
    awaitGatewayCounts(sent);

    JsonObject metrics = json(node.get("/api/v1/metrics/service?name=orders&tenant=default&window=1m", token));
    JsonObject m1 = version(metrics, "v1");
    JsonObject m2 = version(metrics, "v2");
    for (JsonObject m : List.of(m1, m2)) {
      assertThat(m.getDouble("rate")).as(m.encode()).isPositive();
      assertThat(m.getDouble("p50")).as(m.encode()).isNotNull().isPositive();
      assertThat(m.getDouble("p99")).as(m.encode()).isNotNull().isGreaterThanOrEqualTo(m.getDouble("p50"));
    }
    assertThat(m1.getDouble("errorRatio")).as(m1.encode()).isZero();
    assertThat(m2.getDouble("errorRatio")).as(m2.encode()).isCloseTo(1.0 / 8, within(0.03));
    assertThat(metrics.getJsonObject("sources").getJsonObject("gateway").getDouble("rate")).isPositive();

    JsonObject graph = json(node.get("/api/v1/graph?tenant=default&window=1m", token));
    JsonObject edge = graph.getJsonArray("edges").stream().map(JsonObject.class::cast)
        .filter(e -> e.getString("source").equals("gateway:" + GATEWAY) && e.getString("destination").equals("orders"))
        .findFirst().orElseThrow(() -> new AssertionError("no gateway → orders edge in " + graph.encodePrettily()));
    assertThat(edge.getDouble("rate")).isPositive();
    assertThat(edge.getDouble("errorRatio")).as(edge.encode()).isCloseTo(20.0 / 320, within(0.03));
    assertThat(edge.getDouble("p99")).isNotNull();
    assertThat(graph.getJsonArray("nodes").stream().map(n -> ((JsonObject) n).getString("id")))
        .contains("gateway:" + GATEWAY, "orders");
  }

  /**
   * Verifies the gateway issue's last point on the real jar: a request without trace headers is
   * traced by the gateway (sampling 1.0), its trace is listed by the trace API for the gateway's
   * service and shown as the server span with the client span nested under it, the client span
   * being the parent the upstream was told about in {@code traceparent}.
   */
  @Test
  void aGatewayRequestsTraceIsListedAndShownAsATree() throws Exception {
    HttpBackend backend = peer(HttpBackend.start("ledger-1", "v1"));
    register(node, token, instance("ledger-1", "default", "ledger", "v1", backend.port()));
    HttpResponse<String> answer = await("ledger routable", Duration.ofSeconds(20),
        () -> GatewayHttp.get(gateway, "/api/ledger/entries"), r -> r.statusCode() == 200);
    String traceparent = GatewayHttp.seen(answer).getJsonObject("headers").getString("traceparent");
    assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
    String traceId = traceparent.substring(3, 35);
    String clientSpan = traceparent.substring(36, 52);

    await("the trace listed for " + GATEWAY, Duration.ofSeconds(20),
        () -> node.get("/api/v1/traces?service=" + GATEWAY + "&limit=1000", token),
        r -> r.statusCode() == 200 && json(r).getJsonArray("traces").stream()
            .anyMatch(t -> traceId.equals(((JsonObject) t).getString("traceId"))));
    JsonObject trace = json(await("both spans of the trace", Duration.ofSeconds(20),
        () -> node.get("/api/v1/traces/" + traceId, token), r -> r.statusCode() == 200 && json(r).getInteger("spanCount") == 2));
    assertThat(trace.getJsonArray("roots")).hasSize(1);
    JsonObject server = trace.getJsonArray("roots").getJsonObject(0);
    assertThat(server.getString("kind")).isEqualTo("SERVER");
    assertThat(server.getJsonObject("localEndpoint").getString("serviceName")).isEqualTo(GATEWAY);
    assertThat(server.getJsonObject("tags").getString("meridian.service")).isEqualTo("ledger");
    assertThat(server.getJsonArray("children")).hasSize(1);
    JsonObject client = server.getJsonArray("children").getJsonObject(0);
    assertThat(client.getString("kind")).isEqualTo("CLIENT");
    assertThat(client.getString("id")).isEqualTo(clientSpan);
    assertThat(client.getString("parentId")).isEqualTo(server.getString("id"));
    assertThat(client.getJsonObject("remoteEndpoint").getInteger("port")).isEqualTo(backend.port());
    assertThat(client.getLong("startOffset")).isBetween(0L, server.getLong("duration"));
  }

  /**
   * Verifies that bad requests to the telemetry API of the real jar are refused: the service
   * metrics without {@code name} and {@code /federate} without {@code match[]} with 400 naming
   * the field, {@code /federate} without a token with 401.
   */
  @Test
  void badRequestsAreRefusedNamingTheField() throws Exception {
    HttpResponse<String> noName = node.get("/api/v1/metrics/service?tenant=default", token);
    assertThat(noName.statusCode()).isEqualTo(400);
    assertThat(json(noName).getJsonObject("error").getString("field")).isEqualTo("name");

    HttpResponse<String> noMatch = node.get("/federate", token);
    assertThat(noMatch.statusCode()).isEqualTo(400);
    assertThat(json(noMatch).getJsonObject("error").getString("field")).isEqualTo("match[]");

    HttpResponse<String> noToken = node.get("/federate?match%5B%5D=up", null);
    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(noToken.body()).doesNotContain("up{");
  }

  // --- canary helpers ---

  /** A request to {@code version} of orders, counted in {@code sent} as "version status". */
  void send(Map<String, Integer> sent, String version) throws Exception {
    HttpResponse<String> r = GatewayHttp.get(gateway, "/api/orders/" + version + "/items");
    assertThat(new JsonObject(r.body()).getString("version")).as(r.body()).isEqualTo(version);
    sent.merge(version + " " + r.statusCode(), 1, Integer::sum);
  }

  /** Waits until the federated gateway counts of orders by version and status are exactly {@code sent}. */
  void awaitGatewayCounts(Map<String, Integer> sent) throws Exception {
    await("the gateway's counts " + sent + " scraped", Duration.ofSeconds(20),
        () -> node.get("/federate?match%5B%5D=" + encode("meridian_gateway_requests_seconds_count{service=\"orders\",version!=\"\"}"), token),
        r -> {
          Map<String, Integer> counted = new HashMap<>();
          r.body().lines().filter(l -> l.startsWith("meridian_gateway_requests_seconds_count{")).forEach(l ->
              counted.merge(labelValue(l, "version") + " " + labelValue(l, "status"), (int) value(l), Integer::sum));
          return counted.equals(sent);
        });
  }

  static JsonObject version(JsonObject metrics, String version) {
    return metrics.getJsonArray("versions").stream().map(JsonObject.class::cast)
        .filter(v -> version.equals(v.getString("version"))).findFirst()
        .orElseThrow(() -> new AssertionError("no version " + version + " in " + metrics.encodePrettily()));
  }

  // --- scrape helpers ---

  /** Registers {@code id} in tenant scrape as version v1 of {@code service} with metrics on {@code port}. */
  void registerScraped(String id, String service, int port) throws Exception {
    JsonObject binding = new JsonObject().put("name", service).put("version", "v1").put("port", port).put("protocol", "http")
        .put("metrics", new JsonObject().put("path", "/metrics").put("port", port));
    register(node, token, new JsonObject().put("id", id).put("tenant", "scrape")
        .put("endpoints", new JsonArray().add(new JsonObject().put("plane", "default").put("address", "127.0.0.1")))
        .put("services", new JsonArray().add(binding)));
  }

  /** The registry targets of {@code /api/v1/telemetry/targets} by service. */
  static Map<String, JsonObject> targets(HttpResponse<String> r) {
    Map<String, JsonObject> byService = new HashMap<>();
    if (r.statusCode() == 200) {
      for (Object t : json(r).getJsonArray("targets")) {
        JsonObject target = (JsonObject) t;
        byService.put(target.getJsonObject("labels").getString("service"), target);
      }
    }
    return byService;
  }

  static String error(Map<String, JsonObject> targets, String service) {
    JsonObject t = targets.get(service);
    String error = t == null ? null : t.getString("lastError");
    return t != null && "down".equals(t.getString("health")) && error != null ? error : "";
  }

  String federate(String selector) throws Exception {
    HttpResponse<String> r = node.get("/federate?match%5B%5D=" + encode(selector), token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  /** Handles one exchange of a scrape target. */
  interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  /** A JDK HTTP server on 127.0.0.1 answering {@code /metrics} with {@code handler}. */
  HttpServer metricsServer(Handler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/metrics", exchange -> {
      try (exchange) {
        handler.handle(exchange);
      } catch (IOException cut) {
        // the scraper closed the connection (e.g. past its size limit)
      }
    });
    server.start();
    peers.add(() -> server.stop(0));
    return server;
  }

  static void answer(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  /** 10 MB of distinct, well-formed series, streamed (chunked: the size is known only by reading). */
  static void tenMegabytesOfSeries(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    out.write("# TYPE big_series gauge\n".getBytes(StandardCharsets.US_ASCII));
    long written = 0;
    int n = 0;
    StringBuilder block = new StringBuilder(70_000);
    while (written < 10_000_000) {
      block.setLength(0);
      while (block.length() < 64_000) {
        block.append("big_series{shard=\"").append(n % 64).append("\",n=\"").append(n).append("\"} ").append(n).append('\n');
        n++;
      }
      byte[] bytes = block.toString().getBytes(StandardCharsets.US_ASCII);
      out.write(bytes);
      written += bytes.length;
    }
  }

  /** A target that accepts connections and never answers (holds them until closed). */
  static final class HangingTarget implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    HangingTarget() throws IOException {
      acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            held.add(server.accept());
          } catch (IOException closed) {
            return;
          }
        }
      }, "hanging-target");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int accepted() {
      return held.size();
    }

    @Override
    public void close() throws Exception {
      server.close();
      for (Socket s : held) {
        s.close();
      }
      acceptor.join(5000);
    }
  }

  // --- general helpers ---

  <T extends AutoCloseable> T peer(T peer) {
    peers.add(peer);
    return peer;
  }

  static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The value of label {@code name} in a sample line of the text format ({@code ""} when absent). */
  static String labelValue(String line, String name) {
    int at = line.indexOf(name + "=\"");
    while (at > 0 && line.charAt(at - 1) != '{' && line.charAt(at - 1) != ',') {
      at = line.indexOf(name + "=\"", at + 1);
    }
    if (at < 0) {
      return "";
    }
    int from = at + name.length() + 2;
    return line.substring(from, line.indexOf('"', from));
  }

  /** The value of a federated sample line ({@code name{labels} value timestamp}). */
  static double value(String line) {
    String[] parts = line.substring(line.lastIndexOf('}') + 1).trim().split(" ");
    return Double.parseDouble(parts[0]);
  }
}
