package io.meridian.common.config;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Logging: one line per event with time, level and role.
 *
 * @param format {@code text} (human-readable) or {@code json} (one JSON object per line)
 * @param level  root level
 * @param levels per-logger levels, e.g. {@code {io.netty: warn}}
 */
public record LogOptions(String format, String level, Map<String, String> levels) {

  public static final List<String> FORMATS = List.of("text", "json");
  public static final List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error", "off");

  public LogOptions {
    levels = Map.copyOf(levels);
  }

  static LogOptions read(ConfigReader r) {
    String format = r.choice("format", "text", FORMATS);
    String level = r.choice("level", "info", LEVELS);
    JsonObject raw = r.object("levels");
    Map<String, String> levels = new TreeMap<>();
    for (String logger : raw.fieldNames()) {
      Object value = raw.getValue(logger);
      String text = value == null ? "" : String.valueOf(value).toLowerCase(java.util.Locale.ROOT);
      if (!LEVELS.contains(text)) {
        throw new ConfigException(r.path("levels") + "." + logger, "'" + value + "' is not one of " + String.join(", ", LEVELS));
      }
      levels.put(logger, text);
    }
    return new LogOptions(format, level, levels);
  }

  public JsonObject toJson() {
    JsonObject levelsJson = new JsonObject();
    new TreeMap<>(levels).forEach(levelsJson::put);
    return new JsonObject().put("format", format).put("level", level).put("levels", levelsJson);
  }
}
