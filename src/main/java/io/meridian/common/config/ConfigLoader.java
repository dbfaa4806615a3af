package io.meridian.common.config;

import io.meridian.common.json.Yaml;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads the configuration in layers, each overriding only the keys it sets:
 * built-in defaults → the {@code --conf} YAML file → environment variables
 * {@code MERIDIAN_<PATH>} → flags ({@code --roles}, {@code --cluster}, {@code --set key=value}).
 *
 * <p>An environment variable's name is {@code MERIDIAN_} followed by the key's path with
 * dots as underscores and camelCase split by underscores, upper-cased:
 * {@code admin.port} → {@code MERIDIAN_ADMIN_PORT}, {@code telemetry.zipkin.port} →
 * {@code MERIDIAN_TELEMETRY_ZIPKIN_PORT}, {@code admin.maxBodySize} →
 * {@code MERIDIAN_ADMIN_MAX_BODY_SIZE}. Lists take commas ({@code a,b}) or YAML
 * ({@code [a, b]}).
 */
public final class ConfigLoader {

  /** Prefix of every environment variable that configures Meridian. */
  public static final String ENV_PREFIX = "MERIDIAN_";

  /** One {@code key=value} setting from a flag. */
  public record Setting(String key, String value) {
  }

  /**
   * The outcome of loading.
   *
   * @param config   the validated configuration
   * @param warnings things worth logging that are not errors (e.g. an unknown {@code MERIDIAN_} variable)
   */
  public record Result(MeridianConfig config, List<String> warnings) {
  }

  /**
   * Loads and validates.
   *
   * @param file     the {@code --conf} file, or {@code null}
   * @param env      the environment (normally {@code System.getenv()})
   * @param settings flag settings, applied last in order
   * @throws ConfigException naming the first problem
   */
  public static Result load(Path file, Map<String, String> env, List<Setting> settings) {
    List<String> warnings = new ArrayList<>();
    Map<String, String> sources = new LinkedHashMap<>();
    JsonObject merged = file == null ? new JsonObject() : readFile(file);

    Map<String, String> leaves = leafPaths();
    Map<String, String> envNames = new LinkedHashMap<>();
    for (String path : leaves.keySet()) {
      envNames.put(envName(path), path);
      envNames.putIfAbsent(ENV_PREFIX + path.replace('.', '_').toUpperCase(Locale.ROOT), path);
    }
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      if (!e.getKey().startsWith(ENV_PREFIX)) {
        continue;
      }
      String path = envNames.get(e.getKey());
      if (path == null) {
        warnings.add("ignoring environment variable " + e.getKey() + ": no config key has that name");
        continue;
      }
      set(merged, path, e.getValue(), "environment variable " + e.getKey());
      sources.put(path, "environment variable " + e.getKey());
    }
    for (Setting s : settings) {
      if (!leaves.containsKey(s.key())) {
        throw new ConfigException(s.key(), "unknown key");
      }
      set(merged, s.key(), s.value(), "flag");
      sources.put(s.key(), "flag");
    }
    try {
      return new Result(MeridianConfig.fromJson(merged), List.copyOf(warnings));
    } catch (ConfigException e) {
      String source = e.key() == null ? null : sources.get(e.key().replaceFirst("\\[\\d+]$", ""));
      if (source == null) {
        throw e;
      }
      throw new ConfigException(e.key(), e.getMessage().substring(e.getMessage().indexOf(": ") + 2) + " (set by " + source + ")");
    }
  }

  /** The environment variable that sets {@code path}. */
  public static String envName(String path) {
    StringBuilder sb = new StringBuilder(ENV_PREFIX);
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString();
  }

  /** Every settable key of the defaults (dotted path → JSON type name), in document order. */
  public static Map<String, String> leafPaths() {
    Map<String, String> leaves = new LinkedHashMap<>();
    collect(MeridianConfig.defaults().toJson(false), "", leaves);
    return leaves;
  }

  private static void collect(JsonObject json, String prefix, Map<String, String> into) {
    for (String key : json.fieldNames()) {
      Object value = json.getValue(key);
      String path = prefix.isEmpty() ? key : prefix + "." + key;
      if (value instanceof JsonObject object && !object.isEmpty()) {
        collect(object, path, into);
      } else {
        into.put(path, Yaml.typeName(value));
      }
    }
  }

  private static void set(JsonObject root, String path, String value, String source) {
    String[] parts = path.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = node.getValue(parts[i]);
      if (child == null) {
        JsonObject created = new JsonObject();
        node.put(parts[i], created);
        node = created;
      } else if (child instanceof JsonObject object) {
        node = object;
      } else {
        String at = String.join(".", java.util.Arrays.copyOf(parts, i + 1));
        throw new ConfigException(at, "expected a mapping (cannot apply " + source + ")");
      }
    }
    node.put(parts[parts.length - 1], value);
  }

  private static JsonObject readFile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(null, "config file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException(null, "cannot read config file " + file + ": " + e.getMessage());
    }
    try {
      return normalise(Yaml.parseObject(text));
    } catch (Yaml.YamlException e) {
      throw new ConfigException(null, "config file " + file + " is not valid YAML: " + e.getMessage());
    }
  }

  /** Copies so later layers can mutate it; lists of scalars stay lists. */
  private static JsonObject normalise(JsonObject json) {
    JsonObject copy = new JsonObject();
    json.forEach(e -> copy.put(e.getKey(), e.getValue() instanceof JsonObject o ? normalise(o)
        : e.getValue() instanceof JsonArray a ? a.copy() : e.getValue()));
    return copy;
  }

  private ConfigLoader() {
  }
}
