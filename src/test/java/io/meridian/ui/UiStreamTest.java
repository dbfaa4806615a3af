package io.meridian.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.app.Node;
import io.meridian.common.config.ConfigLoader;
import io.meridian.ui.impl.UiEventStream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/ui/stream} on a real node (registry, rules and telemetry roles): changes
 * and summaries arrive, a burst is coalesced into a bounded number of events plus a resync,
 * heartbeats, the end on shutdown, and authentication by header or {@code ?access_token=}.
 */
class UiStreamTest {

  private static final String ADMIN = "ui-stream-test-admin-token-0123456789";
  private static final String FAST = "/api/v1/test/ui-stream-fast";

  @TempDir
  Path dir;

  private Node node;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final List<SseClient> streams = new ArrayList<>();

  private void start() throws Exception {
    Map<String, String> env = Map.of("MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0",
        "MERIDIAN_DATA_DIR", dir.toString(), "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0",
        "MERIDIAN_TELEMETRY_ZIPKIN_PORT", "0");
    var config = ConfigLoader.load(null, env, List.of(new ConfigLoader.Setting("roles", "registry,rules,telemetry"))).config();
    // the same stream with a 300 ms heartbeat, to see heartbeats without waiting 15 s
    UiEventStream.Settings fast = new UiEventStream.Settings(20, 300, 5_000, "1m");
    node = Node.start(config, router -> router.get(FAST).handler(ctx -> UiEventStream.start(node.vertx(), ctx, fast, "default")));
  }

