package io.meridian.common.verticle;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * A role's state in this process.
 *
 * @param name        role name
 * @param state       life-cycle state
 * @param implemented {@code false} while the role's feature is not built: it then serves nothing
 * @param detail      a human-readable note (why it failed, what is missing), or {@code null}
 * @param ports       ports the role has bound, by listener name ({@code consul}, {@code xds}, …)
 * @param waiting     started, but not serving yet: it waits for something ({@code detail} says what);
 *                    the node is not ready meanwhile
 */
public record RoleStatus(String name, RoleState state, boolean implemented, String detail, Map<String, Integer> ports,
    boolean waiting) {

  public RoleStatus {
    ports = Map.copyOf(ports);
  }

  public JsonObject toJson() {
    JsonObject portsJson = new JsonObject();
    new TreeMap<>(ports).forEach(portsJson::put);
    return new JsonObject()
        .put("name", name)
        .put("state", state.id())
        .put("implemented", implemented)
        .put("detail", detail)
        .put("waiting", waiting)
        .put("ports", portsJson);
  }
}
