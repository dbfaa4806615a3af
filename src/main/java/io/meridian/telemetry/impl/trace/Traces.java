package io.meridian.telemetry.impl.trace;

import io.meridian.common.config.ExportOptions;
import io.meridian.common.config.ListenerOptions;
import io.meridian.common.config.TraceOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.Listeners;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The trace half of the telemetry role, as the verticle wires it: the store, the exporters, the
 * intake (bus consumer on {@code meridian.telemetry.spans} and the Zipkin-compatible HTTP server)
 * and the two queries of the bus API.
 */
public final class Traces {

  private final Vertx vertx;
  private final TraceStore store;
  private final List<SpanExporter> exporters;
  private final SpanIntake intake;
  private MessageConsumer<JsonArray> consumer;
  private HttpServer server;

  public Traces(Vertx vertx, TraceOptions traces, ExportOptions export, MeterRegistry meters) {
    this.vertx = vertx;
    this.store = new TraceStore(traces.maxSpans());
    this.exporters = exporters(vertx, export, meters);
    this.intake = new SpanIntake(vertx, store, exporters, traces.maxBodySize(), meters);
  }

  static List<SpanExporter> exporters(Vertx vertx, ExportOptions export, MeterRegistry meters) {
    List<SpanExporter.Transport> transports = new ArrayList<>();
    for (String url : export.zipkin()) {
      transports.add(HttpTransports.zipkin(vertx, url, export.timeout()));
    }
    if (export.otlp() != null) {
      transports.add(export.otlpProtocol().equals("grpc")
          ? HttpTransports.otlpGrpc(vertx, export.otlp(), export.timeout())
          : HttpTransports.otlpHttp(vertx, export.otlp(), export.timeout()));
    }
    List<SpanExporter> list = new ArrayList<>();
    for (SpanExporter.Transport t : transports) {
      list.add(new SpanExporter(vertx, t, export.batchSize(), export.queueSize(), export.retries(), meters));
    }
    return list;
  }

  /**
   * Starts consuming {@code address} and serving the Zipkin intake on {@code listener} (a bind
   * failure names {@code telemetry.zipkin.port}); the bound port.
   */
  public Future<Integer> start(String address, ListenerOptions listener) {
    consumer = vertx.eventBus().<JsonArray>consumer(address, message -> intake.fromBus(message.body()));
    server = vertx.createHttpServer(new HttpServerOptions().setDecompressionSupported(true)
            .setIdleTimeout(120).setIdleTimeoutUnit(TimeUnit.SECONDS))
        .requestHandler(intake.router());
    return consumer.completion()
        .compose(v -> Listeners.listen(server, "telemetry.zipkin.port", listener))
        .map(HttpServer::actualPort);
  }

  /** Bus action: the summaries matching the query parameters (strings, as given in the URL). */
  public Future<JsonObject> query(JsonObject params) {
    TraceQuery query = TraceQuery.parse(params, System.currentTimeMillis());
    return vertx.executeBlocking(() -> {
      JsonArray list = new JsonArray();
      store.query(query).forEach(summary -> list.add(summary.toJson()));
      return new JsonObject().put("traces", list);
    }, false);
  }

  /** Bus action: one trace ({@code {"traceId": …}}) as a tree and a flat list; 404 when unknown. */
  public Future<JsonObject> get(JsonObject body) {
    Object raw = body.getValue("traceId");
    if (!(raw instanceof String text) || text.isBlank()) {
      throw ApiException.badRequest("traceId", "traceId is required");
    }
    String traceId = SpanIds.traceId(text.trim(), "traceId");
    List<Span> spans = store.trace(traceId);
    if (spans == null && traceId.length() == 16) {
      spans = store.trace("0000000000000000" + traceId);
    } else if (spans == null && traceId.startsWith("0000000000000000")) {
      spans = store.trace(traceId.substring(16));
    }
    if (spans == null) {
      throw ApiException.notFound("no trace " + traceId + " in this telemetry node's store");
    }
    List<Span> found = spans;
    return vertx.executeBlocking(() -> TraceTree.toJson(found.get(0).traceId(), found), false);
  }

  /** Stops the intake, then flushes the exporters once. */
  public Future<?> stop() {
    Future<?> consumerDone = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<?> serverDone = server == null ? Future.succeededFuture() : server.close();
    return Future.join(consumerDone, serverDone).transform(v -> {
      List<Future<Void>> closing = new ArrayList<>();
      exporters.forEach(e -> closing.add(e.close()));
      return Future.join(closing);
    });
  }

  TraceStore store() {
    return store;
  }

  /** The intake (bus and HTTP) that keeps and exports spans. */
  public SpanIntake intake() {
    return intake;
  }
}
