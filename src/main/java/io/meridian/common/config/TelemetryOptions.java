package io.meridian.common.config;

import io.vertx.core.json.JsonObject;

/**
 * The telemetry role.
 *
 * @param zipkin the Zipkin-compatible span intake ({@code telemetry.zipkin.port}, default 9411)
 */
public record TelemetryOptions(ListenerOptions zipkin) {

  public static final int DEFAULT_ZIPKIN_PORT = 9411;

  static TelemetryOptions read(ConfigReader r) {
    return new TelemetryOptions(r.read("zipkin", zipkin -> ListenerOptions.read(zipkin, DEFAULT_ZIPKIN_PORT)));
  }

  public JsonObject toJson() {
    return new JsonObject().put("zipkin", zipkin.toJson());
  }
}
