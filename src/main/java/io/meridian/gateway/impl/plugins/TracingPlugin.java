package io.meridian.gateway.impl.plugins;

import io.meridian.common.Addresses;
import io.meridian.gateway.AttemptObserver;
import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;

/**
 * Tracing (phase {@link Phase#OBSERVE}): continues the caller's trace (W3C {@code traceparent},
 * else B3 multi-header or single {@code b3}) or starts one, sampled as the caller decided or by
 * {@code gateway.tracing.sampling}; a server span per request and a client span per upstream
 * attempt (OpenTelemetry SDK), whose context goes upstream as {@code traceparent} (and as B3
 * when the caller spoke B3). Finished spans are batched and sent as Zipkin v2 JSON to the
 * telemetry role ({@link Addresses#TELEMETRY_SPANS}).
 */
public final class TracingPlugin implements GatewayPlugin, AutoCloseable {

  private static final Exchange.Key<Trace> TRACE = new Exchange.Key<>("trace");
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Exchange> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Exchange carrier) {
      return List.of("traceparent", "tracestate");
    }

    @Override
    public String get(Exchange carrier, String key) {
      return carrier == null ? null : carrier.requestHeader(key);
    }
  };
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> SERVER = AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("meridian.attempt");
  /** The service an attempt calls: the client span's remote service name in Zipkin. */
  private static final AttributeKey<String> PEER_SERVICE = AttributeKey.stringKey("peer.service");

  private final SdkTracerProvider provider;
  private final Tracer tracer;
  private final double sampling;

  public TracingPlugin(Vertx vertx, String gatewayName, double sampling, MeterRegistry meters) {
    this.sampling = sampling;
    Counter sent = Counter.builder("meridian.gateway.spans.sent").description("Spans sent to the telemetry role")
        .tag("gateway", gatewayName).register(meters);
    this.provider = SdkTracerProvider.builder()
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), gatewayName)))
        // the decision is taken in onRequest (unsampled requests never reach the SDK)
        .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
        .addSpanProcessor(BatchSpanProcessor.builder(new BusExporter(vertx, gatewayName, sent))
            .setScheduleDelay(Duration.ofSeconds(1)).setMaxExportBatchSize(512).build())
        .build();
    this.tracer = provider.get("io.meridian.gateway");
  }

  @Override
  public String id() {
    return "tracing";
  }

  @Override
  public Phase phase() {
    return Phase.OBSERVE;
  }

  @Override
  public Future<Void> onRequest(Exchange x) {
    boolean b3 = false;
    Context parent = Context.root();
    if (x.requestHeader("traceparent") != null) {
      parent = W3C.extract(parent, x, HEADERS);
    } else {
      SpanContext remote = b3(x);
      if (remote != null) {
        parent = parent.with(Span.wrap(remote));
        b3 = true;
      }
    }
    SpanContext caller = Span.fromContext(parent).getSpanContext();
    boolean sampled = caller.isValid() ? caller.isSampled()
        : sampling > 0 && ThreadLocalRandom.current().nextDouble() < sampling;
    if (!sampled) {
      // not recorded, and no SDK work: the upstream still learns the decision and the trace id
      String traceId = caller.isValid() ? caller.getTraceId() : randomHex(16);
      inject(SpanContext.create(traceId, randomHex(8), TraceFlags.getDefault(), TraceState.getDefault()), b3,
          x::setRequestHeader, caller.isValid() ? caller.getSpanId() : null);
      return Future.succeededFuture();
    }
    String name = x.method() + " " + (x.service() != null ? x.service() : x.path());
    Span server = tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setAttribute(METHOD, x.method()).setAttribute(PATH, x.path()).startSpan();
    Trace trace = new Trace(x, server, b3);
    x.put(TRACE, trace);
    x.put(AttemptObserver.KEY, trace);
    return Future.succeededFuture();
  }

  @Override
  public void onComplete(Exchange x) {
    Trace trace = x.get(TRACE);
    if (trace == null) {
      return;
    }
    Span server = trace.server;
    trace.endAttempt(x.errorCode());
    int status = x.status();
    server.setAttribute(STATUS, status);
    if (x.tenant() != null) {
      server.setAttribute("meridian.tenant", x.tenant());
    }
    if (x.service() != null) {
      server.setAttribute("meridian.service", x.service());
    }
    if (x.version() != null) {
      server.setAttribute("meridian.version", x.version());
    }
    if (x.route() != null) {
      server.setAttribute("meridian.route", x.route());
    }
    if (x.errorCode() != null) {
      server.setAttribute("error", x.errorCode());
    }
    if (status >= 500 || status == 0) {
      server.setStatus(StatusCode.ERROR);
    }
    server.end();
  }

  /** Flushes the spans still batched and stops the batch thread (without blocking the caller). */
  @Override
  public void close() {
    provider.shutdown();
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** {@code bytes} random bytes as lower-case hex, never all zero (an invalid id). */
  static String randomHex(int bytes) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] out = new char[bytes * 2];
    long v = 0;
    for (int i = 0; i < out.length; i++) {
      if ((i & 15) == 0) {
        do {
          v = random.nextLong();
        } while (v == 0);
      }
      out[i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
    return new String(out);
  }

  /** B3 multi-header ({@code X-B3-TraceId}, {@code X-B3-SpanId}, {@code X-B3-Sampled}) or single {@code b3}. */
  static SpanContext b3(Exchange x) {
    String traceId;
    String spanId;
    String sampled;
    String single = x.requestHeader("b3");
    if (single != null) {
      String[] parts = single.trim().split("-");
      if (parts.length < 2) {
        return null;
      }
      traceId = parts[0];
      spanId = parts[1];
      sampled = parts.length > 2 ? parts[2] : null;
    } else {
      traceId = x.requestHeader("x-b3-traceid");
      spanId = x.requestHeader("x-b3-spanid");
      sampled = x.requestHeader("x-b3-sampled");
      if ("1".equals(x.requestHeader("x-b3-flags"))) {
        sampled = "1";
      }
    }
    if (traceId == null || spanId == null) {
      return null;
    }
    traceId = traceId.toLowerCase(Locale.ROOT);
    if (traceId.length() == 16) {
      traceId = "0000000000000000" + traceId;
    }
    SpanContext sc = SpanContext.createFromRemoteParent(traceId, spanId.toLowerCase(Locale.ROOT),
        "1".equals(sampled) || "d".equals(sampled) || "true".equals(sampled) ? TraceFlags.getSampled() : TraceFlags.getDefault(),
        TraceState.getDefault());
    return sc.isValid() ? sc : null;
  }

  static void inject(SpanContext sc, boolean b3, BiConsumer<String, String> headers, String parentSpanId) {
    // only the sampled bit: W3C level-1 parsers reject or misread the others
    headers.accept("traceparent", "00-" + sc.getTraceId() + "-" + sc.getSpanId() + (sc.isSampled() ? "-01" : "-00"));
    if (b3) {
      headers.accept("x-b3-traceid", sc.getTraceId());
      headers.accept("x-b3-spanid", sc.getSpanId());
      if (parentSpanId != null) {
        headers.accept("x-b3-parentspanid", parentSpanId);
      }
      headers.accept("x-b3-sampled", sc.isSampled() ? "1" : "0");
    }
  }

  /** One traced exchange: its server span and the client span of the attempt in progress. */
  private final class Trace implements AttemptObserver {
    final Span server;
    final boolean b3;
    final Exchange exchange;
    Span attempt;

    Trace(Exchange exchange, Span server, boolean b3) {
      this.exchange = exchange;
      this.server = server;
      this.b3 = b3;
    }

    @Override
    public void attemptStarted(int n, String upstream, BiConsumer<String, String> headers) {
      endAttempt("retried");
      var builder = tracer.spanBuilder("upstream " + upstream)
          .setParent(Context.root().with(server)).setSpanKind(SpanKind.CLIENT)
          .setAttribute(SERVER, upstream).setAttribute(ATTEMPT, (long) n);
      if (exchange.service() != null) {
        builder.setAttribute(PEER_SERVICE, exchange.service());
      }
      attempt = builder.startSpan();
      inject(attempt.getSpanContext(), b3, headers, server.getSpanContext().getSpanId());
    }

    @Override
    public void attemptAnswered(int status) {
      Span a = attempt;
      if (a != null) {
        a.setAttribute(STATUS, status);
        if (status >= 500) {
          a.setStatus(StatusCode.ERROR);
        }
        a.end();
        attempt = null;
      }
    }

    /** Ends an attempt that got no answer (failed: connect failure, reset, timeout). */
    void endAttempt(String error) {
      Span a = attempt;
      if (a != null) {
        a.setAttribute("error", error == null ? "no answer" : error);
        a.setStatus(StatusCode.ERROR);
        a.end();
        attempt = null;
      }
    }
  }

  /** Sends finished spans as Zipkin v2 JSON to the telemetry role; what no telemetry role takes is lost. */
  private static final class BusExporter implements SpanExporter {
    private final Vertx vertx;
    private final String serviceName;
    private final Counter sent;

    BusExporter(Vertx vertx, String serviceName, Counter sent) {
      this.vertx = vertx;
      this.serviceName = serviceName;
      this.sent = sent;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      JsonArray batch = new JsonArray();
      for (SpanData s : spans) {
        batch.add(zipkin(s, serviceName));
      }
      vertx.eventBus().send(Addresses.TELEMETRY_SPANS, batch);
      sent.increment(spans.size());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** A span in Zipkin v2 JSON (times in µs). */
  static JsonObject zipkin(SpanData s, String serviceName) {
    JsonObject span = new JsonObject()
        .put("traceId", s.getTraceId())
        .put("id", s.getSpanId())
        .put("name", s.getName())
        .put("kind", s.getKind() == SpanKind.SERVER ? "SERVER" : s.getKind() == SpanKind.CLIENT ? "CLIENT" : null)
        .put("timestamp", s.getStartEpochNanos() / 1000)
        .put("duration", Math.max(1, (s.getEndEpochNanos() - s.getStartEpochNanos()) / 1000))
        .put("localEndpoint", new JsonObject().put("serviceName", serviceName));
    if (s.getParentSpanContext().isValid()) {
      span.put("parentId", s.getParentSpanId());
    }
    JsonObject tags = new JsonObject();
    s.getAttributes().forEach((k, v) -> tags.put(k.getKey(), String.valueOf(v)));
    if (s.getStatus().getStatusCode() == StatusCode.ERROR && !tags.containsKey("error")) {
      tags.put("error", "true");
    }
    Object server = s.getAttributes().get(SERVER);
    if (server != null) {
      String hostPort = server.toString();
      int colon = hostPort.lastIndexOf(':');
      JsonObject remote = new JsonObject();
      String host = colon > 0 ? hostPort.substring(0, colon) : hostPort;
      remote.put(host.contains(":") || host.startsWith("[") ? "ipv6" : "ipv4", host.replace("[", "").replace("]", ""));
      if (colon > 0) {
        remote.put("port", Integer.parseInt(hostPort.substring(colon + 1)));
      }
      Object peer = s.getAttributes().get(PEER_SERVICE);
      if (peer != null) {
        remote.put("serviceName", peer.toString());
      }
      span.put("remoteEndpoint", remote);
    }
    if (!tags.isEmpty()) {
      span.put("tags", tags);
    }
    return span;
  }
}
