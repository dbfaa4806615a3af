package io.meridian.xds.impl;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meridian.common.json.Yaml;
import io.meridian.registry.Instance;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.meridian.testing.Examples;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Models and nodes for the xDS tests (src/test/resources/xds). */
final class XdsFixtures {

  /** The instances of {@code xds/instances.json}, passing unless they say {@code "state"}. */
  static List<Instance> instances() {
    JsonArray array = new JsonArray(Examples.resource("/xds/instances.json"));
    List<Instance> result = new ArrayList<>();
    for (Object o : array) {
      result.add(instance((JsonObject) o));
    }
    return result;
  }

  /** An instance from its registration JSON (every field explicit) plus an optional {@code state}. */
  static Instance instance(JsonObject json) {
    JsonObject copy = json.copy();
    String state = (String) copy.remove("state");
    copy.put("status", new JsonObject().put("state", state == null ? "passing" : state));
    return Instance.fromJson(copy);
  }

  /** Rules from a YAML resource; a document without a namespace goes to {@code default}. Later documents replace earlier ones. */
  static List<Rule> rules(String... resources) {
    Map<String, Rule> byKey = new LinkedHashMap<>();
    for (String resource : resources) {
      for (Yaml.Document doc : Yaml.parseDocuments(Examples.resource(resource), Yaml.Limits.DEFAULT)) {
        Rule rule = rule((JsonObject) doc.value());
        byKey.put(rule.key(), rule);
      }
    }
    return List.copyOf(byKey.values());
  }

  static Rule rule(JsonObject doc) {
    JsonObject metadata = doc.getJsonObject("metadata");
    return new Rule(RuleKind.fromName(doc.getString("kind")), doc.getString("apiVersion"),
        metadata.getString("namespace", "default"), metadata.getString("name"), Map.of(), Map.of(), doc.getJsonObject("spec"),
        1, 1, "2026-11-26T00:00:00Z", "test");
  }

  /** The full fixture model: instances.json, Bookinfo's rules with reviews at 90/10, xds/rules.yaml. */
  static Translator.Model model() {
    return new Translator.Model(instances(), rules("/rules/bookinfo-rules.yaml",
        "/rules/istio/virtual-service-reviews-90-10.yaml", "/xds/rules.yaml"));
  }

  /** A node with the given metadata ({@code labels} as a nested object). */
  static Node node(String id, Map<String, Object> metadata) {
    Struct.Builder struct = Struct.newBuilder();
    metadata.forEach((k, v) -> struct.putFields(k, value(v)));
    return Node.newBuilder().setId(id).setCluster("test").setMetadata(struct).build();
  }

  @SuppressWarnings("unchecked")
  private static Value value(Object v) {
    if (v instanceof Map<?, ?> map) {
      Struct.Builder s = Struct.newBuilder();
      ((Map<String, Object>) map).forEach((k, x) -> s.putFields(k, value(x)));
      return Value.newBuilder().setStructValue(s).build();
    }
    if (v instanceof List<?> list) {
      ListValue.Builder l = ListValue.newBuilder();
      list.forEach(x -> l.addValues(value(x)));
      return Value.newBuilder().setListValue(l).build();
    }
    if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    }
    if (v instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    }
    return Value.newBuilder().setStringValue(String.valueOf(v)).build();
  }

  static NodeInfo nodeInfo(String tenant, String plane, String role) {
    return NodeInfo.of(node(role + "~" + tenant + "~" + plane, Map.of("tenant", tenant, "plane", plane, "role", role)));
  }

  private XdsFixtures() {
  }
}
