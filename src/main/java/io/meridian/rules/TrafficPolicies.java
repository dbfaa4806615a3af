package io.meridian.rules;

import io.vertx.core.json.JsonObject;

/** How DestinationRule traffic policies combine, the same for every consumer (xDS, gateway). */
public final class TrafficPolicies {

  private TrafficPolicies() {
  }

  /**
   * A subset's or port's policy over the rule's: {@code override}'s top-level members replace
   * {@code base}'s (Istio's semantics); either may be null.
   */
  public static JsonObject merge(JsonObject base, JsonObject override) {
    if (override == null) {
      return base;
    }
    JsonObject merged = base == null ? new JsonObject() : base.copy();
    override.forEach(e -> merged.put(e.getKey(), e.getValue()));
    return merged;
  }
}
