package io.meridian.telemetry.impl.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.meridian.common.error.ApiException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Zipkin proto3 decoding, against bytes written field by field after the public zipkin.proto. */
class ZipkinProtoTest {

  /** A message written by {@code body}. */
  interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  static byte[] message(Body body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    body.write(out);
    out.flush();
    return bytes.toByteArray();
  }

  static ByteString hex(String hex) {
    return ByteString.copyFrom(HexFormat.of().parseHex(hex));
  }

  /** zipkin.proto3.Span with every field. */
  static byte[] fullSpan(String traceId) throws IOException {
    byte[] local = message(o -> {
      o.writeString(1, "frontend");
      o.writeBytes(2, ByteString.copyFrom(new byte[] {10, 0, 0, 1}));
      o.writeInt32(4, 8080);
    });
    byte[] remote = message(o -> {
      o.writeString(1, "orders");
      o.writeBytes(3, ByteString.copyFrom(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
      o.writeInt32(4, 9000);
    });
    byte[] annotation = message(o -> {
      o.writeFixed64(1, 1700000000000200L);
      o.writeString(2, "ws");
    });
    byte[] tag = message(o -> {
      o.writeString(1, "http.status_code");
      o.writeString(2, "200");
    });
    return message(o -> {
      o.writeBytes(1, hex(traceId));
      o.writeBytes(2, hex("00f067aa0ba902b7"));
      o.writeBytes(3, hex("a2fb4a1d1a96d312"));
      o.writeEnum(4, 1); // CLIENT
      o.writeString(5, "get /orders");
      o.writeFixed64(6, 1700000000000123L);
      o.writeUInt64(7, 2500);
      o.writeByteArray(8, local);
      o.writeByteArray(9, remote);
      o.writeByteArray(10, annotation);
      o.writeByteArray(11, tag);
      o.writeBool(12, true);
      o.writeBool(13, true);
      o.writeString(99, "a field from the future");
    });
  }

  static byte[] listOfSpans(byte[]... spans) throws IOException {
    return message(o -> {
      for (byte[] s : spans) {
        o.writeByteArray(1, s);
      }
    });
  }

  @Test
  void verifiesThatEveryFieldOfAProto3SpanIsDecoded() throws IOException {
    Span s = ZipkinProto.decode(listOfSpans(fullSpan("4bf92f3577b34da6a3ce929d0e0e4736"))).get(0);
    assertThat(s.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(s.parentId()).isEqualTo("00f067aa0ba902b7");
    assertThat(s.id()).isEqualTo("a2fb4a1d1a96d312");
    assertThat(s.kind()).isEqualTo(Span.Kind.CLIENT);
    assertThat(s.name()).isEqualTo("get /orders");
    assertThat(s.timestamp()).isEqualTo(1700000000000123L);
    assertThat(s.duration()).isEqualTo(2500);
    assertThat(s.localEndpoint()).isEqualTo(new Span.Endpoint("frontend", "10.0.0.1", null, 8080));
    assertThat(s.remoteEndpoint().ipv6()).isEqualTo("2001:db8:0:0:0:0:0:1");
    assertThat(s.remoteEndpoint().port()).isEqualTo(9000);
    assertThat(s.annotations()).containsExactly(new Span.Annotation(1700000000000200L, "ws"));
    assertThat(s.tags()).containsExactly(java.util.Map.entry("http.status_code", "200"));
    assertThat(s.debug()).isTrue();
    assertThat(s.shared()).isTrue();
  }

  @Test
  void verifiesThatA64BitTraceIdIsSixteenHexDigits() throws IOException {
    assertThat(ZipkinProto.decode(listOfSpans(fullSpan("a3ce929d0e0e4736"))).get(0).traceId()).isEqualTo("a3ce929d0e0e4736");
  }

  @Test
  void verifiesThatABadSpanIsNamedByItsIndexAndField() throws IOException {
    byte[] bad = message(o -> {
      o.writeBytes(1, hex("4bf92f3577b34da6a3ce")); // 10 bytes
      o.writeBytes(3, hex("a2fb4a1d1a96d312"));
    });
    byte[] noId = message(o -> o.writeBytes(1, hex("4bf92f3577b34da6")));
    byte[] good = fullSpan("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThatThrownBy(() -> ZipkinProto.decode(listOfSpans(good, good, bad)))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("[2].traceId"));
    assertThatThrownBy(() -> ZipkinProto.decode(listOfSpans(noId)))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("[0].id"));
    byte[] truncated = java.util.Arrays.copyOf(listOfSpans(good), 40);
    assertThatThrownBy(() -> ZipkinProto.decode(truncated))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("ListOfSpans"));
  }
}
