package io.meridian.rules.impl;

import io.meridian.common.json.Yaml;
import io.meridian.common.units.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * A small structural schema language for rule documents: objects with known fields (and
 * fields known but not implemented, refused by name), lists, maps, scalars with ranges,
 * enums, patterns, durations and regular expressions. Validation collects every finding
 * with its JSON path ({@code spec.http[0].route[1].weight}).
 */
final class Schema {

  /** Where findings go. */
  interface Findings {
    void error(String path, String message);

    void warning(String path, String message);
  }

  /** A type that checks a value at a path. */
  interface Type {
    void check(Object value, String path, Findings findings);

    /** What the type expects, for messages ("a string", "a list of …"). */
    String describe();
  }

  static String typeOf(Object value) {
    return Yaml.typeName(value);
  }

  // ---- scalars -----------------------------------------------------------------------------

  static Type string() {
    return new Str(null, null, 0);
  }

  static Type string(String pattern, String meaning) {
    return new Str(Pattern.compile(pattern), meaning, 0);
  }

  static Type nonEmptyString() {
    return new Str(null, null, 1);
  }

  static Type enumOf(String... values) {
    List<String> allowed = List.of(values);
    return new Type() {
      @Override
      public void check(Object value, String path, Findings f) {
        if (!(value instanceof String s)) {
          f.error(path, "expected one of " + String.join(", ", allowed) + ", got " + typeOf(value));
        } else if (!allowed.contains(s)) {
          f.error(path, "'" + s + "' is not one of " + String.join(", ", allowed));
        }
      }

      @Override
      public String describe() {
        return "one of " + String.join(", ", allowed);
      }
    };
  }

