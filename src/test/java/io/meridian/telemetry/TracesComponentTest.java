package io.meridian.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.verticle.ListenException;
import io.meridian.gateway.GatewayComponentTest;
import io.meridian.gateway.GatewayTestNode;
import io.meridian.gateway.TestBackend;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The trace half of the telemetry role in a real node: spans of gateway requests and spans posted
 * to the Zipkin-compatible intake reach the trace API.
 */
class TracesComponentTest extends GatewayComponentTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  private int zipkinPort;

  private void start(Map<String, String> extra) throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("MERIDIAN_GATEWAY_TRACING_SAMPLING", "1.0",
        "MERIDIAN_TELEMETRY_TRACES_MAX_BODY_SIZE", "4096"));
    env.putAll(extra);
    gw = GatewayTestNode.start(dir, env, "registry,rules,gateway,telemetry");
    zipkinPort = gw.node.status().getJsonObject("ports").getInteger("zipkin");
  }

  static String span(String traceId, String id, String parentId, String service, String name, long ts, long duration) {
    JsonObject s = new JsonObject().put("traceId", traceId).put("id", id).put("name", name).put("timestamp", ts)
        .put("duration", duration).put("localEndpoint", new JsonObject().put("serviceName", service));
    if (parentId != null) {
      s.put("parentId", parentId);
    }
    return s.encode();
  }

  HttpResponse<String> post(String contentType, String encoding, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + zipkinPort + "/api/v2/spans"))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (encoding != null) {
      b.header("Content-Encoding", encoding);
    }
    return gw.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonObject get(String path) throws Exception {
    HttpResponse<String> r = gw.admin("GET", path, null, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private boolean listed(String query, String traceId) throws Exception {
    return get("/api/v1/traces" + query).getJsonArray("traces").stream()
        .anyMatch(t -> ((JsonObject) t).getString("traceId").equals(traceId));
  }

  private void awaitListed(String query, String traceId) throws InterruptedException {
    gw.await("trace " + traceId + " in /api/v1/traces" + query, () -> {
      try {
        return listed(query, traceId);
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void verifiesThatAGatewayRequestAppearsInTheTraceApiAsServerAndClientSpansInATree() throws Exception {
    start(Map.of());
    TestBackend backend = backend("traced");
    gw.register(backend.registration("t-1", "traced", "v1"));
    gw.awaitRoute("/api/traced/");
    // no trace headers: sampling 1.0 starts a trace; the backend sees its id in traceparent
    JsonObject seen = new JsonObject(gw.get("/api/traced/x").body());
    String traceId = seen.getJsonObject("headers").getString("traceparent").split("-")[1];

    awaitListed("?service=meridian-gateway&limit=1000", traceId);
    JsonObject summary = get("/api/v1/traces?service=meridian-gateway&limit=1000").getJsonArray("traces").stream()
        .map(JsonObject.class::cast).filter(t -> t.getString("traceId").equals(traceId)).findFirst().orElseThrow();
    assertThat(summary.getString("rootName")).isEqualTo("GET traced");
    assertThat(summary.getInteger("spanCount")).isEqualTo(2);
    assertThat(summary.getLong("duration")).isPositive();

    JsonObject trace = get("/api/v1/traces/" + traceId);
    assertThat(trace.getJsonArray("spans")).hasSize(2);
    JsonArray roots = trace.getJsonArray("roots");
    assertThat(roots).hasSize(1);
    JsonObject server = roots.getJsonObject(0);
    assertThat(server.getString("kind")).isEqualTo("SERVER");
    assertThat(server.getLong("startOffset")).isZero();
    JsonObject client = server.getJsonArray("children").getJsonObject(0);
    assertThat(client.getString("kind")).isEqualTo("CLIENT");
    assertThat(client.getString("parentId")).isEqualTo(server.getString("id"));
    assertThat(client.getLong("startOffset")).isNotNegative();
    assertThat(client.getLong("duration")).isPositive().isLessThanOrEqualTo(server.getLong("duration"));
    assertThat(client.getJsonObject("remoteEndpoint").getInteger("port")).isEqualTo(backend.port);
    assertThat(seen.getJsonObject("headers").getString("traceparent")).contains(client.getString("id"));
  }

  @Test
  void verifiesThatZipkinSpansPostedToTheIntakeAppearInTheTraceApi() throws Exception {
    start(Map.of());
    long now = System.currentTimeMillis() * 1000;
    String batch = "[" + span(TRACE, "00f067aa0ba902b7", null, "frontend", "get /", now, 9000) + ","
        + span(TRACE, "00f067aa0ba902b8", "00f067aa0ba902b7", "backend", "select", now + 1000, 4000) + "]";
    HttpResponse<String> r = post("application/json", null, batch.getBytes());
    assertThat(r.statusCode()).isEqualTo(202);

    awaitListed("?service=backend&minDuration=5ms", TRACE);
    assertThat(listed("?service=backend&minDuration=10ms", TRACE)).isFalse();
    JsonObject trace = get("/api/v1/traces/" + TRACE);
    JsonObject root = trace.getJsonArray("roots").getJsonObject(0);
    assertThat(root.getString("name")).isEqualTo("get /");
    JsonObject child = root.getJsonArray("children").getJsonObject(0);
    assertThat(child.getString("name")).isEqualTo("select");
    assertThat(child.getLong("startOffset")).isEqualTo(1000);
    assertThat(child.getDouble("durationMs")).isEqualTo(4.0);

    // gzip, as Zipkin reporters send it; a 64-bit trace id is found under its 16 digits
    String shortTrace = "a3ce929d0e0e4736";
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(("[" + span(shortTrace, "00f067aa0ba902b9", null, "zipped", "gz", now, 10) + "]").getBytes());
    }
    assertThat(post("application/json; charset=utf-8", "gzip", gz.toByteArray()).statusCode()).isEqualTo(202);
    gw.await("the gzipped span", () -> {
      try {
        return gw.admin("GET", "/api/v1/traces/" + shortTrace, null, null).statusCode() == 200;
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void verifiesThatABusyZipkinPortFailsTheStartNamingItsKey() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> start(Map.of("MERIDIAN_TELEMETRY_ZIPKIN_PORT", Integer.toString(taken.getLocalPort()))))
          .isInstanceOf(ListenException.class)
          .hasMessageContaining("telemetry.zipkin.port").hasMessageContaining(Integer.toString(taken.getLocalPort()))
          .hasMessageContaining("in use");
    }
  }

  @Test
  void verifiesThatBadBatchesAreRefusedWholeWithTheFieldNamedAndNothingStored() throws Exception {
    start(Map.of());
    long now = System.currentTimeMillis() * 1000;
    String other = "5bf92f3577b34da6a3ce929d0e0e4736";
    String batch = "[" + span(other, "00f067aa0ba902b7", null, "frontend", "ok", now, 10) + ","
        + span("xyz", "00f067aa0ba902b8", null, "frontend", "bad", now, 10) + "]";
    HttpResponse<String> bad = post("application/json", null, batch.getBytes());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(bad.body()).getJsonObject("error").getString("field")).isEqualTo("[1].traceId");
    HttpResponse<String> notJson = post("application/json", null, "[{".getBytes());
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(notJson.body()).getJsonObject("error").getString("message")).contains("not valid JSON");
    assertThat(post("text/plain", null, "[]".getBytes()).statusCode()).isEqualTo(415);
    HttpResponse<String> tooBig = post("application/json", null, ("[" + "\"x\",".repeat(2000) + "1]").getBytes());
    assertThat(tooBig.statusCode()).isEqualTo(413);

    // a good batch afterwards is stored; the refused one's first span never was
    String good = "5cf92f3577b34da6a3ce929d0e0e4736";
    assertThat(post(null, null, ("[" + span(good, "00f067aa0ba902b7", null, "frontend", "ok", now, 10) + "]").getBytes())
        .statusCode()).isEqualTo(202);
    awaitListed("", good);
    HttpResponse<String> missing = gw.admin("GET", "/api/v1/traces/" + other, null, null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("code")).isEqualTo("not_found");

    HttpResponse<String> badParam = gw.admin("GET", "/api/v1/traces?minDuration=abc", null, null);
    assertThat(badParam.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badParam.body()).getJsonObject("error").getString("field")).isEqualTo("minDuration");
    HttpResponse<String> badId = gw.admin("GET", "/api/v1/traces/not-hex", null, null);
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badId.body()).getJsonObject("error").getString("field")).isEqualTo("traceId");
  }
}
