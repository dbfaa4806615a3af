package io.meridian.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON helpers shared by the model records. */
final class Model {

  static List<String> strings(JsonArray array) {
    List<String> list = new ArrayList<>();
    if (array != null) {
      array.forEach(v -> list.add((String) v));
    }
    return list;
  }

  static Map<String, String> stringMap(JsonObject object) {
    Map<String, String> map = new LinkedHashMap<>();
    if (object != null) {
      object.forEach(e -> map.put(e.getKey(), (String) e.getValue()));
    }
    return map;
  }

  static JsonObject toJson(Map<String, String> map) {
    JsonObject json = new JsonObject();
    map.forEach(json::put);
    return json;
  }

  private Model() {
  }
}
