package io.meridian.it;

import static io.meridian.it.GatewayHttp.instance;
import static io.meridian.it.GatewayHttp.register;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Zipkin server (the {@code zipkin-server} exec jar from Maven Central, in-memory
 * storage) receives what the real Meridian jar exports: the spans of a request through the
 * gateway and spans posted to Meridian's Zipkin-compatible intake, which also appear in
 * Meridian's own trace API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZipkinIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String GATEWAY_TRACE = "5af7183fb1d4cf5f5af7183fb1d4cf5f";
  private static final String CALLER_SPAN = "00f067aa0ba902b7";

  @TempDir
  static Path work;

  private Process zipkin;
  private int zipkinPort;
  private MeridianProcess node;
  private String token;
  private HttpBackend backend;

  @BeforeAll
  void start() throws Exception {
    Path jar = Path.of(System.getProperty("zipkin.jar", "target/it-tools/zipkin-server.jar"));
    assertThat(jar).as("the Zipkin server jar (mvn verify copies it to target/it-tools)").exists();
    zipkinPort = MeridianProcess.freePort();
    ProcessBuilder zb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
        "-jar", jar.toString(), "--armeria.ports[0].port=" + zipkinPort, "--armeria.ports[0].ip=127.0.0.1",
        "--armeria.ports[0].protocols=http")
        .redirectOutput(work.resolve("zipkin.log").toFile()).redirectErrorStream(true);
    zb.environment().put("STORAGE_TYPE", "mem");
    zipkin = zb.start();

    int admin = MeridianProcess.freePort();
    Map<String, String> env = MeridianProcess.loopbackEnv(admin, work.resolve("m").resolve("data"));
    env.put("MERIDIAN_GATEWAY_TRACING_SAMPLING", "1.0");
    env.put("MERIDIAN_TELEMETRY_EXPORT_ZIPKIN", "http://127.0.0.1:" + zipkinPort + "/api/v2/spans");
    env.put("MERIDIAN_TELEMETRY_EXPORT_RETRIES", "8");
    node = MeridianProcess.start(work.resolve("m"), env, admin, "--roles", "registry,rules,gateway,telemetry");
    node.awaitReady(Duration.ofSeconds(60));
    token = MeridianProcess.adminToken(work.resolve("m").resolve("data"));
    backend = HttpBackend.start("checkout-1", "v1");
    register(node, token, instance("checkout-1", "default", "checkout", "v1", backend.port()));

    await(Duration.ofSeconds(60), () -> "Zipkin healthy; its log: " + log(), () -> status(zipkinUri("/health")) == 200);
  }

  @AfterAll
  void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
    if (node != null) {
      node.close();
    }
    if (zipkin != null) {
      zipkin.destroy();
      if (!zipkin.waitFor(20, TimeUnit.SECONDS)) {
        zipkin.destroyForcibly();
      }
    }
  }

  @Test
  void theSpansOfAGatewayRequestArriveInZipkin() throws Exception {
    int gateway = node.boundPort("gateway", token);
    await(Duration.ofSeconds(20), () -> "a route to checkout", () -> {
      HttpResponse<String> r = GatewayHttp.get(gateway, "/api/checkout/ping");
      return r.statusCode() == 200 && r.headers().firstValue("x-meridian-gateway").isEmpty();
    });
    HttpResponse<String> r = GatewayHttp.get(gateway, "/api/checkout/cart",
        "traceparent", "00-" + GATEWAY_TRACE + "-" + CALLER_SPAN + "-01");
    assertThat(r.statusCode()).isEqualTo(200);

    JsonArray spans = awaitZipkinTrace(GATEWAY_TRACE, 2);
    JsonObject server = find(spans, "SERVER");
    JsonObject client = find(spans, "CLIENT");
    assertThat(server.getString("parentId")).isEqualTo(CALLER_SPAN);
    assertThat(client.getString("parentId")).isEqualTo(server.getString("id"));
    assertThat(server.getJsonObject("localEndpoint").getString("serviceName")).isEqualTo("meridian-gateway");
    assertThat(client.getJsonObject("remoteEndpoint").getInteger("port")).isEqualTo(backend.port());

    // and Meridian's own trace API shows the same tree
    JsonObject trace = new JsonObject(node.get("/api/v1/traces/" + GATEWAY_TRACE, token).body());
    JsonObject root = trace.getJsonArray("roots").getJsonObject(0);
    assertThat(root.getString("id")).isEqualTo(server.getString("id"));
    assertThat(root.getJsonArray("children").getJsonObject(0).getString("id")).isEqualTo(client.getString("id"));
  }

  @Test
  void zipkinSpansPostedToMeridiansIntakeAppearInItsTraceApiAndInZipkin() throws Exception {
    String traceId = "6bf92f3577b34da6a3ce929d0e0e4736";
    long now = System.currentTimeMillis() * 1000;
    String batch = new JsonArray()
        .add(new JsonObject().put("traceId", traceId).put("id", "1000000000000001").put("kind", "SERVER")
            .put("name", "get /orders").put("timestamp", now).put("duration", 5000)
            .put("localEndpoint", new JsonObject().put("serviceName", "orders").put("ipv4", "127.0.0.1")))
        .add(new JsonObject().put("traceId", traceId).put("id", "1000000000000002").put("parentId", "1000000000000001")
            .put("kind", "CLIENT").put("name", "select").put("timestamp", now + 500).put("duration", 2000)
            .put("localEndpoint", new JsonObject().put("serviceName", "orders"))
            .put("remoteEndpoint", new JsonObject().put("serviceName", "postgres").put("port", 5432))
            .put("tags", new JsonObject().put("db.system", "postgresql")))
        .encode();
    int intake = node.boundPort("zipkin", token);
    HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + intake + "/api/v2/spans"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(batch)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(posted.statusCode()).isEqualTo(202);

    JsonObject list = new JsonObject(node.get("/api/v1/traces?service=orders&minDuration=4ms", token).body());
    assertThat(list.getJsonArray("traces").getJsonObject(0).getString("traceId")).isEqualTo(traceId);
    JsonObject trace = new JsonObject(node.get("/api/v1/traces/" + traceId, token).body());
    JsonObject child = trace.getJsonArray("roots").getJsonObject(0).getJsonArray("children").getJsonObject(0);
    assertThat(child.getString("name")).isEqualTo("select");
    assertThat(child.getLong("startOffset")).isEqualTo(500);

    JsonArray inZipkin = awaitZipkinTrace(traceId, 2);
    assertThat(find(inZipkin, "CLIENT").getJsonObject("tags").getString("db.system")).isEqualTo("postgresql");
    assertThat(find(inZipkin, "CLIENT").getJsonObject("remoteEndpoint").getString("serviceName")).isEqualTo("postgres");
  }

  private JsonArray awaitZipkinTrace(String traceId, int spans) throws Exception {
    JsonArray[] found = {null};
    await(Duration.ofSeconds(30), () -> "trace " + traceId + " in Zipkin; Meridian metrics: " + exportMetrics(), () -> {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(zipkinUri("/api/v2/trace/" + traceId))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return false;
      }
      found[0] = new JsonArray(r.body());
      return found[0].size() >= spans;
    });
    return found[0];
  }

  private static JsonObject find(JsonArray spans, String kind) {
    return spans.stream().map(JsonObject.class::cast).filter(s -> kind.equals(s.getString("kind"))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " span in " + spans.encodePrettily()));
  }

  private URI zipkinUri(String path) {
    return URI.create("http://127.0.0.1:" + zipkinPort + path);
  }

  private int status(URI uri) {
    try {
      return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private String exportMetrics() {
    try {
      return node.get("/metrics", token).body().lines().filter(l -> l.startsWith("meridian_telemetry_export")).toList().toString();
    } catch (Exception e) {
      return e.toString();
    }
  }

  private String log() {
    try {
      List<String> lines = Files.readAllLines(work.resolve("zipkin.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (Exception e) {
      return e.toString();
    }
  }

  /** A check that may throw (counts as not yet). */
  interface Check {
    boolean ok() throws Exception;
  }

  private void await(Duration timeout, Supplier<String> what, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean ok;
      try {
        ok = check.ok();
      } catch (Exception e) {
        ok = false;
      }
      if (ok) {
        return;
      }
      if (!zipkin.isAlive()) {
        throw new AssertionError("Zipkin exited: " + log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what.get());
      }
      Thread.sleep(200);
    }
  }
}
