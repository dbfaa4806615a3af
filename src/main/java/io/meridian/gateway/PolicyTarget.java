package io.meridian.gateway;

import io.meridian.rules.Rule;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * A service a {@link PolicyCompiler} compiles for.
 *
 * @param tenant  the service's tenant (a rule's namespace)
 * @param service the service's name
 * @param labels  the labels of each of its instances (for Istio {@code selector}s)
 */
public record PolicyTarget(String tenant, String service, List<Map<String, String>> labels) {

  public PolicyTarget {
    labels = List.copyOf(labels);
  }

  /**
   * Whether {@code rule} (in this target's namespace) targets this service, the way every
   * policy kind says it: {@code spec.targetRef.service} (Meridian kinds),
   * {@code spec.targetRef}/{@code spec.targetRefs} of kind {@code Service} by {@code name}, or
   * {@code spec.selector.matchLabels} matching one of its instances; a rule with none of these
   * applies to every service of its namespace.
   */
  public boolean targets(Rule rule) {
    if (!rule.namespace().equals(tenant)) {
      return false;
    }
    JsonObject spec = rule.spec();
    JsonObject ref = spec.getJsonObject("targetRef");
    JsonArray refs = spec.getJsonArray("targetRefs");
    JsonObject selector = spec.getJsonObject("selector");
    if (ref == null && refs == null && selector == null) {
      return true;
    }
    if (ref != null && names(ref)) {
      return true;
    }
    if (refs != null) {
      for (Object o : refs) {
        if (o instanceof JsonObject r && names(r)) {
          return true;
        }
      }
    }
    if (selector != null) {
      JsonObject match = selector.getJsonObject("matchLabels", new JsonObject());
      for (Map<String, String> instance : labels) {
        boolean all = true;
        for (Map.Entry<String, Object> e : match) {
          all &= String.valueOf(e.getValue()).equals(instance.get(e.getKey()));
        }
        if (all) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean names(JsonObject ref) {
    String name = ref.getString("service", ref.getString("name"));
    String kind = ref.getString("kind", "Service");
    return kind.equals("Service") && service.equals(name);
  }
}
