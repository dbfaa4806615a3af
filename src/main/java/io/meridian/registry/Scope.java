package io.meridian.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The part of the registry one consumer (a gateway, an xDS node) is responsible for.
 *
 * @param tenants       tenants it serves; empty = all
 * @param planes        planes it reaches; empty = all. Only endpoints on these planes are kept
 * @param visibility    {@code internal} or {@code external} (a gateway's kind), or {@code null} for no filter
 * @param labels        instance labels that must all match; empty = any
 * @param includeShared also instances of kind {@code shared} and {@code external} of any tenant
 */
public record Scope(Set<String> tenants, Set<String> planes, String visibility, Map<String, String> labels,
    boolean includeShared) {

  /** Everything. */
  public static final Scope ALL = new Scope(Set.of(), Set.of(), null, Map.of(), false);

  public Scope {
    tenants = Set.copyOf(tenants);
    planes = Set.copyOf(planes);
    labels = Map.copyOf(labels);
  }

  /**
   * What of {@code instance} this scope sees: {@code null} when nothing, otherwise the instance
   * with only in-scope endpoints and services (each service's planes narrowed to the scope).
   */
  public Instance project(Instance instance) {
    InstanceSpec spec = instance.spec();
    boolean shared = includeShared && !spec.kind().equals("mesh");
    if (!tenants.isEmpty() && !tenants.contains(spec.tenant()) && !shared) {
      return null;
    }
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (!label.getValue().equals(spec.labels().get(label.getKey()))) {
        return null;
      }
    }
    List<Endpoint> endpoints = planes.isEmpty() ? spec.endpoints()
        : spec.endpoints().stream().filter(e -> planes.contains(e.plane())).toList();
    List<ServiceBinding> services = new ArrayList<>();
    for (ServiceBinding s : spec.services()) {
      if (!s.visibleTo(visibility)) {
        continue;
      }
      List<String> reachable = planes.isEmpty() ? s.planes() : s.planes().stream().filter(planes::contains).toList();
      if (!reachable.isEmpty()) {
        services.add(reachable.size() == s.planes().size() ? s : s.withPlanes(reachable));
      }
    }
    if (services.isEmpty()) {
      return null;
    }
    if (endpoints.size() == spec.endpoints().size() && services.size() == spec.services().size()) {
      return instance;
    }
    return instance.withSpec(spec.with(endpoints, services));
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("tenants", new JsonArray(tenants.stream().sorted().toList()))
        .put("planes", new JsonArray(planes.stream().sorted().toList()))
        .put("labels", Model.toJson(new TreeMap<>(labels)))
        .put("includeShared", includeShared);
    if (visibility != null) {
      json.put("visibility", visibility);
    }
    return json;
  }

  public static Scope fromJson(JsonObject json) {
    if (json == null) {
      return ALL;
    }
    return new Scope(Set.copyOf(Model.strings(json.getJsonArray("tenants"))), Set.copyOf(Model.strings(json.getJsonArray("planes"))),
        json.getString("visibility"), Model.stringMap(json.getJsonObject("labels")), json.getBoolean("includeShared", false));
  }
}
