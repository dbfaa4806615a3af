package io.meridian.common.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One member of the cluster as every member sees it.
 *
 * @param id    the node id (the Vert.x node id, used in per-node bus addresses)
 * @param roles the roles the member runs
 * @param address where its cluster traffic goes ({@code host:port}), for people reading it
 */
public record Member(String id, Set<String> roles, String address) {

  /** The API tokens: replicated like a role's state, run by every member whatever its roles. */
  public static final String TOKENS = "tokens";
  /** What every member runs besides its roles (the admin server's replicated state). */
  public static final Set<String> EVERY_MEMBER = Set.of(TOKENS);

  public Member {
    Objects.requireNonNull(id, "id");
    roles = Set.copyOf(roles);
    address = address == null ? "" : address;
  }

  /** Whether the member runs {@code role} (or it is one of {@link #EVERY_MEMBER}). */
  public boolean runs(String role) {
    return roles.contains(role) || EVERY_MEMBER.contains(role);
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("roles", new JsonArray(new TreeSet<>(roles).stream().toList()))
        .put("address", address);
  }
}
