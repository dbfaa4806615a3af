package io.meridian.app;

import io.meridian.testing.Examples;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the registry's REST API on a real node: permissions, status codes, errors and the SSE stream. */
class RegistryRestTest {

  static final String ADMIN = "rest-test-admin-token";
  static final String ORDERS = Examples.orders();

  @TempDir
  Path dir;

  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  Node node;
  String agent;
  String viewer;

  @BeforeEach
  void start() throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0",
        "MERIDIAN_DATA_DIR", dir.toString(), "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0",
        "MERIDIAN_REGISTRY_PLANES", "[{name: data, cidrs: [10.0.0.0/8]}, {name: mgmt, cidrs: [192.168.0.0/16]}]",
        "MERIDIAN_REGISTRY_EVENTS_RETAINED", "100"));
    node = Node.start(ConfigLoader.load(null, env, List.of(new ConfigLoader.Setting("roles", "registry"))).config(), null);
    agent = new JsonObject(send("POST", "/api/v1/tokens", ADMIN, "{\"name\":\"agent\",\"role\":\"agent\"}").body()).getString("token");
    viewer = new JsonObject(send("POST", "/api/v1/tokens", ADMIN, "{\"name\":\"viewer\",\"role\":\"viewer\"}").body()).getString("token");
  }

  @AfterEach
  void stop() {
    node.stop();
  }

  HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String errorField(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("field");
  }

  @Test
  void agentsRegisterHeartbeatAndDeregisterButCannotRead() throws Exception {
    HttpResponse<String> created = send("POST", "/api/v1/instances", agent, ORDERS);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/instances/orders-7f9c");
    JsonObject instance = new JsonObject(created.body());
    assertThat(instance.getString("id")).isEqualTo("orders-7f9c");
    assertThat(instance.getLong("revision")).isEqualTo(1);
    assertThat(instance.getString("registeredBy")).isEqualTo("agent");

    assertThat(send("POST", "/api/v1/instances", agent, ORDERS).statusCode()).isEqualTo(200);
    assertThat(send("PUT", "/api/v1/instances/orders-7f9c/heartbeat", agent, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/api/v1/instances/orders-7f9c", agent, null).statusCode()).isEqualTo(403);
    assertThat(send("POST", "/api/v1/instances", viewer, ORDERS).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/api/v1/instances/orders-7f9c", viewer, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/api/v1/instances", null, null).statusCode()).isEqualTo(401);
    assertThat(send("DELETE", "/api/v1/instances/orders-7f9c", agent, null).statusCode()).isEqualTo(204);
    assertThat(send("GET", "/api/v1/instances/orders-7f9c", viewer, null).statusCode()).isEqualTo(404);
    assertThat(send("DELETE", "/api/v1/instances/orders-7f9c", agent, null).statusCode()).isEqualTo(404);
    assertThat(send("PUT", "/api/v1/instances/orders-7f9c/heartbeat", agent, null).statusCode()).isEqualTo(404);
  }

  @Test
  void listsAndPlaneScopedEndpointsWithTheIndexHeader() throws Exception {
    send("POST", "/api/v1/instances", ADMIN, ORDERS);
    HttpResponse<String> endpoints = send("GET", "/api/v1/services/orders/endpoints?tenant=shop&plane=data", viewer, null);
    assertThat(endpoints.statusCode()).isEqualTo(200);
    assertThat(endpoints.headers().firstValue("X-Meridian-Index")).isPresent();
    assertThat(endpoints.body()).contains("10.1.0.5:8080").doesNotContain("192.168.5.5");
    JsonObject services = new JsonObject(send("GET", "/api/v1/services?tenant=shop", viewer, null).body());
    assertThat(services.getJsonArray("services").getJsonObject(0).getString("name")).isEqualTo("orders");
    assertThat(services.getJsonArray("services").getJsonObject(0).getInteger("healthy")).isEqualTo(1);
    JsonObject byPlane = new JsonObject(send("GET", "/api/v1/instances?plane=mgmt&kind=mesh", viewer, null).body());
    assertThat(byPlane.getJsonArray("instances")).hasSize(1);
    JsonObject view = new JsonObject(send("GET", "/api/v1/registry/view?tenant=shop&plane=data&visibility=external", viewer, null).body());
    assertThat(view.encode()).contains("10.1.0.5").doesNotContain("192.168.5.5");
  }

  @Test
  void thePlanesInEffectAreListedForReaders() throws Exception {
    HttpResponse<String> planes = send("GET", "/api/v1/registry/planes", viewer, null);
    assertThat(planes.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(planes.body())).isEqualTo(new JsonObject("""
        {"strictPlanes": true, "declared": true, "planes": [
          {"name": "data", "cidrs": ["10.0.0.0/8"]}, {"name": "mgmt", "cidrs": ["192.168.0.0/16"]}]}"""));
    assertThat(send("GET", "/api/v1/registry/planes", agent, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/api/v1/registry/planes", null, null).statusCode()).isEqualTo(401);
    assertThat(errorField(send("GET", "/api/v1/registry/planes?tenant=x", viewer, null))).isEqualTo("tenant");
  }

  @Test
  void badRequestsAreRejectedWithTheirField() throws Exception {
    assertThat(errorField(send("POST", "/api/v1/instances", ADMIN, ORDERS.replace("\"10.1.0.5\"", "\"192.168.1.1\""))))
        .isEqualTo("endpoints[0].address");
    assertThat(errorField(send("GET", "/api/v1/instances?tenant=Shop", viewer, null))).isEqualTo("tenant");
    assertThat(errorField(send("GET", "/api/v1/instances?colour=red", viewer, null))).isEqualTo("colour");
    assertThat(errorField(send("GET", "/api/v1/services/orders/endpoints?tenant=shop", viewer, null))).isEqualTo("plane");
    assertThat(errorField(send("GET", "/api/v1/instances?index=1&wait=1h", viewer, null))).isEqualTo("wait");
    assertThat(errorField(send("PUT", "/api/v1/instances/x/heartbeat", ADMIN, "{\"state\":\"passing\"}"))).isEqualTo("state");
    HttpResponse<String> big = send("POST", "/api/v1/instances", ADMIN, ORDERS.replace("\"zone\": \"a\"",
        "\"zone\": \"a\", \"big\": \"" + "x".repeat(70_000) + "\""));
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(send("GET", "/api/v1/instances", viewer, null).body()).getJsonArray("instances")).isEmpty();
  }

  @Test
  void theEventStreamDeliversChangesAndResumesFromLastEventId() throws Exception {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + "/api/v1/events?tenant=shop"))
        .header("Authorization", "Bearer " + viewer).build();
    HttpResponse<java.util.stream.Stream<String>> stream = http.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    Thread reader = new Thread(() -> stream.body().forEach(lines::add));
    reader.setDaemon(true);
    reader.start();
    send("POST", "/api/v1/instances", ADMIN, ORDERS.replace("\"tenant\": \"shop\"", "\"tenant\": \"other\""));
    send("POST", "/api/v1/instances", ADMIN, ORDERS.replace("orders-7f9c", "orders-1"));
    List<String> event = nextEvent(lines);
    assertThat(event).anySatisfy(l -> assertThat(l).isEqualTo("event: registered"));
    assertThat(event).anySatisfy(l -> assertThat(l).startsWith("data: ").contains("\"id\":\"orders-1\""));
    long id = Long.parseLong(event.stream().filter(l -> l.startsWith("id: ")).findFirst().orElseThrow().substring(4));

    // resume from just before that event: it is delivered again, then nothing else
    BlockingQueue<String> resumed = new LinkedBlockingQueue<>();
    HttpRequest again = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + "/api/v1/events?tenant=shop"))
        .header("Authorization", "Bearer " + viewer).header("Last-Event-ID", Long.toString(id - 1)).build();
    HttpResponse<java.util.stream.Stream<String>> second = http.send(again, HttpResponse.BodyHandlers.ofLines());
    Thread reader2 = new Thread(() -> second.body().forEach(resumed::add));
    reader2.setDaemon(true);
    reader2.start();
    assertThat(nextEvent(resumed)).contains("id: " + id);

    // far behind (only 100 events kept): a reset tells the client to reload
    for (int i = 0; i < 120; i++) {
      send("POST", "/api/v1/instances", ADMIN, ORDERS.replace("orders-7f9c", "bulk-" + i).replace("\"tenant\": \"shop\"", "\"tenant\": \"other\""));
    }
    BlockingQueue<String> stale = new LinkedBlockingQueue<>();
    HttpRequest old = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + "/api/v1/events"))
        .header("Authorization", "Bearer " + viewer).header("Last-Event-ID", "1").build();
    HttpResponse<java.util.stream.Stream<String>> third = http.send(old, HttpResponse.BodyHandlers.ofLines());
    Thread reader3 = new Thread(() -> third.body().forEach(stale::add));
    reader3.setDaemon(true);
    reader3.start();
    assertThat(nextEvent(stale)).contains("event: reset");
  }

  /** The lines of the next SSE event (skipping comments). */
  private static List<String> nextEvent(BlockingQueue<String> lines) throws InterruptedException {
    List<String> event = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(100, TimeUnit.MILLISECONDS);
      if (line == null) {
        continue;
      }
      if (line.isEmpty()) {
        if (!event.isEmpty()) {
          return event;
        }
      } else if (!line.startsWith(":")) {
        event.add(line);
      }
    }
    throw new AssertionError("no event within 10 s; got " + event);
  }
}
