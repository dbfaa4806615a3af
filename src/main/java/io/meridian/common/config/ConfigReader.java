package io.meridian.common.config;

import io.meridian.common.units.Durations;
import io.meridian.common.units.Sizes;
import io.meridian.common.json.Yaml;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, validating reads of one config section, with defaults and precise error messages.
 *
 * <p>Every read names its key; {@link #requireKnownKeys()} then rejects any key that was not
 * read (a typo is an error, not a silently ignored setting). Values from environment
 * variables and flags arrive as strings; they are converted to the type the key expects
 * ({@code "8080"} → 8080, {@code "a,b"} or {@code "[a, b]"} → a list, {@code "{…}"} → a
 * mapping).
 */
public final class ConfigReader {

  private final JsonObject json;
  private final String path;
  private final Set<String> read = new LinkedHashSet<>();

  private ConfigReader(JsonObject json, String path) {
    this.json = json == null ? new JsonObject() : json;
    this.path = path;
  }

  /** A reader over the whole document. */
  public static ConfigReader of(JsonObject json) {
    return new ConfigReader(json, "");
  }

  /** The dotted path of {@code key} in this section. */
  public String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /**
   * Reads a nested section with {@code reader}, then rejects keys the reader did not ask for.
   * An absent or null section means all defaults.
   */
  public <T> T read(String key, java.util.function.Function<ConfigReader, T> reader) {
    ConfigReader section = section(key);
    T value = reader.apply(section);
    section.requireKnownKeys();
    return value;
  }

  /** A nested section; absent or null means all defaults. */
  public ConfigReader section(String key) {
    Object value = take(key);
    if (value == null) {
      return new ConfigReader(new JsonObject(), path(key));
    }
    if (value instanceof String s && s.trim().startsWith("{")) {
      value = parseInline(key, s);
    }
    if (!(value instanceof JsonObject object)) {
      throw new ConfigException(path(key), "expected a mapping, got " + Yaml.typeName(value));
    }
    return new ConfigReader(object, path(key));
  }

  /** A string, or {@code def} when absent. Numbers and booleans are accepted as their text. */
  public String string(String key, String def) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Number || value instanceof Boolean) {
      return String.valueOf(value);
    }
    throw new ConfigException(path(key), "expected a string, got " + Yaml.typeName(value));
  }

  /** A string from a fixed set (compared case-insensitively, returned in lower case). */
  public String choice(String key, String def, Collection<String> allowed) {
    String value = string(key, def);
    if (value == null) {
      return null;
    }
    String lower = value.toLowerCase(Locale.ROOT);
    if (!allowed.contains(lower)) {
      throw new ConfigException(path(key), "'" + value + "' is not one of " + String.join(", ", allowed));
    }
    return lower;
  }

  /** A whole number in {@code [min, max]}. */
  public long longValue(String key, long def, long min, long max) {
    return number(key, def, min, max, text -> Long.parseLong(text.trim()), "a whole number", "");
  }

  public int intValue(String key, int def, int min, int max) {
    return (int) longValue(key, def, min, max);
  }

  /** A TCP port; 0 means "pick a free port". */
  public int port(String key, int def) {
    return intValue(key, def, 0, 65535);
  }

  /** A decimal number ({@code 0.25}, {@code "0.25"}, {@code 1}). */
  public double doubleValue(String key, double def) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof String s) {
      try {
        return Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw new ConfigException(path(key), "expected a number, got " + describe(value));
  }

  public boolean bool(String key, boolean def) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on", "1":
          return true;
        case "false", "no", "off", "0":
          return false;
        default:
          break;
      }
    }
    throw new ConfigException(path(key), "expected true or false, got " + describe(value));
  }

  /** A duration such as {@code 10s} (see {@link Durations}). */
  public Duration duration(String key, Duration def, Duration min, Duration max) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (!(value instanceof String s)) {
      throw new ConfigException(path(key), "expected a duration such as 500ms or 10s, got " + describe(value));
    }
    Duration d;
    try {
      d = Durations.parse(s);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(path(key), e.getMessage());
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new ConfigException(path(key), "must be between " + Durations.format(min) + " and "
          + Durations.format(max) + " (got " + s + ")");
    }
    return d;
  }

  /** A byte size such as {@code 1MiB} or a whole number of bytes (see {@link Sizes}). */
  public long size(String key, long def, long min, long max) {
    return number(key, def, min, max, Sizes::parse, "a size such as 1MiB", " bytes");
  }

  private long number(String key, long def, long min, long max, java.util.function.ToLongFunction<String> parse,
      String expected, String unit) {
    Object value = take(key);
    long result;
    if (value == null) {
      result = def;
    } else if (value instanceof Integer || value instanceof Long) {
      result = ((Number) value).longValue();
    } else if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      result = d.longValue();
    } else if (value instanceof String s) {
      try {
        result = parse.applyAsLong(s);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new ConfigException(path(key), "expected " + expected + ", got '" + s + "'");
      }
    } else {
      throw new ConfigException(path(key), "expected " + expected + ", got " + describe(value));
    }
    if (result < min || result > max) {
      throw new ConfigException(path(key), "must be between " + min + " and " + max + unit + " (got " + result + ")");
    }
    return result;
  }

  /** A list of strings; a string value is split on commas (or parsed when it starts with {@code [}). */
  public List<String> stringList(String key, List<String> def) {
    Object value = take(key);
    if (value == null) {
      return def;
    }
    if (value instanceof String s) {
      if (s.trim().startsWith("[")) {
        value = parseInline(key, s);
      } else {
        List<String> parts = new ArrayList<>();
        for (String part : s.split(",")) {
          if (!part.isBlank()) {
            parts.add(part.trim());
          }
        }
        return List.copyOf(parts);
      }
    }
    if (!(value instanceof JsonArray array)) {
      throw new ConfigException(path(key), "expected a list, got " + describe(value));
    }
    List<String> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      if (item instanceof String s) {
        result.add(s);
      } else if (item instanceof Number || item instanceof Boolean) {
        result.add(String.valueOf(item));
      } else {
        throw new ConfigException(path(key) + "[" + i + "]", "expected a string, got " + Yaml.typeName(item));
      }
    }
    return List.copyOf(result);
  }

  /** A free-form mapping (its keys are data, not config keys); absent means empty. */
  public JsonObject object(String key) {
    Object value = take(key);
    if (value == null) {
      return new JsonObject();
    }
    if (value instanceof String s && s.trim().startsWith("{")) {
      value = parseInline(key, s);
    }
    if (!(value instanceof JsonObject object)) {
      throw new ConfigException(path(key), "expected a mapping, got " + describe(value));
    }
    return object.copy();
  }

  /**
   * A list of sections, each read with {@code reader} and checked for unknown keys; absent
   * means empty. A string value is parsed as YAML (e.g. from an environment variable).
   */
  public <T> List<T> list(String key, java.util.function.Function<ConfigReader, T> reader) {
    Object value = take(key);
    if (value == null) {
      return List.of();
    }
    if (value instanceof String s && s.trim().startsWith("[")) {
      value = parseInline(key, s);
    }
    if (!(value instanceof JsonArray array)) {
      throw new ConfigException(path(key), "expected a list, got " + describe(value));
    }
    List<T> result = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject item)) {
        throw new ConfigException(path(key) + "[" + i + "]", "expected a mapping, got " + Yaml.typeName(array.getValue(i)));
      }
      ConfigReader section = new ConfigReader(item, path(key) + "[" + i + "]");
      result.add(reader.apply(section));
      section.requireKnownKeys();
    }
    return List.copyOf(result);
  }

  /** Rejects every key of this section that no read asked for. */
  public void requireKnownKeys() {
    for (String key : json.fieldNames()) {
      if (!read.contains(key)) {
        Set<String> known = new TreeSet<>(read);
        throw new ConfigException(path(key), "unknown key" + (known.isEmpty() ? "" : " (known here: " + String.join(", ", known) + ")"));
      }
    }
  }

  private Object take(String key) {
    read.add(key);
    return json.getValue(key);
  }

  private Object parseInline(String key, String text) {
    try {
      return Yaml.parse(text);
    } catch (Yaml.YamlException e) {
      throw new ConfigException(path(key), "cannot parse '" + text + "': " + e.getMessage());
    }
  }

  private static String describe(Object value) {
    if (value instanceof String s) {
      return "'" + s + "'";
    }
    if (value instanceof Number || value instanceof Boolean) {
      return String.valueOf(value);
    }
    return Yaml.typeName(value);
  }
}
