package io.meridian.xds.impl;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meridian.registry.Scope;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Who an xDS client is and what it may see, from its {@code Node}: the metadata keys
 * {@code tenant} (default {@code default}), {@code plane} (default {@code default}),
 * {@code role} ({@code sidecar|gateway|proxyless}, default {@code proxyless}), {@code service},
 * {@code version} and {@code labels} (an object) are a contract.
 */
record NodeInfo(String id, String cluster, String tenant, String plane, String role, String service, String version,
    Map<String, String> labels) {

  static final List<String> ROLES = List.of("sidecar", "gateway", "proxyless");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** Reads a node; throws {@link IllegalArgumentException} naming the bad metadata key. */
  static NodeInfo of(Node node) {
    Struct metadata = node.getMetadata();
    String tenant = string(metadata, "tenant", "default");
    String plane = string(metadata, "plane", "default");
    String role = string(metadata, "role", "proxyless");
    if (!LABEL.matcher(tenant).matches()) {
      throw new IllegalArgumentException("node.metadata.tenant '" + tenant + "' is not a tenant name");
    }
    if (!LABEL.matcher(plane).matches()) {
      throw new IllegalArgumentException("node.metadata.plane '" + plane + "' is not a plane name");
    }
    if (!ROLES.contains(role)) {
      throw new IllegalArgumentException("node.metadata.role must be sidecar, gateway or proxyless (got '" + role + "')");
    }
    Map<String, String> labels = new TreeMap<>();
    Value labelValue = metadata.getFieldsMap().get("labels");
    if (labelValue != null) {
      if (!labelValue.hasStructValue()) {
        throw new IllegalArgumentException("node.metadata.labels must be an object");
      }
      labelValue.getStructValue().getFieldsMap().forEach((k, v) -> labels.put(k, v.hasStringValue() ? v.getStringValue()
          : v.toString().trim()));
    }
    return new NodeInfo(node.getId().isEmpty() ? "(no id)" : node.getId(), node.getCluster(), tenant, plane, role,
        string(metadata, "service", null), string(metadata, "version", null), labels);
  }

  private static String string(Struct metadata, String key, String def) {
    Value value = metadata.getFieldsMap().get(key);
    if (value == null || value.hasNullValue()) {
      return def;
    }
    if (!value.hasStringValue()) {
      throw new IllegalArgumentException("node.metadata." + key + " must be a string");
    }
    return value.getStringValue().isEmpty() ? def : value.getStringValue();
  }

  boolean proxyless() {
    return role.equals("proxyless");
  }

  /** What of the registry this node sees: its tenant (plus shared/external services), its plane only, its labels. */
  Scope scope() {
    return new Scope(Set.of(tenant), Set.of(plane), null, labels, true);
  }

  /** The node's own labels for {@code sourceLabels} matches: its labels, {@code app} and {@code version}. */
  Map<String, String> sourceLabels() {
    Map<String, String> all = new TreeMap<>(labels);
    if (service != null) {
      all.putIfAbsent("app", service);
    }
    if (version != null) {
      all.putIfAbsent("version", version);
    }
    return all;
  }

  /** Nodes with the same key receive the same resources. */
  String scopeKey() {
    return tenant + "|" + plane + "|" + role + "|" + labels + "|" + sourceLabels();
  }

  JsonObject toJson() {
    JsonObject labelsJson = new JsonObject();
    labels.forEach(labelsJson::put);
    return new JsonObject().put("id", id).put("cluster", cluster).put("tenant", tenant).put("plane", plane).put("role", role)
        .put("service", service).put("version", version).put("labels", labelsJson);
  }
}
