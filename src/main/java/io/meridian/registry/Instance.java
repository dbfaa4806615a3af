package io.meridian.registry;

import io.vertx.core.json.JsonObject;

/**
 * A registered instance: its {@link InstanceSpec} plus bookkeeping and current health.
 *
 * @param revision     1 on first registration, +1 on every re-registration of the same id
 * @param createIndex  registry index of the first registration
 * @param modifyIndex  registry index of the last change (registration or health transition)
 * @param registeredAt time of the last registration (ISO-8601)
 * @param registeredBy name of the token that registered it
 * @param status       current health (not durable)
 */
public record Instance(InstanceSpec spec, long revision, long createIndex, long modifyIndex, String registeredAt,
    String registeredBy, HealthStatus status) {

  public String id() {
    return spec.id();
  }

  public String tenant() {
    return spec.tenant();
  }

  public boolean passing() {
    return status != null && status.passing();
  }

  public Instance withStatus(HealthStatus newStatus, long index) {
    return new Instance(spec, revision, createIndex, index, registeredAt, registeredBy, newStatus);
  }

  public Instance withSpec(InstanceSpec newSpec) {
    return new Instance(newSpec, revision, createIndex, modifyIndex, registeredAt, registeredBy, status);
  }

  /** The durable record (without health status). */
  public JsonObject toStoredJson() {
    return spec.toJson()
        .put("revision", revision)
        .put("createIndex", createIndex)
        .put("modifyIndex", modifyIndex)
        .put("registeredAt", registeredAt)
        .put("registeredBy", registeredBy);
  }

  /** The API form: the spec, bookkeeping and {@code status}. */
  public JsonObject toJson() {
    JsonObject json = toStoredJson();
    if (status != null) {
      json.put("status", status.toJson());
    }
    return json;
  }

  public static Instance fromJson(JsonObject json) {
    return new Instance(InstanceSpec.fromJson(json), json.getLong("revision", 1L), json.getLong("createIndex", 0L),
        json.getLong("modifyIndex", 0L), json.getString("registeredAt"), json.getString("registeredBy"),
        HealthStatus.fromJson(json.getJsonObject("status")));
  }
}
