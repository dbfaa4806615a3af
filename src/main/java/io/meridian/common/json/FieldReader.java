package io.meridian.common.json;

import io.meridian.common.units.Durations;
import io.meridian.common.error.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed reads of one JSON object from a request, every failure a 400 naming the field by its
 * path ({@code services[1].port}). {@link #requireKnown()} rejects fields no read asked for,
 * so a typo is an error instead of a silently ignored setting.
 */
public final class FieldReader {

  private final JsonObject json;
  private final String path;
  private final Set<String> read = new LinkedHashSet<>();

  private FieldReader(JsonObject json, String path) {
    this.json = json;
    this.path = path;
  }

  /** A reader of a whole document. */
  public static FieldReader of(JsonObject json) {
    return new FieldReader(json, "");
  }

  /** The path of {@code key} in this object. */
  public String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** This object's own path ({@code ""} for the document). */
  public String path() {
    return path;
  }

  public boolean has(String key) {
    return json.getValue(key) != null;
  }

  /** A required string; blank counts as missing. */
  public String requireString(String key) {
    String value = string(key, null);
    if (value == null || value.isBlank()) {
      throw missing(key);
    }
    return value;
  }

  /** An optional string. */
  public String string(String key, String def) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (value instanceof String s) {
      return s;
    }
    throw wrongType(key, "a string", value);
  }

  /** An optional string from a fixed set (case-sensitive). */
  public String choice(String key, String def, Collection<String> allowed) {
    String value = string(key, def);
    if (value != null && !allowed.contains(value)) {
      throw ApiException.badRequest(path(key), "must be one of " + String.join(", ", allowed) + " (got '" + value + "')");
    }
    return value;
  }

  /** A required whole number in {@code [min, max]}. */
  public long requireLong(String key, long min, long max) {
    if (!has(key)) {
      take(key);
      throw missing(key);
    }
    return longValue(key, 0, min, max);
  }

  /** An optional whole number in {@code [min, max]}. */
  public long longValue(String key, long def, long min, long max) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    long result;
    if (value instanceof Integer || value instanceof Long) {
      result = ((Number) value).longValue();
    } else if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      result = d.longValue();
    } else {
      throw wrongType(key, "a whole number", value);
    }
    if (result < min || result > max) {
      throw ApiException.badRequest(path(key), "must be between " + min + " and " + max + " (got " + result + ")");
    }
    return result;
  }

  public boolean bool(String key, boolean def) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    throw wrongType(key, "true or false", value);
  }

  /** An optional duration such as {@code 15s} (see {@link Durations}). */
  public Duration duration(String key, Duration def, Duration min, Duration max) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (!(value instanceof String s)) {
      throw wrongType(key, "a duration such as 500ms or 15s", value);
    }
    Duration d;
    try {
      d = Durations.parse(s);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(path(key), e.getMessage());
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw ApiException.badRequest(path(key), "must be between " + Durations.format(min) + " and "
          + Durations.format(max) + " (got " + s + ")");
    }
    return d;
  }

  /** An optional list of strings (absent = empty), at most {@code max} items. */
  public List<String> stringList(String key, int max) {
    Object value = take(key);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw wrongType(key, "a list of strings", value);
    }
    if (array.size() > max) {
      throw ApiException.badRequest(path(key), "at most " + max + " items (got " + array.size() + ")");
    }
    List<String> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String s)) {
        throw ApiException.badRequest(path(key) + "[" + i + "]", "expected a string, got " + Yaml.typeName(array.getValue(i)));
      }
      result.add(s);
    }
    return result;
  }

  /** An optional object of string values (absent = empty), at most {@code max} entries. */
  public Map<String, String> stringMap(String key, int max) {
    Object value = take(key);
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject object)) {
      throw wrongType(key, "an object of strings", value);
    }
    if (object.size() > max) {
      throw ApiException.badRequest(path(key), "at most " + max + " entries (got " + object.size() + ")");
    }
    Map<String, String> result = new LinkedHashMap<>();
    for (String name : object.fieldNames()) {
      Object v = object.getValue(name);
      if (!(v instanceof String s)) {
        throw ApiException.badRequest(path(key) + "." + name, "expected a string, got " + Yaml.typeName(v));
      }
      result.put(name, s);
    }
    return result;
  }

  /** An optional nested object, or {@code null} when absent. */
  public FieldReader object(String key) {
    Object value = take(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject object)) {
      throw wrongType(key, "an object", value);
    }
    return new FieldReader(object, path(key));
  }

  /** An optional list of objects (absent = empty), at most {@code max} items. */
  public List<FieldReader> objects(String key, int max) {
    Object value = take(key);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw wrongType(key, "a list of objects", value);
    }
    if (array.size() > max) {
      throw ApiException.badRequest(path(key), "at most " + max + " items (got " + array.size() + ")");
    }
    List<FieldReader> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject object)) {
        throw ApiException.badRequest(path(key) + "[" + i + "]", "expected an object, got " + Yaml.typeName(array.getValue(i)));
      }
      result.add(new FieldReader(object, path(key) + "[" + i + "]"));
    }
    return result;
  }

  /** Rejects the first field that no read asked for. */
  public void requireKnown() {
    for (String key : json.fieldNames()) {
      if (!read.contains(key)) {
        throw ApiException.badRequest(path(key), "unknown field (known here: " + String.join(", ", new TreeSet<>(read)) + ")");
      }
    }
  }

  /** A 400 for a missing required field. */
  public ApiException missing(String key) {
    return ApiException.badRequest(path(key), "is required");
  }

  private Object take(String key) {
    read.add(key);
    return json.getValue(key);
  }

  private ApiException wrongType(String key, String expected, Object value) {
    return ApiException.badRequest(path(key), "expected " + expected + ", got " + Yaml.typeName(value));
  }
}
