package io.meridian.common.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The role a token carries. Names (lower case) are part of the API.
 *
 * <ul>
 *   <li>{@code admin}: everything;</li>
 *   <li>{@code operator}: read, and write registry and rules;</li>
 *   <li>{@code agent}: register, heartbeat, deregister only;</li>
 *   <li>{@code viewer}: read only.</li>
 * </ul>
 */
public enum Role {
  ADMIN(EnumSet.allOf(Permission.class)),
  OPERATOR(EnumSet.of(Permission.READ, Permission.REGISTER, Permission.WRITE_REGISTRY, Permission.WRITE_RULES)),
  AGENT(EnumSet.of(Permission.REGISTER)),
  VIEWER(EnumSet.of(Permission.READ));

  private final Set<Permission> permissions;

  Role(Set<Permission> permissions) {
    this.permissions = permissions;
  }

  public boolean can(Permission permission) {
    return permissions.contains(permission);
  }

  public Set<Permission> permissions() {
    return EnumSet.copyOf(permissions);
  }

  /** The API name, e.g. {@code operator}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role for an API name, or {@code null}. */
  public static Role fromId(String id) {
    if (id == null) {
      return null;
    }
    for (Role role : values()) {
      if (role.id().equals(id)) {
        return role;
      }
    }
    return null;
  }
}
