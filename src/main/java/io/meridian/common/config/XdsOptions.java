package io.meridian.common.config;

import io.meridian.common.units.Durations;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The xDS role ({@code xds.*}; {@code xds.port} is a contract).
 *
 * @param listener the ADS gRPC server's socket ({@code xds.host}, {@code xds.port})
 * @param debounce how long a burst of registry and rule changes is collected into one push
 *                 (measured from the first change of the burst, so a push is never later than this)
 */
public record XdsOptions(ListenerOptions listener, Duration debounce) {

  static XdsOptions read(ConfigReader r) {
    return new XdsOptions(ListenerOptions.read(r, MeridianConfig.DEFAULT_XDS_PORT),
        r.duration("debounce", Duration.ofMillis(100), Duration.ZERO, Duration.ofSeconds(10)));
  }

  XdsOptions withDefaultHost(String host) {
    return new XdsOptions(listener.withDefaultHost(host), debounce);
  }

  public JsonObject toJson() {
    return listener.toJson().put("debounce", Durations.format(debounce));
  }

  /** Reads the JSON form (as the role receives its section). */
  public static XdsOptions fromJson(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    XdsOptions options = read(r);
    r.requireKnownKeys();
    return options;
  }
}
