package io.meridian.telemetry.impl.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.error.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Zipkin v2 JSON decoding and encoding. */
class ZipkinJsonTest {

  static final String FULL = """
      {"traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","parentId":"00f067aa0ba902b7","id":"a2fb4a1d1a96d312",
       "kind":"CLIENT","name":"get /orders","timestamp":1700000000000123,"duration":2500,
       "localEndpoint":{"serviceName":"frontend","ipv4":"10.0.0.1","port":8080},
       "remoteEndpoint":{"serviceName":"orders","ipv6":"2001:db8::1","port":9000},
       "tags":{"http.status_code":"200","retries":2,"cached":false},
       "annotations":[{"timestamp":1700000000000200,"value":"ws"}],
       "shared":true,"debug":true,"unknownField":{"ignored":1}}""";

  static JsonObject span(String traceId, String id) {
    return new JsonObject().put("traceId", traceId).put("id", id).put("name", "op").put("timestamp", 1_700_000_000_000_000L)
        .put("duration", 10).put("localEndpoint", new JsonObject().put("serviceName", "svc"));
  }

  private static ApiException rejected(String json) {
    try {
      ZipkinJson.decode(Buffer.buffer(json));
    } catch (ApiException e) {
      return e;
    }
    throw new AssertionError("accepted: " + json);
  }

  @Test
  void verifiesThatEveryFieldOfAZipkinV2SpanIsDecodedAndHexIsLowered() {
    Span s = ZipkinJson.decode(Buffer.buffer("[" + FULL + "]")).get(0);
    assertThat(s.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(s.parentId()).isEqualTo("00f067aa0ba902b7");
    assertThat(s.id()).isEqualTo("a2fb4a1d1a96d312");
    assertThat(s.kind()).isEqualTo(Span.Kind.CLIENT);
    assertThat(s.name()).isEqualTo("get /orders");
    assertThat(s.timestamp()).isEqualTo(1700000000000123L);
    assertThat(s.duration()).isEqualTo(2500);
    assertThat(s.localEndpoint()).isEqualTo(new Span.Endpoint("frontend", "10.0.0.1", null, 8080));
    assertThat(s.remoteEndpoint()).isEqualTo(new Span.Endpoint("orders", null, "2001:db8::1", 9000));
    assertThat(s.tags()).containsEntry("http.status_code", "200").containsEntry("retries", "2").containsEntry("cached", "false");
    assertThat(s.annotations()).containsExactly(new Span.Annotation(1700000000000200L, "ws"));
    assertThat(s.shared()).isTrue();
    assertThat(s.debug()).isTrue();
  }

  @Test
  void verifiesThatEncodingThenDecodingGivesTheSameSpans() {
    List<Span> spans = ZipkinJson.decode(Buffer.buffer("[" + FULL + "," + span("a3ce929d0e0e4736", "00000000000000a1").encode() + "]"));
    assertThat(ZipkinJson.decode(ZipkinJson.encode(spans))).isEqualTo(spans);
    JsonObject minimal = new JsonArray(ZipkinJson.encode(spans)).getJsonObject(1);
    assertThat(minimal.fieldNames()).containsExactlyInAnyOrder("traceId", "id", "name", "timestamp", "duration", "localEndpoint");
  }

  @Test
  void verifiesThatEnvoyStyleTimesAsStringsOrExponentsAreAcceptedAndPortZeroMeansAbsent() {
    Span s = ZipkinJson.decode(Buffer.buffer("""
        [{"traceId":"83713138fa14c726","id":"83713138fa14c726","timestamp":"1572849988488551","duration":1.58266276e+15,
          "localEndpoint":{"serviceName":"envoy","ipv4":"172.31.0.5","port":0}}]""")).get(0);
    assertThat(s.timestamp()).isEqualTo(1572849988488551L);
    assertThat(s.duration()).isEqualTo(1582662760000000L);
    assertThat(s.localEndpoint().port()).isZero();
    assertThat(s.parentId()).isNull();
    assertThat(s.kind()).isNull();
  }

  @Test
  void verifiesThatABadSpanIsNamedByItsIndexAndField() {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 3; i++) {
      batch.add(span("4bf92f3577b34da6a3ce929d0e0e4736", "00000000000000a" + i));
    }
    batch.add(span("4bf92f3577b34da6a3ce929d0e0e47", "00000000000000b1"));
    ApiException e = rejected(batch.encode());
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.field()).isEqualTo("[3].traceId");
    assertThat(e.getMessage()).contains("16 or 32 hex");
  }

  @Test
  void verifiesThatEachKindOfBadInputIsRefusedWithItsField() {
    String t = "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\"";
    assertThat(rejected("[{" + t + "}]").field()).isEqualTo("[0].id");
    assertThat(rejected("[{\"id\":\"00000000000000a1\"}]").field()).isEqualTo("[0].traceId");
    assertThat(rejected("[{" + t + ",\"id\":\"zz000000000000a1\"}]").field()).isEqualTo("[0].id");
    assertThat(rejected("[{" + t + ",\"id\":\"0000000000000000\"}]").field()).isEqualTo("[0].id");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"parentId\":\"12\"}]").field()).isEqualTo("[0].parentId");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"kind\":\"LOCAL\"}]").field()).isEqualTo("[0].kind");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"duration\":-4}]").field()).isEqualTo("[0].duration");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"timestamp\":1.5}]").field()).isEqualTo("[0].timestamp");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"timestamp\":\"soon\"}]").field()).isEqualTo("[0].timestamp");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"localEndpoint\":{\"ipv4\":\"10.0.0.300\"}}]").field())
        .isEqualTo("[0].localEndpoint.ipv4");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"remoteEndpoint\":{\"port\":70000}}]").field())
        .isEqualTo("[0].remoteEndpoint.port");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"tags\":{\"a\":{\"b\":1}}}]").field()).isEqualTo("[0].tags.a");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"annotations\":[{\"value\":\"x\"}]}]").field())
        .isEqualTo("[0].annotations[0].timestamp");
    assertThat(rejected("[{" + t + ",\"id\":\"00000000000000a1\",\"shared\":\"yes\"}]").field()).isEqualTo("[0].shared");
    assertThat(rejected("[1]").field()).isEqualTo("[0]");
    assertThat(rejected("{\"traceId\":\"x\"}").getMessage()).contains("JSON array");
    assertThat(rejected("[{").getMessage()).contains("not valid JSON");
  }
}
