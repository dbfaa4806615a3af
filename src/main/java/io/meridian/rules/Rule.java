package io.meridian.rules;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A stored traffic rule: a Kubernetes-style document ({@code apiVersion}, {@code kind},
 * {@code metadata}, {@code spec}) plus Meridian's bookkeeping.
 *
 * @param namespace       the tenant it belongs to
 * @param spec            the validated spec, as written
 * @param resourceVersion the rules index of its last change (optimistic concurrency)
 * @param revision        its revision number (1, 2, …; history keeps every one)
 * @param updatedAt       time of the last change (ISO-8601)
 * @param updatedBy       name of the token that made it
 */
public record Rule(RuleKind kind, String apiVersion, String namespace, String name, Map<String, String> labels,
    Map<String, String> annotations, JsonObject spec, long resourceVersion, long revision, String updatedAt, String updatedBy) {

  public Rule {
    Objects.requireNonNull(kind, "kind");
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    spec = spec.copy();
  }

  /** {@code Kind/namespace/name}: the rule's identity. */
  public String key() {
    return key(kind, namespace, name);
  }

  public static String key(RuleKind kind, String namespace, String name) {
    return kind.kind() + "/" + namespace + "/" + name;
  }

  /** Whether {@code other} says the same (ignoring bookkeeping): re-applying it changes nothing. */
  public boolean sameContent(Rule other) {
    return other != null && kind == other.kind && apiVersion.equals(other.apiVersion) && labels.equals(other.labels)
        && annotations.equals(other.annotations) && spec.equals(other.spec);
  }

  /** The document as a user writes it: no server fields; what export returns and apply takes back. */
  public JsonObject toDocument() {
    JsonObject metadata = new JsonObject().put("name", name).put("namespace", namespace);
    if (!labels.isEmpty()) {
      metadata.put("labels", sorted(labels));
    }
    if (!annotations.isEmpty()) {
      metadata.put("annotations", sorted(annotations));
    }
    return new JsonObject()
        .put("apiVersion", apiVersion)
        .put("kind", kind.kind())
        .put("metadata", metadata)
        .put("spec", spec.copy());
  }

  /** The API form: the document with {@code metadata.resourceVersion} and a {@code status} of bookkeeping. */
  public JsonObject toJson() {
    JsonObject json = toDocument();
    json.getJsonObject("metadata").put("resourceVersion", Long.toString(resourceVersion));
    json.put("status", new JsonObject().put("revision", revision).put("updatedAt", updatedAt).put("updatedBy", updatedBy));
    return json;
  }

  /** Reads {@link #toJson()}. */
  public static Rule fromJson(JsonObject json) {
    JsonObject metadata = json.getJsonObject("metadata");
    JsonObject status = json.getJsonObject("status", new JsonObject());
    return new Rule(RuleKind.fromName(json.getString("kind")), json.getString("apiVersion"), metadata.getString("namespace"),
        metadata.getString("name"), strings(metadata.getJsonObject("labels")), strings(metadata.getJsonObject("annotations")),
        json.getJsonObject("spec"), Long.parseLong(metadata.getString("resourceVersion", "0")), status.getLong("revision", 0L),
        status.getString("updatedAt"), status.getString("updatedBy"));
  }

  private static JsonObject sorted(Map<String, String> map) {
    JsonObject json = new JsonObject();
    new TreeMap<>(map).forEach(json::put);
    return json;
  }

  private static Map<String, String> strings(JsonObject json) {
    Map<String, String> map = new TreeMap<>();
    if (json != null) {
      json.forEach(e -> map.put(e.getKey(), String.valueOf(e.getValue())));
    }
    return map;
  }
}
