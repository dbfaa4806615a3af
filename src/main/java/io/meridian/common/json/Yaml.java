package io.meridian.common.json;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Safe YAML ⇄ JSON for untrusted input: config files, rule documents, flag values.
 *
 * <p>Only plain data is built (no tags to classes), duplicate keys are an error, aliases are
 * capped (a "billion laughs" document is refused, not expanded), nesting and size are
 * bounded, and timestamps stay strings so that YAML means the same as its JSON form.
 */
public final class Yaml {

  /** Limits applied while parsing. */
  public record Limits(int maxCodePoints, int maxAliases, int maxDepth) {
    /** 3 MiB of text, 50 aliases, 64 levels. */
    public static final Limits DEFAULT = new Limits(3 * 1024 * 1024, 50, 64);
  }

  /** A document that could not be read; {@code line}/{@code column} are 1-based or 0 if unknown. */
  public static final class YamlException extends RuntimeException {
    private final int line;
    private final int column;

    YamlException(String message, int line, int column) {
      super(message, null, false, false);
      this.line = line;
      this.column = column;
    }

    public int line() {
      return line;
    }

    public int column() {
      return column;
    }
  }

  /** Parses one document into JSON values (JsonObject, JsonArray, String, Number, Boolean or null). */
  public static Object parse(String text) {
    return parse(text, Limits.DEFAULT);
  }

  public static Object parse(String text, Limits limits) {
    List<Object> docs = parseAll(text, limits);
    if (docs.size() > 1) {
      throw new YamlException("expected one YAML document, found " + docs.size(), 0, 0);
    }
    return docs.isEmpty() ? null : docs.get(0);
  }

  /** Parses one document that must be a mapping (an empty document is an empty object). */
  public static JsonObject parseObject(String text) {
    Object value = parse(text);
    if (value == null) {
      return new JsonObject();
    }
    if (value instanceof JsonObject object) {
      return object;
    }
    throw new YamlException("expected a mapping at the top level, found " + typeName(value), 1, 1);
  }

  /** Parses every document of a multi-document stream ({@code ---} separated); empty documents are skipped. */
  public static List<Object> parseAll(String text, Limits limits) {
    List<Object> values = new ArrayList<>();
    parseDocuments(text, limits).forEach(d -> values.add(d.value()));
    return values;
  }

  /**
   * One document of a stream, with the line (1-based) where each path starts, e.g.
   * {@code spec.http[0].route[1].weight → 14}, so errors can point at their line.
   */
  public record Document(Object value, Map<String, Integer> lines, int startLine) {
    /** The line of {@code path} or of its nearest ancestor that has one; the document's first line otherwise. */
    public int lineOf(String path) {
      String p = path == null ? "" : path;
      while (!p.isEmpty()) {
        Integer line = lines.get(p);
        if (line != null) {
          return line;
        }
        int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        p = cut < 0 ? "" : p.substring(0, cut);
      }
      return startLine;
    }
  }

  /** Parses every non-empty document of a stream, keeping the line of every path. */
  public static List<Document> parseDocuments(String text, Limits limits) {
    if (text.codePointCount(0, text.length()) > limits.maxCodePoints()) {
      throw new YamlException("document exceeds " + limits.maxCodePoints() + " characters", 0, 0);
    }
    LoaderOptions options = loaderOptions(limits);
    NodeConstructor constructor = new NodeConstructor(options);
    org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml(constructor, new Representer(new DumperOptions()),
        new DumperOptions(), options, new NoTimestampResolver());
    List<Document> docs = new ArrayList<>();
    try {
      for (org.yaml.snakeyaml.nodes.Node node : yaml.composeAll(new java.io.StringReader(text))) {
        if (node == null) {
          continue;
        }
        Map<String, Integer> lines = new java.util.HashMap<>();
        collectLines(node, "", lines, 0, limits.maxDepth());
        Object raw = new NodeConstructor(options).construct(node);
        if (raw == null) {
          continue;
        }
        docs.add(new Document(toJsonValue(raw, "", 0, limits.maxDepth()), lines, node.getStartMark().getLine() + 1));
      }
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      int column = e.getProblemMark() == null ? 0 : e.getProblemMark().getColumn() + 1;
      String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
      throw new YamlException(problem + (line > 0 ? " (line " + line + ", column " + column + ")" : ""), line, column);
    } catch (YAMLException e) {
      throw new YamlException(firstLine(e.getMessage()), 0, 0);
    } catch (StackOverflowError e) {
      throw new YamlException("document is nested too deeply", 0, 0);
    }
    return docs;
  }

