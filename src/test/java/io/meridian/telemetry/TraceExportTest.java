package io.meridian.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.meridian.gateway.GatewayComponentTest;
import io.meridian.gateway.GatewayTestNode;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Export from a real node: spans taken in by the Zipkin intake (here in proto3) leave for an OTLP
 * collector over HTTP or gRPC and for a Zipkin endpoint, each an in-process Vert.x server that
 * decodes what it receives.
 */
class TraceExportTest extends GatewayComponentTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";

  private final List<ExportTraceServiceRequest> otlp = new CopyOnWriteArrayList<>();
  private final List<JsonArray> zipkin = new CopyOnWriteArrayList<>();
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();

  private HttpServer listen(HttpServer server) throws Exception {
    HttpServer s = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    closing.add(() -> s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    return s;
  }

  /** An OTLP/HTTP collector: decodes {@code POST /v1/traces}; its first answer is a 503 (retried). */
  private int otlpHttpCollector() throws Exception {
    boolean[] refusedOnce = {false};
    return listen(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      contentTypes.add(req.getHeader("content-type"));
      if (!req.path().equals("/v1/traces")) {
        req.response().setStatusCode(404).end();
        return;
      }
      if (!refusedOnce[0]) {
        refusedOnce[0] = true;
        req.response().setStatusCode(503).end("busy");
        return;
      }
      try {
        otlp.add(ExportTraceServiceRequest.parseFrom(body.getBytes()));
        req.response().putHeader("content-type", "application/x-protobuf")
            .end(io.vertx.core.buffer.Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
      } catch (Exception e) {
        req.response().setStatusCode(400).end(e.toString());
      }
    }))).actualPort();
  }

  /** An OTLP/gRPC collector: Vert.x's gRPC server with the collector's {@code TraceService/Export}. */
  private int otlpGrpcCollector() throws Exception {
    GrpcServer grpc = GrpcServer.server(vertx);
    ServiceMethod<ExportTraceServiceRequest, ExportTraceServiceResponse> export = ServiceMethod.server(
        ServiceName.create("opentelemetry.proto.collector.trace.v1", "TraceService"), "Export",
        GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(ExportTraceServiceRequest.getDefaultInstance()));
    grpc.callHandler(export, request ->
        request.handler(message -> {
          otlp.add(message);
          request.response().end(ExportTraceServiceResponse.getDefaultInstance());
        }));
    return listen(vertx.createHttpServer().requestHandler(grpc)).actualPort();
  }

  /** A Zipkin endpoint: {@code POST /api/v2/spans} with JSON. */
  private int zipkinCollector() throws Exception {
    return listen(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      contentTypes.add(req.getHeader("content-type"));
      zipkin.add(new JsonArray(body));
      req.response().setStatusCode(202).end();
    }))).actualPort();
  }

  /** Posts one span in zipkin.proto3 to the node's intake. */
  private void postProtoSpan() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream span = CodedOutputStream.newInstance(bytes);
    span.writeBytes(1, ByteString.copyFrom(HexFormat.of().parseHex(TRACE)));
    span.writeBytes(3, ByteString.copyFrom(HexFormat.of().parseHex(SPAN)));
    span.writeEnum(4, 2); // SERVER
    span.writeString(5, "checkout");
    span.writeFixed64(6, System.currentTimeMillis() * 1000);
    span.writeUInt64(7, 1234);
    ByteArrayOutputStream endpoint = new ByteArrayOutputStream();
    CodedOutputStream e = CodedOutputStream.newInstance(endpoint);
    e.writeString(1, "shop");
    e.flush();
    span.writeByteArray(8, endpoint.toByteArray());
    span.flush();
    ByteArrayOutputStream list = new ByteArrayOutputStream();
    CodedOutputStream l = CodedOutputStream.newInstance(list);
    l.writeByteArray(1, bytes.toByteArray());
    l.flush();
    int port = gw.node.status().getJsonObject("ports").getInteger("zipkin");
    HttpResponse<String> r = gw.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v2/spans"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(list.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  private void startNode(Map<String, String> env) throws Exception {
    gw = GatewayTestNode.start(dir, env, "registry,rules,gateway,telemetry");
  }

  private void assertExportedToOtlp() throws Exception {
    gw.await(() -> "the span at the OTLP collector; content types seen " + contentTypes, () -> !otlp.isEmpty());
    ResourceSpans resource = otlp.get(0).getResourceSpans(0);
    assertThat(resource.getResource().getAttributes(0).getValue().getStringValue()).isEqualTo("shop");
    var span = resource.getScopeSpans(0).getSpans(0);
    assertThat(HexFormat.of().formatHex(span.getTraceId().toByteArray())).isEqualTo(TRACE);
    assertThat(HexFormat.of().formatHex(span.getSpanId().toByteArray())).isEqualTo(SPAN);
    assertThat(span.getName()).isEqualTo("checkout");
    assertThat(span.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(span.getEndTimeUnixNano() - span.getStartTimeUnixNano()).isEqualTo(1_234_000);
  }

  @Test
  void verifiesThatSpansAreExportedOverOtlpHttpAfterARetry() throws Exception {
    int port = otlpHttpCollector();
    startNode(Map.of("MERIDIAN_TELEMETRY_EXPORT_OTLP", "http://127.0.0.1:" + port + "/v1/traces"));
    postProtoSpan();
    assertExportedToOtlp();
    assertThat(contentTypes).hasSize(2).allMatch("application/x-protobuf"::equals);
    String metrics = gw.admin("GET", "/metrics", null, null).body();
    assertThat(metrics).containsPattern("meridian_telemetry_export_exported_total\\{endpoint=\"http://127.0.0.1:" + port
        + "/v1/traces\",exporter=\"otlp\"[^}]*} 1.0");
  }

  @Test
  void verifiesThatSpansAreExportedOverOtlpGrpc() throws Exception {
    int port = otlpGrpcCollector();
    startNode(Map.of("MERIDIAN_TELEMETRY_EXPORT_OTLP", "http://127.0.0.1:" + port,
        "MERIDIAN_TELEMETRY_EXPORT_OTLP_PROTOCOL", "grpc"));
    postProtoSpan();
    assertExportedToOtlp();
  }

  @Test
  void verifiesThatSpansAreExportedAsZipkinJson() throws Exception {
    int port = zipkinCollector();
    startNode(Map.of("MERIDIAN_TELEMETRY_EXPORT_ZIPKIN", "http://127.0.0.1:" + port + "/api/v2/spans"));
    postProtoSpan();
    gw.await("the span at the Zipkin endpoint", () -> !zipkin.isEmpty());
    JsonObject span = zipkin.get(0).getJsonObject(0);
    assertThat(span.getString("traceId")).isEqualTo(TRACE);
    assertThat(span.getString("id")).isEqualTo(SPAN);
    assertThat(span.getString("kind")).isEqualTo("SERVER");
    assertThat(span.getLong("duration")).isEqualTo(1234);
    assertThat(span.getJsonObject("localEndpoint").getString("serviceName")).isEqualTo("shop");
    assertThat(contentTypes.get(0)).isEqualTo("application/json");
  }
}
