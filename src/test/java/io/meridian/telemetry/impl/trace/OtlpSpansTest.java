package io.meridian.telemetry.impl.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Status;
import io.vertx.core.buffer.Buffer;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Zipkin spans mapped to an OTLP export request. */
class OtlpSpansTest {

  private static Map<String, String> attributes(List<KeyValue> list) {
    return list.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().hasIntValue()
        ? String.valueOf(kv.getValue().getIntValue()) : kv.getValue().getStringValue()));
  }

  @Test
  void verifiesThatIdsTimesKindTagsRemoteEndpointAnnotationsAndErrorsAreMapped() throws Exception {
    List<Span> spans = ZipkinJson.decode(Buffer.buffer("[" + ZipkinJsonTest.FULL + ","
        + """
        {"traceId":"a3ce929d0e0e4736","id":"00000000000000a1","name":"local","timestamp":1700000000000000,"duration":7,
         "localEndpoint":{"serviceName":"batch"},"tags":{"error":"disk full"}}]"""));
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(OtlpSpans.request(spans).toByteArray());
    assertThat(request.getResourceSpansList()).hasSize(2);
    ResourceSpans frontend = request.getResourceSpans(0);
    assertThat(attributes(frontend.getResource().getAttributesList())).containsEntry("service.name", "frontend");
    var span = frontend.getScopeSpans(0).getSpans(0);
    assertThat(HexFormat.of().formatHex(span.getTraceId().toByteArray())).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(HexFormat.of().formatHex(span.getSpanId().toByteArray())).isEqualTo("a2fb4a1d1a96d312");
    assertThat(HexFormat.of().formatHex(span.getParentSpanId().toByteArray())).isEqualTo("00f067aa0ba902b7");
    assertThat(span.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT);
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1700000000000123000L);
    assertThat(span.getEndTimeUnixNano() - span.getStartTimeUnixNano()).isEqualTo(2_500_000L);
    assertThat(attributes(span.getAttributesList())).containsEntry("http.status_code", "200")
        .containsEntry("network.peer.address", "2001:db8::1").containsEntry("network.peer.port", "9000")
        .containsEntry("peer.service", "orders");
    assertThat(span.getEvents(0).getName()).isEqualTo("ws");
    assertThat(span.getEvents(0).getTimeUnixNano()).isEqualTo(1700000000000200000L);
    assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);

    var local = request.getResourceSpans(1).getScopeSpans(0).getSpans(0);
    assertThat(HexFormat.of().formatHex(local.getTraceId().toByteArray())).isEqualTo("0000000000000000a3ce929d0e0e4736");
    assertThat(local.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_INTERNAL);
    assertThat(local.getParentSpanId().isEmpty()).isTrue();
    assertThat(local.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(local.getStatus().getMessage()).isEqualTo("disk full");
  }
}
