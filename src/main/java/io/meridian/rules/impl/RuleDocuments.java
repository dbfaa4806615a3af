package io.meridian.rules.impl;

import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads one rule document: the Kubernetes envelope ({@code apiVersion}, {@code kind},
 * {@code metadata}, {@code spec}) and the kind's spec schema. Pure.
 */
final class RuleDocuments {

  static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  static final Pattern NAMESPACE = Pattern.compile(Schemas.LABEL);
  /** Metadata the API server fills in: accepted in input (e.g. from kubectl) and dropped. */
  static final List<String> SERVER_METADATA = List.of("uid", "creationTimestamp", "generation", "managedFields", "selfLink",
      "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers", "ownerReferences");

  /** A validation finding. */
  record Issue(String path, String message) {
    JsonObject toJson() {
      return new JsonObject().put("path", path).put("message", message);
    }
  }

  /** Findings for one document. */
  static final class Report implements Schema.Findings {
    final List<Issue> errors = new ArrayList<>();
    final List<Issue> warnings = new ArrayList<>();

    @Override
    public void error(String path, String message) {
      errors.add(new Issue(path, message));
    }

    @Override
    public void warning(String path, String message) {
      warnings.add(new Issue(path, message));
    }

    boolean ok() {
      return errors.isEmpty();
    }

    JsonArray errorsJson() {
      return new JsonArray(errors.stream().map(Issue::toJson).toList());
    }

    JsonArray warningsJson() {
      return new JsonArray(warnings.stream().map(Issue::toJson).toList());
    }
  }

  /** A rule as submitted, before bookkeeping. */
  record Candidate(RuleKind kind, String apiVersion, String namespace, String name, Map<String, String> labels,
      Map<String, String> annotations, JsonObject spec, String resourceVersion) {
    String key() {
      return Rule.key(kind, namespace, name);
    }

    static Candidate of(Rule rule) {
      return new Candidate(rule.kind(), rule.apiVersion(), rule.namespace(), rule.name(), rule.labels(), rule.annotations(),
          rule.spec(), null);
    }

    Rule toRule(long resourceVersion, long revision, String at, String by) {
      return new Rule(kind, apiVersion, namespace, name, labels, annotations, spec, resourceVersion, revision, at, by);
    }
  }

  /**
   * Reads {@code document}; returns {@code null} (with errors in {@code report}) when it is not
   * a usable rule. {@code defaultNamespace} fills a missing {@code metadata.namespace}.
   */
  static Candidate read(Object document, String defaultNamespace, long maxSize, Report report) {
    if (!(document instanceof JsonObject doc)) {
      report.error("", "expected a rule document (an object with apiVersion, kind, metadata and spec), got "
          + Schema.typeOf(document));
      return null;
    }
    int size = doc.encode().length();
    if (size > maxSize) {
      report.error("", "document is " + size + " bytes, over the limit of " + maxSize + " (rules.maxDocumentSize)");
      return null;
    }
    for (String field : doc.fieldNames()) {
      if (!List.of("apiVersion", "kind", "metadata", "spec", "status").contains(field)) {
        report.error(field, "unknown field (known here: apiVersion, kind, metadata, spec)");
      }
    }
    Object kindValue = doc.getValue("kind");
    RuleKind kind = kindValue instanceof String k ? RuleKind.fromName(k) : null;
    if (kindValue == null) {
      report.error("kind", "is required");
    } else if (kind == null || !kind.kind().equals(kindValue)) {
      report.error("kind", "unknown kind '" + kindValue + "' (kinds: " + RuleKind.names() + ")");
      kind = null;
    }
    Object apiVersion = doc.getValue("apiVersion");
    if (apiVersion == null) {
      report.error("apiVersion", "is required");
    } else if (!(apiVersion instanceof String)) {
      report.error("apiVersion", "expected a string such as networking.istio.io/v1");
    } else if (kind != null && !kind.accepts((String) apiVersion)) {
      RuleKind known = kind;
      report.error("apiVersion", "'" + apiVersion + "' does not serve " + known.kind() + " (use "
          + String.join(", ", known.versions().stream().map(v -> known.group() + "/" + v).toList()) + ")");
    }
    Object metadataValue = doc.getValue("metadata");
    String name = null;
    String namespace = defaultNamespace;
    Map<String, String> labels = Map.of();
    Map<String, String> annotations = Map.of();
    String resourceVersion = null;
    if (!(metadataValue instanceof JsonObject metadata)) {
      report.error("metadata", metadataValue == null ? "is required" : "expected an object");
    } else {
      for (String field : metadata.fieldNames()) {
        if (!List.of("name", "namespace", "labels", "annotations", "resourceVersion").contains(field)
            && !SERVER_METADATA.contains(field)) {
          report.error("metadata." + field, "unknown field (known here: annotations, labels, name, namespace, resourceVersion)");
        }
      }
      if (!(metadata.getValue("name") instanceof String n)) {
        report.error("metadata.name", metadata.getValue("name") == null ? "is required" : "expected a string");
      } else if (!NAME.matcher(n).matches()) {
        report.error("metadata.name", "'" + n + "' is not a valid name (lower-case letters, digits, '-' and '.', at most 253)");
      } else {
        name = n;
      }
      Object ns = metadata.getValue("namespace");
      if (ns != null) {
        if (!(ns instanceof String s) || !NAMESPACE.matcher(s).matches()) {
          report.error("metadata.namespace", "'" + ns + "' is not a namespace (a DNS-1123 label)");
        } else {
          namespace = s;
        }
      }
      labels = stringMap(metadata, "labels", report, true);
      annotations = stringMap(metadata, "annotations", report, false);
      Object rv = metadata.getValue("resourceVersion");
      if (rv != null) {
        if (rv instanceof String || rv instanceof Number) {
          resourceVersion = String.valueOf(rv);
        } else {
          report.error("metadata.resourceVersion", "expected a string");
        }
      }
    }
    Object spec = doc.getValue("spec");
    if (spec == null) {
      report.error("spec", "is required");
    } else if (kind != null) {
      Schemas.spec(kind).check(spec, "spec", report);
    }
    if (!report.ok() || kind == null || name == null) {
      return null;
    }
    return new Candidate(kind, (String) apiVersion, namespace, name, labels, annotations, (JsonObject) spec, resourceVersion);
  }

  private static Map<String, String> stringMap(JsonObject metadata, String field, Report report, boolean checkKeys) {
    Object value = metadata.getValue(field);
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject object)) {
      report.error("metadata." + field, "expected a map of strings");
      return Map.of();
    }
    Map<String, String> map = new TreeMap<>();
    for (String key : object.fieldNames()) {
      Object v = object.getValue(key);
      if (!(v instanceof String s)) {
        report.error("metadata." + field + "." + key, "expected a string");
      } else if (checkKeys && !Schemas.LABEL_KEY.matcher(key).matches()) {
        report.error("metadata." + field + "." + key, "invalid label key");
      } else {
        map.put(key, s);
      }
    }
    return map;
  }

  private RuleDocuments() {
  }
}