  @AfterEach
  void stop() {
    streams.forEach(SseClient::close);
    if (node != null) {
      node.stop();
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + node.adminPort() + path;
  }

  private SseClient open(String path, String token) throws Exception {
    SseClient s = SseClient.open(http, url(path), token);
    streams.add(s);
    return s;
  }

  private HttpResponse<String> call(String method, String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + ADMIN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String instance(String id) {
    return new JsonObject().put("id", id)
        .put("endpoints", new JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
        .put("services", new JsonArray().add(new JsonObject().put("name", "orders").put("version", "v1").put("port", 9)))
        .encode();
  }

  /**
   * Verifies that one stream carries a hello, a registry change (compact: id, services,
   * tenant), a rule change (kind, name) and a telemetry summary of the tenant.
   */
  @Test
  void registryRuleAndTelemetryEventsArrive() throws Exception {
    start();
    SseClient s = open(UiHttpApi.STREAM, ADMIN);
    assertThat(s.status).isEqualTo(200);
    JsonObject hello = s.next(UiEventStream.HELLO, 10).data();
    assertThat(hello.getInteger("maxEventsPerSecond")).isEqualTo(20);
    assertThat(hello.getString("tenant")).isEqualTo("default");

    assertThat(call("POST", "/api/v1/instances", "application/json", instance("orders-1")).statusCode()).isEqualTo(201);
    JsonObject reg = s.next(UiEventStream.REGISTRY, 10).data();
    assertThat(reg.getString("type")).isEqualTo("registered");
    assertThat(reg.getString("id")).isEqualTo("orders-1");
    assertThat(reg.getJsonArray("services")).containsExactly("orders");
    assertThat(reg.getString("tenant")).isEqualTo("default");

    HttpResponse<String> applied = call("POST", "/api/v1/rules/apply", "application/yaml", """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: orders, namespace: default}
        spec:
          host: orders
          subsets: [{name: v1, labels: {version: v1}}]
        """);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    JsonObject rule = s.next(UiEventStream.RULES, 10).data();
    assertThat(rule.getString("kind")).isEqualTo("DestinationRule");
    assertThat(rule.getString("name")).isEqualTo("orders");
    assertThat(rule.getString("type")).isEqualTo("created");

    JsonObject summary = s.next(UiEventStream.TELEMETRY, 15).data();
    assertThat(summary.getString("tenant")).isEqualTo("default");
    assertThat(summary.getJsonArray("services")).as(summary.encode()).isNotNull();
  }

  /**
   * Verifies that 1,000 registrations as fast as the registry takes them reach the browser as
   * at most 20 registry events per second of the burst (plus one window), followed by
   * {@code resync} events, and that every registration is accounted for: delivered plus
   * coalesced is exactly 1,000.
   */
  @Test
  void aBurstOfRegistrationsIsCoalescedIntoBoundedEventsAndAResync() throws Exception {
    start();
    SseClient s = open(UiHttpApi.STREAM, ADMIN);
    s.next(UiEventStream.HELLO, 10);
    long started = System.nanoTime();
    List<CompletableFuture<HttpResponse<String>>> batch = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      batch.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url("/api/v1/instances"))).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(instance("burst-" + i))).build(), HttpResponse.BodyHandlers.ofString()));
      if (batch.size() == 50) {
        for (var f : batch) {
          assertThat(f.get().statusCode()).isEqualTo(201);
        }
        batch.clear();
      }
    }
    long burstMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
    // the last resync follows the last coalesced event; collect until every registration is accounted for
    long delivered = 0;
    long coalesced = 0;
    int resyncs = 0;
    while (delivered + coalesced < 1000) {
      SseClient.Event e = s.next(x -> x.name().equals(UiEventStream.REGISTRY) || x.name().equals(UiEventStream.RESYNC), 10);
      if (e.name().equals(UiEventStream.REGISTRY)) {
        delivered++;
      } else {
        assertThat(e.data().getString("type")).isEqualTo("registry");
        coalesced += e.data().getLong("coalesced");
        resyncs++;
      }
    }
    assertThat(delivered + coalesced).isEqualTo(1000);
    assertThat(resyncs).isPositive();
    long windows = burstMillis / 1000 + 2;
    assertThat(delivered).as("registry events for a burst of %d ms", burstMillis).isLessThanOrEqualTo(20 * windows);
    assertThat(resyncs).isLessThanOrEqualTo((int) windows);
  }

  /** Verifies that heartbeats come at the configured period and that stopping the node ends the stream with {@code bye}. */
  @Test
  void heartbeatsFlowAndTheStreamEndsWhenTheNodeStops() throws Exception {
    start();
    SseClient s = open(FAST, ADMIN);
    s.next(UiEventStream.HELLO, 10);
    long t1 = s.next(UiEventStream.HEARTBEAT, 10).data().getLong("time");
    long t2 = s.next(UiEventStream.HEARTBEAT, 10).data().getLong("time");
    assertThat(t2).isGreaterThan(t1);
    Thread stopper = new Thread(() -> node.stop());
    stopper.start();
    s.next(UiEventStream.BYE, 20);
    s.next("<end>", 20);
    stopper.join(30_000);
    node = null;
  }

  /**
   * Verifies the stream's authentication: no token 401; a bad token 401; the token as
   * {@code ?access_token=} works here (EventSource) but nowhere else; a role without read
   * permission (agent) 403; a bad tenant 400 naming it.
   */
  @Test
  void authenticatesByHeaderOrAccessTokenParameterOnlyHere() throws Exception {
    start();
    assertThat(open(UiHttpApi.STREAM, null).status).isEqualTo(401);
    assertThat(open(UiHttpApi.STREAM, "not-a-token").status).isEqualTo(401);
    assertThat(open(UiHttpApi.STREAM + "?access_token=not-a-token", null).status).isEqualTo(401);

    SseClient byQuery = open(UiHttpApi.STREAM + "?access_token=" + ADMIN, null);
    assertThat(byQuery.status).isEqualTo(200);
    byQuery.next(UiEventStream.HELLO, 10);
    HttpResponse<String> elsewhere = http.send(HttpRequest.newBuilder(URI.create(url("/api/v1/status?access_token=" + ADMIN)))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(elsewhere.statusCode()).isEqualTo(401);

    HttpResponse<String> created = call("POST", "/api/v1/tokens", "application/json", "{\"name\":\"agent-1\",\"role\":\"agent\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String agent = new JsonObject(created.body()).getString("token");
    assertThat(open(UiHttpApi.STREAM + "?access_token=" + agent, null).status).isEqualTo(403);
    assertThat(open(UiHttpApi.STREAM, agent).status).isEqualTo(403);

    SseClient badTenant = open(UiHttpApi.STREAM + "?tenant=Not_A_Label", ADMIN);
    assertThat(badTenant.status).isEqualTo(400);
  }
}
