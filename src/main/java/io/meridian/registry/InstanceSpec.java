package io.meridian.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * What is registered for one running process: the durable part of an {@link Instance}.
 *
 * @param kind      {@code mesh | shared | external}
 * @param endpoints one address per plane
 * @param services  the services it serves (several for SOA applications)
 */
public record InstanceSpec(String id, String tenant, String kind, Map<String, String> labels, List<String> tags,
    List<Endpoint> endpoints, List<ServiceBinding> services, HealthPolicy health) {

  public static final String DEFAULT_TENANT = "default";
  public static final List<String> KINDS = List.of("mesh", "shared", "external");

  public InstanceSpec {
    labels = Map.copyOf(labels);
    tags = List.copyOf(tags);
    endpoints = List.copyOf(endpoints);
    services = List.copyOf(services);
  }

  /** The address on {@code plane}, or {@code null}. */
  public String address(String plane) {
    for (Endpoint e : endpoints) {
      if (e.plane().equals(plane)) {
        return e.address();
      }
    }
    return null;
  }

  /** The binding of service {@code name}, or {@code null}. */
  public ServiceBinding service(String name) {
    for (ServiceBinding s : services) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  public List<String> serviceNames() {
    return services.stream().map(ServiceBinding::name).toList();
  }

  /** The same spec with other endpoints and services (used by scoped projections). */
  public InstanceSpec with(List<Endpoint> newEndpoints, List<ServiceBinding> newServices) {
    return new InstanceSpec(id, tenant, kind, labels, tags, newEndpoints, newServices, health);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("tenant", tenant)
        .put("kind", kind)
        .put("labels", Model.toJson(new java.util.TreeMap<>(labels)))
        .put("tags", new JsonArray(tags))
        .put("endpoints", new JsonArray(endpoints.stream().map(Endpoint::toJson).toList()))
        .put("services", new JsonArray(services.stream().map(ServiceBinding::toJson).toList()))
        .put("health", health.toJson());
  }

  public static InstanceSpec fromJson(JsonObject json) {
    JsonArray endpoints = json.getJsonArray("endpoints", new JsonArray());
    JsonArray services = json.getJsonArray("services", new JsonArray());
    return new InstanceSpec(json.getString("id"), json.getString("tenant", DEFAULT_TENANT), json.getString("kind", "mesh"),
        Model.stringMap(json.getJsonObject("labels")), Model.strings(json.getJsonArray("tags")),
        endpoints.stream().map(e -> Endpoint.fromJson((JsonObject) e)).toList(),
        services.stream().map(s -> ServiceBinding.fromJson((JsonObject) s)).toList(),
        HealthPolicy.fromJson(json.getJsonObject("health")));
  }
}
