package io.meridian.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One registry change, published on {@link io.meridian.common.Addresses#REGISTRY_EVENTS}.
 *
 * <p>Every change gets the next registry index: indexes of consecutive events differ by
 * exactly 1, so a consumer that sees a jump knows it missed something and asks for the
 * events since its last one (or reloads a snapshot when they are no longer kept).
 *
 * @param index    the registry index of this change
 * @param type     {@code registered} (new id), {@code updated} (re-registration),
 *                 {@code health} (status transition) or {@code deregistered}
 * @param time     when it happened (ISO-8601)
 * @param services names of the services the instance served before or after the change
 * @param instance the instance after the change ({@code deregistered}: its last state)
 * @param reason   why (e.g. {@code ttl expired}, {@code deregistered by ops}), or {@code null}
 */
public record RegistryEvent(long index, String type, String time, String tenant, String id, List<String> services,
    Instance instance, String reason) {

  public static final String REGISTERED = "registered";
  public static final String UPDATED = "updated";
  public static final String HEALTH = "health";
  public static final String DEREGISTERED = "deregistered";

  public RegistryEvent {
    services = List.copyOf(services);
  }

  /** Whether the event concerns {@code tenant} (null = any) and {@code service} (null = any). */
  public boolean concerns(String tenantFilter, String serviceFilter) {
    return (tenantFilter == null || tenantFilter.equals(tenant))
        && (serviceFilter == null || services.contains(serviceFilter));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("index", index)
        .put("type", type)
        .put("time", time)
        .put("tenant", tenant)
        .put("id", id)
        .put("services", new JsonArray(services))
        .put("instance", instance.toJson())
        .put("reason", reason);
  }

  public static RegistryEvent fromJson(JsonObject json) {
    return new RegistryEvent(json.getLong("index"), json.getString("type"), json.getString("time"), json.getString("tenant"),
        json.getString("id"), Model.strings(json.getJsonArray("services")), Instance.fromJson(json.getJsonObject("instance")),
        json.getString("reason"));
  }
}
