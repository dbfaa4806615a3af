package io.meridian.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One service an instance serves.
 *
 * @param name        DNS-1123 label
 * @param version     e.g. {@code v2}; {@code ""} when unversioned (also the label {@code version})
 * @param port        the port, the same on every plane
 * @param protocol    {@code http | http2 | grpc | tcp | udp | kafka}
 * @param planes      planes the service is reachable on (each has an address on the instance)
 * @param visibility  which gateways may publish it: {@code internal | external | both}
 * @param path        optional gateway path prefix, or {@code null}
 * @param stripPrefix whether the gateway removes the prefix that selected the service
 *                    ({@code /api/orders/v1}, {@code /iui/orders}, {@code path}) before forwarding
 *                    (default {@code true}: {@code /api/orders/v1/items} reaches the instance as {@code /items})
 * @param metricsPath optional metrics path, or {@code null}
 * @param metricsPort port of the metrics endpoint (0 when no metrics are declared)
 */
public record ServiceBinding(String name, String version, int port, String protocol, List<String> planes,
    String visibility, String path, boolean stripPrefix, String metricsPath, int metricsPort) {

  public static final List<String> PROTOCOLS = List.of("http", "http2", "grpc", "tcp", "udp", "kafka");
  public static final List<String> VISIBILITIES = List.of("internal", "external", "both");

  public ServiceBinding {
    planes = List.copyOf(planes);
  }

  /** Whether a gateway of kind {@code internal} or {@code external} may publish this service. */
  public boolean visibleTo(String gatewayVisibility) {
    return gatewayVisibility == null || visibility.equals("both") || visibility.equals(gatewayVisibility);
  }

  public ServiceBinding withPlanes(List<String> newPlanes) {
    return new ServiceBinding(name, version, port, protocol, newPlanes, visibility, path, stripPrefix, metricsPath, metricsPort);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("name", name)
        .put("version", version)
        .put("port", port)
        .put("protocol", protocol)
        .put("planes", new JsonArray(planes))
        .put("visibility", visibility);
    if (path != null) {
      json.put("path", path);
    }
    if (!stripPrefix) {
      json.put("stripPrefix", false);
    }
    if (metricsPath != null) {
      json.put("metrics", new JsonObject().put("path", metricsPath).put("port", metricsPort));
    }
    return json;
  }

  public static ServiceBinding fromJson(JsonObject json) {
    JsonObject metrics = json.getJsonObject("metrics");
    return new ServiceBinding(json.getString("name"), json.getString("version", ""), json.getInteger("port"),
        json.getString("protocol", "http"), Model.strings(json.getJsonArray("planes")), json.getString("visibility", "both"),
        json.getString("path"), json.getBoolean("stripPrefix", true), metrics == null ? null : metrics.getString("path"),
        metrics == null ? 0 : metrics.getInteger("port", 0));
  }
}
