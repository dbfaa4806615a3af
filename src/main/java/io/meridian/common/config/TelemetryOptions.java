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
    ConfigReader zipkin = r.section("zipkin");
    ListenerOptions listener = ListenerOptions.read(zipkin, DEFAULT_ZIPKIN_PORT);
    zipkin.requireKnownKeys();
    return new TelemetryOptions(listener);
  }

  public JsonObject toJson() {
    return new JsonObject().put("zipkin", zipkin.toJson());
  }
}
