package io.meridian.telemetry.impl.trace;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * One span in Zipkin v2's model: ids as lower-case hex, times in epoch microseconds. Built only
 * by the codecs ({@link ZipkinJson}, {@link ZipkinProto}), which validate every field.
 *
 * @param traceId        16 or 32 lower-case hex digits
 * @param id             16 lower-case hex digits
 * @param parentId       16 lower-case hex digits, or {@code null} for a root span
 * @param name           the operation, or {@code null}
 * @param kind           {@code null} when local or unknown
 * @param timestamp      start in epoch µs, 0 when unknown
 * @param duration       µs, 0 when unknown
 * @param localEndpoint  the host that recorded the span, or {@code null}
 * @param remoteEndpoint the other side of an RPC or messaging span, or {@code null}
 * @param tags           never null
 * @param annotations    never null
 * @param shared         the server side of a span whose id the client started
 * @param debug          forced sampling
 */
public record Span(String traceId, String id, String parentId, String name, Kind kind, long timestamp, long duration,
    Endpoint localEndpoint, Endpoint remoteEndpoint, Map<String, String> tags, List<Annotation> annotations,
    boolean shared, boolean debug) {

  public Span {
    tags = Map.copyOf(tags);
    annotations = List.copyOf(annotations);
  }

  /** Zipkin's span kinds. */
  public enum Kind { CLIENT, SERVER, PRODUCER, CONSUMER }

  /** A node in the service graph: service name, address and port (each may be absent). */
  public record Endpoint(String serviceName, String ipv4, String ipv6, int port) {

    JsonObject toJson() {
      JsonObject json = new JsonObject();
      if (serviceName != null) {
        json.put("serviceName", serviceName);
      }
      if (ipv4 != null) {
        json.put("ipv4", ipv4);
      }
      if (ipv6 != null) {
        json.put("ipv6", ipv6);
      }
      if (port != 0) {
        json.put("port", port);
      }
      return json;
    }
  }

  /** An event during the span: epoch µs and a value. */
  public record Annotation(long timestamp, String value) {
  }

  /** The local endpoint's service name, or {@code null}. */
  public String serviceName() {
    return localEndpoint == null ? null : localEndpoint.serviceName();
  }

  /** The service on the other side (a client span's callee), or {@code null}. */
  public String remoteServiceName() {
    return remoteEndpoint == null ? null : remoteEndpoint.serviceName();
  }

  /** Whether the span reports an error (Zipkin's convention: an {@code error} tag). */
  public boolean error() {
    return tags.containsKey("error");
  }

  /** End in epoch µs (the start when the duration is unknown). */
  public long end() {
    return timestamp + duration;
  }

  /** Zipkin v2 JSON, absent fields omitted. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("traceId", traceId);
    if (parentId != null) {
      json.put("parentId", parentId);
    }
    json.put("id", id);
    if (kind != null) {
      json.put("kind", kind.name());
    }
    if (name != null) {
      json.put("name", name);
    }
    if (timestamp != 0) {
      json.put("timestamp", timestamp);
    }
    if (duration != 0) {
      json.put("duration", duration);
    }
    if (localEndpoint != null) {
      json.put("localEndpoint", localEndpoint.toJson());
    }
    if (remoteEndpoint != null) {
      json.put("remoteEndpoint", remoteEndpoint.toJson());
    }
    if (!annotations.isEmpty()) {
      JsonArray list = new JsonArray();
      annotations.forEach(a -> list.add(new JsonObject().put("timestamp", a.timestamp()).put("value", a.value())));
      json.put("annotations", list);
    }
    if (!tags.isEmpty()) {
      json.put("tags", new JsonObject(new java.util.TreeMap<>(tags)));
    }
    if (debug) {
      json.put("debug", true);
    }
    if (shared) {
      json.put("shared", true);
    }
    return json;
  }
}