  private static void collectLines(org.yaml.snakeyaml.nodes.Node node, String path, Map<String, Integer> lines,
      int depth, int maxDepth) {
    if (depth > maxDepth) {
      return;
    }
    if (!path.isEmpty()) {
      lines.putIfAbsent(path, node.getStartMark().getLine() + 1);
    }
    if (node instanceof org.yaml.snakeyaml.nodes.MappingNode mapping) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (org.yaml.snakeyaml.nodes.NodeTuple tuple : mapping.getValue()) {
        if (tuple.getKeyNode() instanceof org.yaml.snakeyaml.nodes.ScalarNode key) {
          if (!key.getTag().equals(org.yaml.snakeyaml.nodes.Tag.MERGE) && !seen.add(key.getValue())) {
            // SnakeYAML checks duplicates only when it loads; nodes constructed one by one need this
            int line = key.getStartMark().getLine() + 1;
            int column = key.getStartMark().getColumn() + 1;
            throw new YamlException("found duplicate key " + key.getValue() + " (line " + line + ", column " + column + ")",
                line, column);
          }
          String child = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
          lines.putIfAbsent(child, key.getStartMark().getLine() + 1);
          collectLines(tuple.getValueNode(), child, lines, depth + 1, maxDepth);
        }
      }
    } else if (node instanceof org.yaml.snakeyaml.nodes.SequenceNode sequence) {
      List<org.yaml.snakeyaml.nodes.Node> items = sequence.getValue();
      for (int i = 0; i < items.size(); i++) {
        collectLines(items.get(i), path + "[" + i + "]", lines, depth + 1, maxDepth);
      }
    }
  }

  private static LoaderOptions loaderOptions(Limits limits) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(limits.maxAliases());
    options.setNestingDepthLimit(limits.maxDepth());
    options.setCodePointLimit(limits.maxCodePoints());
    options.setAllowRecursiveKeys(false);
    options.setProcessComments(false);
    return options;
  }

  /** The safe constructor, building plain data from an already composed node. */
  private static final class NodeConstructor extends SafeConstructor {
    NodeConstructor(LoaderOptions options) {
      super(options);
    }

    Object construct(org.yaml.snakeyaml.nodes.Node node) {
      return constructObject(node);
    }
  }

  /** Renders a JSON value as block-style YAML. */
  public static String dump(Object jsonValue) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndent(2);
    options.setIndicatorIndent(0);
    options.setSplitLines(false);
    return new org.yaml.snakeyaml.Yaml(options).dump(toPlain(jsonValue));
  }

  private static Object toPlain(Object value) {
    if (value instanceof JsonObject object) {
      Map<String, Object> map = new java.util.LinkedHashMap<>();
      object.forEach(e -> map.put(e.getKey(), toPlain(e.getValue())));
      return map;
    }
    if (value instanceof JsonArray array) {
      List<Object> list = new ArrayList<>(array.size());
      array.forEach(v -> list.add(toPlain(v)));
      return list;
    }
    return value;
  }

  private static Object toJsonValue(Object value, String path, int depth, int maxDepth) {
    if (depth > maxDepth) {
      throw new YamlException("document is nested deeper than " + maxDepth + " levels", 0, 0);
    }
    if (value instanceof Double d && !Double.isFinite(d)) {
      throw new YamlException("number out of range at " + displayPath(path) + ": " + d, 0, 0);
    }
    if (value == null || value instanceof String || value instanceof Boolean
        || value instanceof Integer || value instanceof Long || value instanceof Double) {
      return value;
    }
    if (value instanceof BigInteger big) {
      throw new YamlException("number out of range at " + displayPath(path) + ": " + big, 0, 0);
    }
    if (value instanceof Number number) {
      return number.doubleValue();
    }
    if (value instanceof Map<?, ?> map) {
      JsonObject object = new JsonObject();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        Object key = entry.getKey();
        if (!(key instanceof String) && !(key instanceof Number) && !(key instanceof Boolean)) {
          throw new YamlException("mapping keys must be scalars at " + displayPath(path), 0, 0);
        }
        String name = String.valueOf(key);
        object.put(name, toJsonValue(entry.getValue(), path.isEmpty() ? name : path + "." + name, depth + 1, maxDepth));
      }
      return object;
    }
    if (value instanceof List<?> list) {
      JsonArray array = new JsonArray();
      for (int i = 0; i < list.size(); i++) {
        array.add(toJsonValue(list.get(i), path + "[" + i + "]", depth + 1, maxDepth));
      }
      return array;
    }
    if (value instanceof byte[]) {
      throw new YamlException("binary values are not supported at " + displayPath(path), 0, 0);
    }
    throw new YamlException("unsupported YAML value at " + displayPath(path) + ": " + value.getClass().getSimpleName(), 0, 0);
  }

  private static String displayPath(String path) {
    return path.isEmpty() ? "the top level" : path;
  }

  /** A short name for a JSON value's type, for error messages. */
  public static String typeName(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof JsonObject || value instanceof Map) {
      return "a mapping";
    }
    if (value instanceof JsonArray || value instanceof List) {
      return "a list";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof Number) {
      return "a number";
    }
    return value.getClass().getSimpleName();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "invalid YAML";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /** The YAML 1.1 resolver without implicit timestamps (they stay strings, as in JSON). */
  private static final class NoTimestampResolver extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.BOOL, BOOL, "yYnNtTfFoO");
      addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.INT, INT, "-+0123456789");
      addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.FLOAT, FLOAT, "-+0123456789.");
      addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.MERGE, MERGE, "<");
      addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.NULL, NULL, "~nN\0");
      addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.NULL, EMPTY, null);
    }
  }

  private Yaml() {
  }
}
