package io.meridian.common.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Puts and deletes applied together by {@link Store#write}: all or nothing, in order.
 * Not thread-safe; build it on one thread, then hand it to the store.
 */
public final class WriteBatch {

  private static final Pattern MAP_NAME = Pattern.compile("[a-z][a-z0-9._-]{0,63}");

  /** One operation; {@code value == null} means delete. */
  public record Op(String map, String key, String value) {
  }

  private final List<Op> ops = new ArrayList<>();

  public WriteBatch put(String map, String key, String value) {
    ops.add(new Op(checkMap(map), Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")));
    return this;
  }

  public WriteBatch delete(String map, String key) {
    ops.add(new Op(checkMap(map), Objects.requireNonNull(key, "key"), null));
    return this;
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }

  public int size() {
    return ops.size();
  }

  /** A copy of the operations, in order. */
  public List<Op> ops() {
    return List.copyOf(ops);
  }

  /** The operations as JSON, {@code [[map, key, value or null], …]} (to send a batch to another node). */
  public io.vertx.core.json.JsonArray toJson() {
    io.vertx.core.json.JsonArray json = new io.vertx.core.json.JsonArray();
    for (Op op : ops) {
      json.add(new io.vertx.core.json.JsonArray().add(op.map()).add(op.key()).add(op.value()));
    }
    return json;
  }

  /** The batch {@link #toJson} wrote. */
  public static WriteBatch fromJson(io.vertx.core.json.JsonArray json) {
    WriteBatch batch = new WriteBatch();
    for (int i = 0; i < json.size(); i++) {
      io.vertx.core.json.JsonArray op = json.getJsonArray(i);
      if (op.getString(2) == null) {
        batch.delete(op.getString(0), op.getString(1));
      } else {
        batch.put(op.getString(0), op.getString(1), op.getString(2));
      }
    }
    return batch;
  }

  /** Checks a map name: lower-case letters, digits, {@code . _ -}, starting with a letter, ≤ 64 chars. */
  public static String checkMap(String map) {
    if (map == null || !MAP_NAME.matcher(map).matches()) {
      throw new IllegalArgumentException("invalid store map name: " + map);
    }
    return map;
  }
}
