package io.meridian.common.config;

import io.vertx.core.json.JsonObject;

/**
 * The telemetry role's trace store and span intake ({@code telemetry.traces}).
 *
 * @param maxSpans      spans held in memory at most (the oldest traces are evicted first)
 * @param maxBodySize   the largest span batch the Zipkin intake accepts (413 beyond)
 */
public record TraceOptions(int maxSpans, long maxBodySize) {

  static TraceOptions read(ConfigReader r) {
    return new TraceOptions(
        r.intValue("maxSpans", 200_000, 100, 100_000_000),
        r.size("maxBodySize", 5L * 1024 * 1024, 1024, 512L * 1024 * 1024));
  }

  public JsonObject toJson() {
    return new JsonObject().put("maxSpans", maxSpans).put("maxBodySize", maxBodySize);
  }
}
