package io.meridian.telemetry.impl.trace;

import io.meridian.common.error.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Zipkin v2 JSON (a list of spans, {@code POST /api/v2/spans}) to {@link Span}s and back.
 *
 * <p>Decoding is strict: the first bad field fails the whole batch with a 400
 * {@link ApiException} naming it by index, e.g. {@code [3].traceId}. Ids are hex (upper case is
 * lowered); times are integers, also accepted as digit strings or integral numbers in exponent
 * form, as some Envoy versions wrote them. Unknown fields are ignored, as Zipkin does.
 */
public final class ZipkinJson {

  /** Decodes a body: a JSON array of span objects. */
  public static List<Span> decode(Buffer body) {
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw ApiException.badRequest(null, "body is not valid JSON: " + e.getMessage());
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiException.badRequest(null, "expected a JSON array of spans (Zipkin v2)");
    }
    return decode(array);
  }

  /** Decodes a list of span objects (as the gateway sends them over the bus). */
  public static List<Span> decode(JsonArray array) {
    List<Span> spans = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String at = "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject span)) {
        throw ApiException.badRequest(at, "a span must be a JSON object");
      }
      spans.add(span(span, at));
    }
    return spans;
  }

  /** Encodes spans as a Zipkin v2 JSON array. */
  public static Buffer encode(List<Span> spans) {
    JsonArray array = new JsonArray(new ArrayList<>(spans.size()));
    for (Span s : spans) {
      array.add(s.toJson());
    }
    return array.toBuffer();
  }

  static Span span(JsonObject json, String at) {
    String traceId = SpanIds.traceId(string(json, "traceId", at, true), at + ".traceId");
    String id = SpanIds.spanId(string(json, "id", at, true), at + ".id");
    String parentId = string(json, "parentId", at, false);
    parentId = parentId == null || parentId.isEmpty() ? null : SpanIds.spanId(parentId, at + ".parentId");
    String name = string(json, "name", at, false);
    String kindText = string(json, "kind", at, false);
    Span.Kind kind = null;
    if (kindText != null && !kindText.isEmpty()) {
      try {
        kind = Span.Kind.valueOf(kindText);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(at + ".kind", "kind must be CLIENT, SERVER, PRODUCER or CONSUMER, got '" + kindText + "'");
      }
    }
    long timestamp = micros(json.getValue("timestamp"), at + ".timestamp");
    long duration = micros(json.getValue("duration"), at + ".duration");
    Span.Endpoint local = endpoint(json.getValue("localEndpoint"), at + ".localEndpoint");
    Span.Endpoint remote = endpoint(json.getValue("remoteEndpoint"), at + ".remoteEndpoint");
    Map<String, String> tags = tags(json.getValue("tags"), at + ".tags");
    List<Span.Annotation> annotations = annotations(json.getValue("annotations"), at + ".annotations");
    boolean debug = bool(json.getValue("debug"), at + ".debug");
    boolean shared = bool(json.getValue("shared"), at + ".shared");
    return new Span(traceId, id, parentId, name == null || name.isEmpty() ? null : name, kind, timestamp, duration,
        local, remote, tags, annotations, shared, debug);
  }

  private static String string(JsonObject json, String key, String at, boolean required) {
    Object v = json.getValue(key);
    if (v == null) {
      if (required) {
        throw ApiException.badRequest(at + "." + key, key + " is required");
      }
      return null;
    }
    if (!(v instanceof String s)) {
      throw ApiException.badRequest(at + "." + key, key + " must be a string");
    }
    return s;
  }

  /** Epoch or duration µs: a non-negative integer; 0 or absent means unknown. */
  static long micros(Object v, String field) {
    if (v == null) {
      return 0;
    }
    long value;
    if (v instanceof Integer || v instanceof Long) {
      value = ((Number) v).longValue();
    } else if (v instanceof Number || v instanceof String) {
      try {
        value = new BigDecimal(v.toString().trim()).longValueExact();
      } catch (ArithmeticException | NumberFormatException e) {
        throw ApiException.badRequest(field, "must be an integer number of microseconds, got " + v);
      }
    } else {
      throw ApiException.badRequest(field, "must be an integer number of microseconds");
    }
    if (value < 0) {
      throw ApiException.badRequest(field, "must not be negative, got " + value);
    }
    return value;
  }

  private static boolean bool(Object v, String field) {
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw ApiException.badRequest(field, "must be true or false");
  }

  private static Span.Endpoint endpoint(Object v, String at) {
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject json)) {
      throw ApiException.badRequest(at, "an endpoint must be a JSON object");
    }
    String service = string(json, "serviceName", at, false);
    String ipv4 = string(json, "ipv4", at, false);
    String ipv6 = string(json, "ipv6", at, false);
    if (ipv4 != null && !ipv4.isEmpty() && !SpanIds.isIpv4(ipv4)) {
      throw ApiException.badRequest(at + ".ipv4", "not an IPv4 address: '" + ipv4 + "'");
    }
    if (ipv6 != null && !ipv6.isEmpty() && !SpanIds.isIpv6(ipv6)) {
      throw ApiException.badRequest(at + ".ipv6", "not an IPv6 address: '" + ipv6 + "'");
    }
    Object portValue = json.getValue("port");
    int port = 0;
    if (portValue != null) {
      if (!(portValue instanceof Integer p) || p < 0 || p > 65535) {
        throw ApiException.badRequest(at + ".port", "port must be an integer from 0 to 65535, got " + portValue);
      }
      port = p;
    }
    return SpanIds.endpoint(service, ipv4, ipv6, port);
  }

  private static Map<String, String> tags(Object v, String at) {
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof JsonObject json)) {
      throw ApiException.badRequest(at, "tags must be a JSON object of strings");
    }
    Map<String, String> tags = new HashMap<>();
    for (Map.Entry<String, Object> e : json) {
      Object value = e.getValue();
      if (value instanceof String || value instanceof Number || value instanceof Boolean) {
        tags.put(e.getKey(), value.toString());
      } else {
        throw ApiException.badRequest(at + "." + e.getKey(), "a tag's value must be a string");
      }
    }
    return tags;
  }

  private static List<Span.Annotation> annotations(Object v, String at) {
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray array)) {
      throw ApiException.badRequest(at, "annotations must be a JSON array");
    }
    List<Span.Annotation> list = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String here = at + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject a)) {
        throw ApiException.badRequest(here, "an annotation must be a JSON object");
      }
      long timestamp = micros(a.getValue("timestamp"), here + ".timestamp");
      if (timestamp == 0) {
        throw ApiException.badRequest(here + ".timestamp", "an annotation needs a timestamp");
      }
      String value = string(a, "value", here, true);
      if (value.isEmpty()) {
        throw ApiException.badRequest(here + ".value", "an annotation needs a value");
      }
      list.add(new Span.Annotation(timestamp, value));
    }
    return list;
  }

  private ZipkinJson() {
  }
}
