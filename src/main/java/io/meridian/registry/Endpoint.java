package io.meridian.registry;

import io.vertx.core.json.JsonObject;

/** An instance's address on one network plane. */
public record Endpoint(String plane, String address) {

  public JsonObject toJson() {
    return new JsonObject().put("plane", plane).put("address", address);
  }

  public static Endpoint fromJson(JsonObject json) {
    return new Endpoint(json.getString("plane"), json.getString("address"));
  }
}
