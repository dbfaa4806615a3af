package io.meridian.telemetry.impl.trace;

import io.meridian.common.error.ApiException;
import io.meridian.common.error.ErrorCode;
import io.meridian.common.http.ApiResponses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where spans come in — batches from the bus ({@code meridian.telemetry.spans}, the gateway's
 * JSON arrays) and from the Zipkin-compatible {@code POST /api/v2/spans} — and where they go:
 * the {@link TraceStore} and every {@link SpanExporter}. A batch is decoded whole before any of
 * it is kept: one bad span rejects the batch. Bodies above {@link #INLINE_DECODE} bytes are
 * decoded on a worker thread, not on the event loop.
 */
public final class SpanIntake {

  /** Bodies up to this size are decoded on the event loop; bigger ones on a worker. */
  static final int INLINE_DECODE = 64 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.telemetry.traces");

  private final Vertx vertx;
  private final TraceStore store;
  private final List<SpanExporter> exporters;
  private final long maxBodySize;
  private final Counter receivedBus;
  private final Counter receivedHttp;
  private final Counter rejected;
  private final Counter stored;
  private final Counter evicted;

  private java.util.function.Predicate<List<Span>> forward = spans -> false;

  public SpanIntake(Vertx vertx, TraceStore store, List<SpanExporter> exporters, long maxBodySize, MeterRegistry meters) {
    this.vertx = vertx;
    this.store = store;
    this.exporters = List.copyOf(exporters);
    this.maxBodySize = maxBodySize;
    this.receivedBus = Counter.builder("meridian.telemetry.spans.received").description("Spans received in valid batches")
        .tag("transport", "bus").register(meters);
    this.receivedHttp = Counter.builder("meridian.telemetry.spans.received").description("Spans received in valid batches")
        .tag("transport", "http").register(meters);
    this.rejected = Counter.builder("meridian.telemetry.spans.rejected")
        .description("Span batches rejected as invalid").register(meters);
    this.stored = Counter.builder("meridian.telemetry.spans.stored").description("Spans stored in the trace store")
        .register(meters);
    this.evicted = Counter.builder("meridian.telemetry.spans.evicted")
        .description("Spans evicted from the trace store (whole traces, oldest first)").register(meters);
    Gauge.builder("meridian.telemetry.traces.spans", store, TraceStore::spans).description("Spans held in the trace store")
        .register(meters);
    Gauge.builder("meridian.telemetry.traces.traces", store, TraceStore::traces)
        .description("Traces held in the trace store").register(meters);
  }

  /**
   * Where decoded batches go instead of this node's store while {@code forward} returns
   * {@code true} for them (a telemetry node that does not lead sends them to the leader).
   */
  public void forwardWhen(java.util.function.Predicate<List<Span>> forward) {
    this.forward = forward;
  }

  /** Keeps and exports a decoded batch (or forwards it, see {@link #forwardWhen}). */
  public void accept(List<Span> spans) {
    if (spans.isEmpty() || forward.test(spans)) {
      return;
    }
    TraceStore.Added added = store.add(spans);
    stored.increment(added.stored());
    if (added.evicted() > 0) {
      evicted.increment(added.evicted());
    }
    for (SpanExporter exporter : exporters) {
      exporter.offer(spans);
    }
  }

  /** A batch from the bus (a JSON array of Zipkin v2 spans); an invalid one is logged and dropped whole. */
  public void fromBus(JsonArray batch) {
    List<Span> spans;
    try {
      spans = ZipkinJson.decode(batch);
    } catch (ApiException e) {
      rejected.increment();
      LOG.warn("span batch from the bus rejected: {} {}", e.field(), e.getMessage());
      return;
    }
    receivedBus.increment(spans.size());
    accept(spans);
  }

  /** The Zipkin-compatible intake's routes: {@code POST /api/v2/spans} (JSON or proto3, gzip accepted). */
  public Router router() {
    Router router = Router.router(vertx);
    router.post("/api/v2/spans").handler(BodyHandler.create(false).setBodyLimit(maxBodySize)).handler(this::post);
    router.route().failureHandler(ApiResponses.failureHandler());
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ApiResponses.failureHandler());
    }
    return router;
  }

  private void post(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    String mediaType = type == null ? "application/json" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
    boolean proto = mediaType.equals("application/x-protobuf") || mediaType.equals("application/protobuf");
    if (!proto && !mediaType.equals("application/json")) {
      ctx.fail(new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "expected Content-Type application/json (Zipkin v2 JSON) or application/x-protobuf (zipkin.proto3), got " + type));
      return;
    }
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      ctx.fail(ApiException.badRequest(null, "request body is empty: expected a list of spans"));
      return;
    }
    Future<List<Span>> decoded;
    if (body.length() <= INLINE_DECODE) {
      try {
        decoded = Future.succeededFuture(decode(body, proto));
      } catch (RuntimeException e) {
        decoded = Future.failedFuture(e);
      }
    } else {
      decoded = vertx.executeBlocking(() -> decode(body, proto), false);
    }
    decoded.onSuccess(spans -> {
      receivedHttp.increment(spans.size());
      accept(spans);
      ctx.response().setStatusCode(202).end();
    }).onFailure(e -> {
      rejected.increment();
      ctx.fail(e);
    });
  }

  private static List<Span> decode(Buffer body, boolean proto) {
    return proto ? ZipkinProto.decode(body.getBytes()) : ZipkinJson.decode(body);
  }
}
