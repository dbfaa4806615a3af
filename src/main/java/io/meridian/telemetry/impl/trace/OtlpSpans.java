package io.meridian.telemetry.impl.trace;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Zipkin spans as an OTLP {@code ExportTraceServiceRequest}: one resource per local service
 * ({@code service.name}); a 64-bit trace id is widened with leading zeros; kind absent →
 * {@code INTERNAL}; tags → string attributes; the remote endpoint → {@code network.peer.address},
 * {@code network.peer.port} and {@code peer.service}; annotations → events; an {@code error}
 * tag → status {@code ERROR} with the tag's text as message.
 */
public final class OtlpSpans {

  static final String SCOPE = "io.meridian.telemetry";

  /** The request for a batch. */
  public static ExportTraceServiceRequest request(List<Span> spans) {
    Map<String, ScopeSpans.Builder> byService = new LinkedHashMap<>();
    for (Span s : spans) {
      String service = s.serviceName() == null ? "unknown_service" : s.serviceName();
      byService.computeIfAbsent(service, k -> ScopeSpans.newBuilder()
          .setScope(InstrumentationScope.newBuilder().setName(SCOPE))).addSpans(span(s));
    }
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    byService.forEach((service, scope) -> request.addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(string("service.name", service)))
        .addScopeSpans(scope)));
    return request.build();
  }

  static io.opentelemetry.proto.trace.v1.Span span(Span s) {
    String traceId = s.traceId().length() == 16 ? "0000000000000000" + s.traceId() : s.traceId();
    io.opentelemetry.proto.trace.v1.Span.Builder b = io.opentelemetry.proto.trace.v1.Span.newBuilder()
        .setTraceId(ByteString.copyFrom(SpanIds.bytes(traceId)))
        .setSpanId(ByteString.copyFrom(SpanIds.bytes(s.id())))
        .setName(s.name() == null ? "" : s.name())
        .setKind(kind(s.kind()))
        .setStartTimeUnixNano(s.timestamp() * 1000)
        .setEndTimeUnixNano(s.end() * 1000);
    if (s.parentId() != null) {
      b.setParentSpanId(ByteString.copyFrom(SpanIds.bytes(s.parentId())));
    }
    new TreeMap<>(s.tags()).forEach((k, v) -> b.addAttributes(string(k, v)));
    Span.Endpoint remote = s.remoteEndpoint();
    if (remote != null) {
      String address = remote.ipv4() != null ? remote.ipv4() : remote.ipv6();
      if (address != null) {
        b.addAttributes(string("network.peer.address", address));
      }
      if (remote.port() != 0) {
        b.addAttributes(KeyValue.newBuilder().setKey("network.peer.port")
            .setValue(AnyValue.newBuilder().setIntValue(remote.port())));
      }
      if (remote.serviceName() != null) {
        b.addAttributes(string("peer.service", remote.serviceName()));
      }
    }
    for (Span.Annotation a : s.annotations()) {
      b.addEvents(io.opentelemetry.proto.trace.v1.Span.Event.newBuilder()
          .setTimeUnixNano(a.timestamp() * 1000).setName(a.value()));
    }
    String error = s.tags().get("error");
    if (error != null) {
      Status.Builder status = Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR);
      if (!error.isEmpty() && !error.equals("true")) {
        status.setMessage(error);
      }
      b.setStatus(status);
    }
    return b.build();
  }

  private static io.opentelemetry.proto.trace.v1.Span.SpanKind kind(Span.Kind kind) {
    if (kind == null) {
      return io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_INTERNAL;
    }
    return switch (kind) {
      case CLIENT -> io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT;
      case SERVER -> io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER;
      case PRODUCER -> io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_PRODUCER;
      case CONSUMER -> io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CONSUMER;
    };
  }

  private static KeyValue string(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private OtlpSpans() {
  }
}