  static Type integer(long min, long max) {
    return new Type() {
      @Override
      public void check(Object value, String path, Findings f) {
        long v;
        if (value instanceof Integer || value instanceof Long) {
          v = ((Number) value).longValue();
        } else if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
          v = d.longValue();
        } else {
          f.error(path, "expected a whole number, got " + typeOf(value));
          return;
        }
        if (v < min || v > max) {
          f.error(path, "must be between " + min + " and " + max + " (got " + v + ")");
        }
      }

      @Override
      public String describe() {
        return "a whole number";
      }
    };
  }

  static Type number(double min, double max) {
    return new Type() {
      @Override
      public void check(Object value, String path, Findings f) {
        if (!(value instanceof Number n)) {
          f.error(path, "expected a number, got " + typeOf(value));
        } else if (n.doubleValue() < min || n.doubleValue() > max) {
          f.error(path, "must be between " + min + " and " + max + " (got " + n + ")");
        }
      }

      @Override
      public String describe() {
        return "a number";
      }
    };
  }

  static Type bool() {
    return new Type() {
      @Override
      public void check(Object value, String path, Findings f) {
        if (!(value instanceof Boolean)) {
          f.error(path, "expected true or false, got " + typeOf(value));
        }
      }

      @Override
      public String describe() {
        return "true or false";
      }
    };
  }

  /** A duration such as {@code 1.5s} or {@code 100ms}, within bounds. */
  static Type duration(Duration min, Duration max) {
    return new Type() {
      @Override
      public void check(Object value, String path, Findings f) {
        if (!(value instanceof String s)) {
          f.error(path, "expected a duration such as 1.5s or 100ms, got " + typeOf(value));
          return;
        }
        try {
          Duration d = Durations.parse(s);
          if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            f.error(path, "must be between " + Durations.format(min) + " and " + Durations.format(max) + " (got " + s + ")");
          }
        } catch (IllegalArgumentException e) {
          f.error(path, e.getMessage());
        }
      }

      @Override
      public String describe() {
        return "a duration";
      }
    };
  }

  static Type duration() {
    return duration(Duration.ZERO, Duration.ofDays(3650));
  }

  /**
   * A regular expression in RE2 syntax — what Envoy and proxyless gRPC use, so a pattern Java
   * would accept but they reject (lookaround, backreferences) is refused here rather than
   * NACKed by every client.
   */
  static Type regex() {
    return new Type() {
      @Override
      public void check(Object value, String path, Findings f) {
        if (!(value instanceof String s)) {
          f.error(path, "expected a regular expression, got " + typeOf(value));
          return;
        }
        try {
          com.google.re2j.Pattern.compile(s);
        } catch (com.google.re2j.PatternSyntaxException e) {
          f.error(path, "invalid regular expression (RE2 syntax, as Envoy and gRPC use): " + e.getDescription());
        }
      }

      @Override
      public String describe() {
        return "a regular expression";
      }
    };
  }

  // ---- containers --------------------------------------------------------------------------

  static Type list(Type item) {
    return list(item, 0, 10_000);
  }

  static Type list(Type item, int min, int max) {
    return new Type() {
      @Override
      public void check(Object value, String path, Findings f) {
        if (!(value instanceof JsonArray array)) {
          f.error(path, "expected a list of " + item.describe() + ", got " + typeOf(value));
          return;
        }
        if (array.size() < min) {
          f.error(path, min == 1 ? "must not be empty" : "needs at least " + min + " items");
        }
        if (array.size() > max) {
          f.error(path, "at most " + max + " items (got " + array.size() + ")");
        }
        for (int i = 0; i < array.size(); i++) {
          item.check(array.getValue(i), path + "[" + i + "]", f);
        }
      }

      @Override
      public String describe() {
        return "a list";
      }
    };
  }

  /** A map with string keys (optionally matching {@code keyPattern}) and values of one type. */
  static Type map(Type value) {
    return map(null, value);
  }

  static Type map(Pattern keyPattern, Type value) {
    return new Type() {
      @Override
      public void check(Object v, String path, Findings f) {
        if (!(v instanceof JsonObject object)) {
          f.error(path, "expected a map, got " + typeOf(v));
          return;
        }
        for (String key : object.fieldNames()) {
          if (keyPattern != null && !keyPattern.matcher(key).matches()) {
            f.error(path + "." + key, "invalid key '" + key + "'");
          }
          value.check(object.getValue(key), path + "." + key, f);
        }
      }

      @Override
      public String describe() {
        return "a map";
      }
    };
  }

  static Obj object() {
    return new Obj();
  }

  /** An object with known fields; unknown fields and known-but-unsupported fields are errors. */
  static final class Obj implements Type {
    private final Map<String, Type> fields = new LinkedHashMap<>();
    private final Map<String, String> unsupported = new LinkedHashMap<>();
    private final List<String> required = new ArrayList<>();
    private final List<BiConsumer<JsonObject, Check>> rules = new ArrayList<>();

    /** Context of a cross-field rule. */
    record Check(String path, Findings findings) {
      void error(String field, String message) {
        findings.error(field == null ? path : path + "." + field, message);
      }
    }

    Obj field(String name, Type type) {
      fields.put(name, type);
      return this;
    }

    Obj required(String name, Type type) {
      fields.put(name, type);
      required.add(name);
      return this;
    }

    /** A field of the upstream API that Meridian does not implement: refused with {@code reason}. */
    Obj unsupported(String name, String reason) {
      unsupported.put(name, reason);
      return this;
    }

    /** A cross-field rule run when the object is well-typed enough to be a JSON object. */
    Obj rule(BiConsumer<JsonObject, Check> rule) {
      rules.add(rule);
      return this;
    }

    /** Exactly one of {@code names} must be set. */
    Obj oneOf(String... names) {
      return rule((json, c) -> {
        List<String> set = new ArrayList<>();
        for (String n : names) {
          if (json.getValue(n) != null) {
            set.add(n);
          }
        }
        if (set.size() != 1) {
          c.error(null, set.isEmpty() ? "needs one of " + String.join(", ", names)
              : "set only one of " + String.join(", ", names) + " (got " + String.join(", ", set) + ")");
        }
      });
    }

    /** At most one of {@code names} may be set. */
    Obj atMostOne(String... names) {
      return rule((json, c) -> {
        List<String> set = new ArrayList<>();
        for (String n : names) {
          if (json.getValue(n) != null) {
            set.add(n);
          }
        }
        if (set.size() > 1) {
          c.error(null, "set only one of " + String.join(", ", names) + " (got " + String.join(", ", set) + ")");
        }
      });
    }

    @Override
    public void check(Object value, String path, Findings f) {
      if (!(value instanceof JsonObject json)) {
        f.error(path, "expected an object, got " + typeOf(value));
        return;
      }
      for (String name : json.fieldNames()) {
        String at = path.isEmpty() ? name : path + "." + name;
        Type type = fields.get(name);
        if (type != null) {
          if (json.getValue(name) != null) {
            type.check(json.getValue(name), at, f);
          }
        } else if (unsupported.containsKey(name)) {
          f.error(at, "is not supported by Meridian: " + unsupported.get(name));
        } else {
          f.error(at, "unknown field (known here: " + String.join(", ", new TreeSet<>(fields.keySet())) + ")");
        }
      }
      for (String name : required) {
        if (json.getValue(name) == null) {
          f.error(path.isEmpty() ? name : path + "." + name, "is required");
        }
      }
      for (BiConsumer<JsonObject, Check> rule : rules) {
        rule.accept(json, new Check(path, f));
      }
    }

    @Override
    public String describe() {
      return "an object";
    }
  }

  private record Str(Pattern pattern, String meaning, int minLength) implements Type {
    @Override
    public void check(Object value, String path, Findings f) {
      if (!(value instanceof String s)) {
        f.error(path, "expected a string, got " + typeOf(value));
      } else if (s.length() < minLength) {
        f.error(path, "must not be empty");
      } else if (pattern != null && !pattern.matcher(s).matches()) {
        f.error(path, "'" + s + "' is not " + meaning);
      }
    }

    @Override
    public String describe() {
      return meaning == null ? "a string" : meaning;
    }
  }

  private Schema() {
  }
}
