package io.meridian.registry;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * An instance's current health, kept in memory (not durable).
 *
 * @param state     {@code passing | warning | critical}
 * @param output    the last check's output or the reason of the last transition
 * @param since     when {@code state} began (ISO-8601)
 * @param checkedAt the last heartbeat or check (ISO-8601)
 */
public record HealthStatus(String state, String output, String since, String checkedAt) {

  public static final String PASSING = "passing";
  public static final String WARNING = "warning";
  public static final String CRITICAL = "critical";
  public static final List<String> STATES = List.of(PASSING, WARNING, CRITICAL);

  public boolean passing() {
    return PASSING.equals(state);
  }

  public JsonObject toJson() {
    return new JsonObject().put("state", state).put("output", output).put("since", since).put("checkedAt", checkedAt);
  }

  public static HealthStatus fromJson(JsonObject json) {
    return json == null ? null
        : new HealthStatus(json.getString("state"), json.getString("output"), json.getString("since"), json.getString("checkedAt"));
  }
}
