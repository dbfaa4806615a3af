package io.meridian.registry;

import io.meridian.common.units.Durations;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/**
 * How the registry decides an instance is healthy.
 *
 * <ul>
 *   <li>{@code none}: healthy while registered;</li>
 *   <li>{@code ttl}: healthy while heartbeats arrive within {@code ttl};</li>
 *   <li>{@code http}: {@code GET http://<address on plane>:<port><path>} every {@code interval}
 *       answers 2xx (429 = warning);</li>
 *   <li>{@code tcp}: a TCP connection to {@code <address on plane>:<port>} opens.</li>
 * </ul>
 * An instance critical for longer than {@code deregisterAfter} is deregistered.
 *
 * @param checkId       the Consul check id ({@code service:<id>} unless given)
 * @param initialStatus status right after registration ({@code passing} for the REST API;
 *                      Consul's {@code Status}, default {@code critical}, for the Consul API)
 */
public record HealthPolicy(String policy, Duration ttl, Duration interval, Duration timeout, Duration deregisterAfter,
    String path, int port, String plane, String checkId, String initialStatus) {

  public static final List<String> POLICIES = List.of("none", "ttl", "http", "tcp");
  public static final HealthPolicy NONE = new HealthPolicy("none", null, null, null, null, null, 0, null, null, HealthStatus.PASSING);

  public boolean isTtl() {
    return policy.equals("ttl");
  }

  public boolean isActive() {
    return policy.equals("http") || policy.equals("tcp");
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("policy", policy);
    put(json, "ttl", ttl);
    put(json, "interval", interval);
    put(json, "timeout", timeout);
    put(json, "deregisterAfter", deregisterAfter);
    if (path != null) {
      json.put("path", path);
    }
    if (port > 0) {
      json.put("port", port);
    }
    if (plane != null) {
      json.put("plane", plane);
    }
    if (checkId != null) {
      json.put("checkId", checkId);
    }
    if (!HealthStatus.PASSING.equals(initialStatus)) {
      json.put("initialStatus", initialStatus);
    }
    return json;
  }

  public static HealthPolicy fromJson(JsonObject json) {
    if (json == null) {
      return NONE;
    }
    return new HealthPolicy(json.getString("policy", "none"), duration(json, "ttl"), duration(json, "interval"),
        duration(json, "timeout"), duration(json, "deregisterAfter"), json.getString("path"), json.getInteger("port", 0),
        json.getString("plane"), json.getString("checkId"), json.getString("initialStatus", HealthStatus.PASSING));
  }

  private static void put(JsonObject json, String key, Duration value) {
    if (value != null) {
      json.put(key, Durations.format(value));
    }
  }

  private static Duration duration(JsonObject json, String key) {
    String text = json.getString(key);
    return text == null ? null : Durations.parse(text);
  }
}
