package io.meridian.common.config;

import io.vertx.core.json.JsonObject;

/**
 * One listening socket: {@code host} ({@code null} = the top-level {@code host}) and
 * {@code port} ({@code 0} = any free port; the bound port is reported in
 * {@code /api/v1/status}).
 */
public record ListenerOptions(String host, int port) {

  public ListenerOptions {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  static ListenerOptions read(ConfigReader r, int defaultPort) {
    String host = r.string("host", null);
    if (host != null && host.isBlank()) {
      throw new ConfigException(r.path("host"), "must not be blank (omit it to use the top-level host)");
    }
    return new ListenerOptions(host, r.port("port", defaultPort));
  }

  /** This listener with its host filled in from {@code defaultHost} when unset. */
  public ListenerOptions withDefaultHost(String defaultHost) {
    return host != null ? this : new ListenerOptions(defaultHost, port);
  }

  public JsonObject toJson() {
    return new JsonObject().put("host", host).put("port", port);
  }
}
