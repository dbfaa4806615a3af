package io.meridian.telemetry.impl.trace;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.meridian.common.error.ApiException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Zipkin's proto3 encoding ({@code application/x-protobuf}, message {@code zipkin.proto3.ListOfSpans}
 * of the public {@code zipkin.proto}) to {@link Span}s, read field by field with protobuf's
 * {@link CodedInputStream}; the same rules as {@link ZipkinJson} (a bad span fails the batch
 * with its index). Unknown fields are skipped.
 */
public final class ZipkinProto {

  // ListOfSpans
  private static final int SPANS = 1;
  // Span
  private static final int TRACE_ID = 1;
  private static final int PARENT_ID = 2;
  private static final int ID = 3;
  private static final int KIND = 4;
  private static final int NAME = 5;
  private static final int TIMESTAMP = 6;
  private static final int DURATION = 7;
  private static final int LOCAL_ENDPOINT = 8;
  private static final int REMOTE_ENDPOINT = 9;
  private static final int ANNOTATIONS = 10;
  private static final int TAGS = 11;
  private static final int DEBUG = 12;
  private static final int SHARED = 13;
  // Endpoint
  private static final int SERVICE_NAME = 1;
  private static final int IPV4 = 2;
  private static final int IPV6 = 3;
  private static final int PORT = 4;

  /** Decodes a {@code ListOfSpans}. */
  public static List<Span> decode(byte[] body) {
    CodedInputStream in = CodedInputStream.newInstance(body);
    List<Span> spans = new ArrayList<>();
    String at = "[0]";
    try {
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          return spans;
        }
        if (tag == (SPANS << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
          at = "[" + spans.size() + "]";
          int limit = in.pushLimit(in.readRawVarint32());
          spans.add(span(in, at));
          in.popLimit(limit);
        } else if (!in.skipField(tag)) {
          return spans;
        }
      }
    } catch (IOException e) {
      throw ApiException.badRequest(spans.isEmpty() && at.equals("[0]") ? null : at,
          "not a valid zipkin.proto3.ListOfSpans: " + e.getMessage());
    }
  }

  private static Span span(CodedInputStream in, String at) throws IOException {
    byte[] traceId = null;
    byte[] id = null;
    byte[] parentId = null;
    String name = null;
    Span.Kind kind = null;
    long timestamp = 0;
    long duration = 0;
    Span.Endpoint local = null;
    Span.Endpoint remote = null;
    List<Span.Annotation> annotations = new ArrayList<>();
    Map<String, String> tags = new HashMap<>();
    boolean debug = false;
    boolean shared = false;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case TRACE_ID -> traceId = in.readByteArray();
        case PARENT_ID -> parentId = in.readByteArray();
        case ID -> id = in.readByteArray();
        case KIND -> {
          int k = in.readEnum();
          if (k < 0 || k > 4) {
            throw ApiException.badRequest(at + ".kind", "unknown span kind " + k);
          }
          kind = k == 0 ? null : Span.Kind.values()[k - 1];
        }
        case NAME -> name = in.readStringRequireUtf8();
        case TIMESTAMP -> timestamp = in.readFixed64();
        case DURATION -> duration = in.readUInt64();
        case LOCAL_ENDPOINT -> local = endpoint(in, at + ".localEndpoint");
        case REMOTE_ENDPOINT -> remote = endpoint(in, at + ".remoteEndpoint");
        case ANNOTATIONS -> annotations.add(annotation(in, at + ".annotations[" + annotations.size() + "]"));
        case TAGS -> tag(in, tags);
        case DEBUG -> debug = in.readBool();
        case SHARED -> shared = in.readBool();
        default -> in.skipField(tag);
      }
    }
    if (traceId == null || traceId.length == 0) {
      throw ApiException.badRequest(at + ".traceId", "traceId is required");
    }
    if (id == null || id.length == 0) {
      throw ApiException.badRequest(at + ".id", "id is required");
    }
    if (timestamp < 0) {
      throw ApiException.badRequest(at + ".timestamp", "must not be negative");
    }
    if (duration < 0) {
      throw ApiException.badRequest(at + ".duration", "must not be negative");
    }
    return new Span(
        SpanIds.traceId(SpanIds.hex(traceId), at + ".traceId"),
        SpanIds.spanId(SpanIds.hex(id), at + ".id"),
        parentId == null || parentId.length == 0 ? null : SpanIds.spanId(SpanIds.hex(parentId), at + ".parentId"),
        name == null || name.isEmpty() ? null : name, kind, timestamp, duration, local, remote, tags, annotations,
        shared, debug);
  }

  private static Span.Endpoint endpoint(CodedInputStream in, String at) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String service = null;
    String ipv4 = null;
    String ipv6 = null;
    int port = 0;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case SERVICE_NAME -> service = in.readStringRequireUtf8();
        case IPV4 -> ipv4 = address(in.readByteArray(), 4, at + ".ipv4");
        case IPV6 -> ipv6 = address(in.readByteArray(), 16, at + ".ipv6");
        case PORT -> {
          port = in.readInt32();
          if (port < 0 || port > 65535) {
            throw ApiException.badRequest(at + ".port", "port must be from 0 to 65535, got " + port);
          }
        }
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    return SpanIds.endpoint(service, ipv4, ipv6, port);
  }

  private static String address(byte[] bytes, int length, String field) {
    if (bytes.length == 0) {
      return null;
    }
    if (bytes.length != length) {
      throw ApiException.badRequest(field, "must be " + length + " bytes, got " + bytes.length);
    }
    try {
      return InetAddress.getByAddress(bytes).getHostAddress();
    } catch (UnknownHostException e) {
      throw ApiException.badRequest(field, e.getMessage());
    }
  }

  private static Span.Annotation annotation(CodedInputStream in, String at) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    long timestamp = 0;
    String value = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> timestamp = in.readFixed64();
        case 2 -> value = in.readStringRequireUtf8();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    if (timestamp <= 0) {
      throw ApiException.badRequest(at + ".timestamp", "an annotation needs a timestamp");
    }
    if (value == null || value.isEmpty()) {
      throw ApiException.badRequest(at + ".value", "an annotation needs a value");
    }
    return new Span.Annotation(timestamp, value);
  }

  private static void tag(CodedInputStream in, Map<String, String> tags) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String key = "";
    String value = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> key = in.readStringRequireUtf8();
        case 2 -> value = in.readStringRequireUtf8();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    tags.put(key, value);
  }

  private ZipkinProto() {
  }
}
