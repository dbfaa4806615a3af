package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trace context through the gateway and the spans it sends to the telemetry role. */
class TracingTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN = "00f067aa0ba902b7";

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private GatewayTestNode gw;
  private TestBackend backend;

  @AfterEach
  void tearDown() throws Exception {
    if (backend != null) {
      backend.close();
    }
    if (gw != null) {
      gw.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private ConcurrentLinkedQueue<JsonObject> start() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of("MERIDIAN_GATEWAY_TRACING_SAMPLING", "0"));
    ConcurrentLinkedQueue<JsonObject> spans = new ConcurrentLinkedQueue<>();
    gw.node.vertx().eventBus().<JsonArray>consumer(Addresses.TELEMETRY_SPANS,
        m -> m.body().forEach(s -> spans.add((JsonObject) s)));
    backend = TestBackend.start(vertx, "traced");
    gw.register(backend.registration("t-1", "traced", "v1"));
    gw.awaitRoute("/api/traced/");
    return spans;
  }

  private static JsonObject span(ConcurrentLinkedQueue<JsonObject> spans, String kind, String traceId) {
    return spans.stream().filter(s -> kind.equals(s.getString("kind")) && traceId.equals(s.getString("traceId")))
        .findFirst().orElse(null);
  }

  @Test
  void aSampledCallerGetsAServerSpanAndAClientSpanWhoseContextGoesUpstream() throws Exception {
    ConcurrentLinkedQueue<JsonObject> spans = start();
    JsonObject seen = new JsonObject(gw.get("/api/traced/x", "traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01").body());
    String upstream = seen.getJsonObject("headers").getString("traceparent");
    assertThat(upstream).startsWith("00-" + TRACE + "-").endsWith("-01").doesNotContain(CALLER_SPAN);

    gw.await("both spans", () -> span(spans, "SERVER", TRACE) != null && span(spans, "CLIENT", TRACE) != null);
    JsonObject server = span(spans, "SERVER", TRACE);
    JsonObject client = span(spans, "CLIENT", TRACE);
    assertThat(server.getString("parentId")).isEqualTo(CALLER_SPAN);
    assertThat(server.getString("name")).isEqualTo("GET traced");
    assertThat(server.getJsonObject("tags").getString("http.response.status_code")).isEqualTo("200");
    assertThat(server.getJsonObject("tags").getString("meridian.service")).isEqualTo("traced");
    assertThat(server.getJsonObject("localEndpoint").getString("serviceName")).isEqualTo("meridian-gateway");
    assertThat(client.getString("parentId")).isEqualTo(server.getString("id"));
    assertThat(upstream).isEqualTo("00-" + TRACE + "-" + client.getString("id") + "-01");
    assertThat(client.getJsonObject("remoteEndpoint").getInteger("port")).isEqualTo(backend.port);
    assertThat(client.getJsonObject("remoteEndpoint").getString("serviceName")).isEqualTo("traced");
    assertThat(client.getLong("duration")).isPositive();
  }

  @Test
  void b3CallersAreUnderstoodAndAnsweredInB3() throws Exception {
    ConcurrentLinkedQueue<JsonObject> spans = start();
    String shortTrace = "a3ce929d0e0e4736";
    JsonObject headers = new JsonObject(gw.get("/api/traced/x", "X-B3-TraceId", shortTrace, "X-B3-SpanId", CALLER_SPAN,
        "X-B3-Sampled", "1").body()).getJsonObject("headers");
    String longTrace = "0000000000000000" + shortTrace;
    assertThat(headers.getString("x-b3-traceid")).isEqualTo(longTrace);
    assertThat(headers.getString("x-b3-sampled")).isEqualTo("1");
    assertThat(headers.getString("traceparent")).startsWith("00-" + longTrace + "-");
    gw.await("the server span", () -> span(spans, "SERVER", longTrace) != null);
    assertThat(span(spans, "SERVER", longTrace).getString("parentId")).isEqualTo(CALLER_SPAN);
    assertThat(headers.getString("x-b3-parentspanid")).isEqualTo(span(spans, "SERVER", longTrace).getString("id"));
  }

  @Test
  void anUnsampledRequestSendsNoSpansButItsDecisionGoesUpstream() throws Exception {
    ConcurrentLinkedQueue<JsonObject> spans = start();
    for (int i = 0; i < 20; i++) {
      String upstream = new JsonObject(gw.get("/api/traced/x").body()).getJsonObject("headers").getString("traceparent");
      assertThat(upstream).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
    }
    // a caller's "not sampled" is followed too
    String notSampled = "00-" + TRACE + "-" + CALLER_SPAN + "-00";
    String upstream = new JsonObject(gw.get("/api/traced/x", "traceparent", notSampled).body()).getJsonObject("headers")
        .getString("traceparent");
    assertThat(upstream).startsWith("00-" + TRACE + "-").endsWith("-00");
    // a sampled request afterwards proves the exporter runs; none of the above were sent
    gw.get("/api/traced/x", "traceparent", "00-" + TRACE.replace('4', '5') + "-" + CALLER_SPAN + "-01");
    gw.await("the sampled request's spans", () -> span(spans, "SERVER", TRACE.replace('4', '5')) != null);
    assertThat(spans).allSatisfy(s -> assertThat(s.getString("traceId")).isEqualTo(TRACE.replace('4', '5')));
    assertThat(List.copyOf(spans)).hasSize(2);
  }
}
