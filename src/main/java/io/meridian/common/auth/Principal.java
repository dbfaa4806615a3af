package io.meridian.common.auth;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * Who is calling: the token's name and role. Carried on the bus in the
 * {@link io.meridian.common.Addresses#HEADER_PRINCIPAL} header as {@link #toJson()}.
 */
public record Principal(String name, Role role) {

  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }

  public boolean can(Permission permission) {
    return role.can(permission);
  }

  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("role", role.id());
  }

  /** Reads {@link #toJson()}; returns {@code null} for anything else. */
  public static Principal fromJson(JsonObject json) {
    if (json == null || !(json.getValue("name") instanceof String name)
        || !(json.getValue("role") instanceof String roleId)) {
      return null;
    }
    Role role = Role.fromId(roleId);
    return role == null ? null : new Principal(name, role);
  }
}
