package io.meridian.gateway.impl.route;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/** Istio's header operations: {@code set} (replace), {@code add} (append), {@code remove}. */
public record HeaderOps(String[] setNames, String[] setValues, String[] addNames, String[] addValues, String[] remove) {

  public static final HeaderOps NONE = new HeaderOps(new String[0], new String[0], new String[0], new String[0], new String[0]);

  public static HeaderOps of(JsonObject json) {
    if (json == null) {
      return NONE;
    }
    Map<String, Object> set = new TreeMap<>(json.getJsonObject("set", new JsonObject()).getMap());
    Map<String, Object> add = new TreeMap<>(json.getJsonObject("add", new JsonObject()).getMap());
    JsonArray remove = json.getJsonArray("remove", new JsonArray());
    return new HeaderOps(set.keySet().toArray(String[]::new), set.values().stream().map(String::valueOf).toArray(String[]::new),
        add.keySet().toArray(String[]::new), add.values().stream().map(String::valueOf).toArray(String[]::new),
        remove.stream().map(String::valueOf).toArray(String[]::new));
  }

  public boolean isEmpty() {
    return setNames.length == 0 && addNames.length == 0 && remove.length == 0;
  }

  /** Applies the operations to Netty headers. */
  public void apply(io.netty.handler.codec.http.HttpHeaders headers) {
    for (String name : remove) {
      headers.remove(name);
    }
    for (int i = 0; i < setNames.length; i++) {
      headers.set(setNames[i], setValues[i]);
    }
    for (int i = 0; i < addNames.length; i++) {
      headers.add(addNames[i], addValues[i]);
    }
  }
}
