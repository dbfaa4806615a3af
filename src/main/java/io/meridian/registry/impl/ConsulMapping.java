package io.meridian.registry.impl;

import io.meridian.common.config.RegistryOptions;
import io.meridian.common.error.ApiException;
import io.meridian.registry.HealthPolicy;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.Instance;
import io.meridian.registry.ServiceBinding;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Translation between Consul's agent/catalog/health JSON and Meridian's model. Pure.
 *
 * <p>Registration ({@code PUT /v1/agent/service/register}): {@code Name}/{@code Port} become
 * the service binding, {@code ID} the instance id, {@code Tags} the tags, {@code Meta} the
 * labels — except {@code Meta.tenant}, {@code Meta.version}, {@code Meta.plane},
 * {@code Meta.protocol} and {@code Meta.kind}, which set those fields. {@code Address} is the
 * address on {@code Meta.plane} (default: the first declared plane, or {@code default});
 * every {@code TaggedAddresses} entry is the address on the plane named by its key. One check
 * ({@code Check} or a one-element {@code Checks}) becomes the health policy: TTL, HTTP (to one
 * of the instance's own addresses) or TCP. Field names are matched case-insensitively, as
 * Consul does; unsupported fields are refused by name.
 */
final class ConsulMapping {

  /** Meta keys that set model fields instead of labels. */
  static final List<String> RESERVED_META = List.of("tenant", "version", "plane", "protocol", "kind");

  private static final List<String> REGISTRATION_FIELDS = List.of("ID", "Name", "Tags", "Address", "Port", "Meta",
      "TaggedAddresses", "Check", "Checks", "EnableTagOverride", "Weights", "Kind", "Namespace", "Partition",
      "Connect", "Proxy", "SocketPath", "Locality");
  private static final List<String> CHECK_FIELDS = List.of("CheckID", "ID", "Name", "Notes", "Status", "TTL", "HTTP", "TCP",
      "Interval", "Timeout", "DeregisterCriticalServiceAfter", "Method", "Header", "Body", "TLSSkipVerify", "TLSServerName",
      "SuccessBeforePassing", "FailuresBeforeCritical", "FailuresBeforeWarning", "OutputMaxSize", "Args", "ScriptArgs",
      "GRPC", "GRPCUseTLS", "DockerContainerID", "Shell", "H2PING", "H2PingUseTLS", "AliasNode", "AliasService", "UDP",
      "OSService", "ServiceID", "Type");
  private static final List<String> TAGGED_FIELDS = List.of("Address", "Port");

  /** A Meridian registration document built from a Consul one, and how to name its fields back. */
  record Translated(JsonObject registration, Map<String, String> fieldNames) {
    /** The Consul name of a Meridian field path (longest known prefix), for error messages. */
    String consulField(String meridianPath) {
      if (meridianPath == null) {
        return null;
      }
      String best = null;
      for (String key : fieldNames.keySet()) {
        if ((meridianPath.equals(key) || meridianPath.startsWith(key + ".") || meridianPath.startsWith(key + "["))
            && (best == null || key.length() > best.length())) {
          best = key;
        }
      }
      return best == null ? meridianPath : fieldNames.get(best) + meridianPath.substring(best.length());
    }
  }

  private final RegistryOptions options;

  ConsulMapping(RegistryOptions options) {
    this.options = options;
  }

  /** Translates a Consul service registration; {@code namespace} comes from {@code ?ns=} (or null). */
  Translated registration(JsonObject consul, String namespace) {
    JsonObject c = canonical(consul, REGISTRATION_FIELDS, "");
    Map<String, String> names = new LinkedHashMap<>();
    String name = string(c, "Name", "");
    if (name == null || name.isBlank()) {
      throw ApiException.badRequest("Name", "is required");
    }
    for (String unsupported : List.of("Connect", "Proxy", "SocketPath")) {
      if (c.getValue(unsupported) != null) {
        throw ApiException.badRequest(unsupported, "is not supported by Meridian (no Consul Connect)");
      }
    }
    String kind = string(c, "Kind", "");
    if (kind != null && !kind.isEmpty()) {
      throw ApiException.badRequest("Kind", "only typical services are supported (got '" + kind + "')");
    }
    Map<String, String> meta = stringMap(c, "Meta", "");
    JsonObject labels = new JsonObject();
    meta.forEach((k, v) -> {
      if (!RESERVED_META.contains(k)) {
        labels.put(k, v);
      }
    });
    names.put("labels", "Meta");

    JsonObject registration = new JsonObject();
    String id = string(c, "ID", "");
    registration.put("id", id == null || id.isEmpty() ? name : id);
    names.put("id", "ID");
    String tenant = meta.get("tenant") != null ? meta.get("tenant") : nonEmpty(string(c, "Namespace", ""), namespace);
    if (tenant != null) {
      registration.put("tenant", tenant);
      names.put("tenant", meta.get("tenant") != null ? "Meta.tenant" : "Namespace");
    }
    if (meta.get("kind") != null) {
      registration.put("kind", meta.get("kind"));
      names.put("kind", "Meta.kind");
    }
    registration.put("labels", labels);
    registration.put("tags", c.getValue("Tags") == null ? new JsonArray() : c.getValue("Tags"));
    names.put("tags", "Tags");

    Object portValue = c.getValue("Port");
    if (!(portValue instanceof Number port) || port.intValue() <= 0) {
      throw ApiException.badRequest("Port", portValue == null ? "is required (Meridian binds every service to a port)"
          : "must be between 1 and 65535");
    }
    List<JsonObject> endpoints = new ArrayList<>();
    List<String> planes = new ArrayList<>();
    String address = string(c, "Address", "");
    if (address != null && !address.isEmpty()) {
      String plane = meta.get("plane") != null ? meta.get("plane") : options.effectivePlanes().get(0).name();
      names.put("endpoints[0].plane", meta.get("plane") != null ? "Meta.plane" : "Address");
      names.put("endpoints[0].address", "Address");
      names.put("endpoints[0]", "Address");
      endpoints.add(new JsonObject().put("plane", plane).put("address", address));
      planes.add(plane);
    }
    JsonObject tagged = object(c, "TaggedAddresses", "");
    if (tagged != null) {
      for (String plane : new TreeMap<>(tagged.getMap()).keySet()) {
        String field = "TaggedAddresses." + plane;
        if (!(tagged.getValue(plane) instanceof JsonObject entryRaw)) {
          throw ApiException.badRequest(field, "expected an object with Address and Port");
        }
        JsonObject entry = canonical(entryRaw, TAGGED_FIELDS, field + ".");
        String tagAddress = string(entry, "Address", field + ".");
        if (tagAddress == null || tagAddress.isEmpty()) {
          throw ApiException.badRequest(field + ".Address", "is required");
        }
        Object tagPort = entry.getValue("Port");
        if (tagPort instanceof Number p && p.intValue() != 0 && p.intValue() != port.intValue()) {
          throw ApiException.badRequest(field + ".Port", "must equal Port (" + port + "): Meridian binds one port per service on every plane");
        }
        if (planes.contains(plane)) {
          String existing = endpoints.get(planes.indexOf(plane)).getString("address");
          if (!existing.equals(tagAddress)) {
            throw ApiException.badRequest(field + ".Address", "plane '" + plane + "' already has address " + existing + " (from Address)");
          }
          continue;
        }
        names.put("endpoints[" + endpoints.size() + "]", field);
        names.put("endpoints[" + endpoints.size() + "].address", field + ".Address");
        names.put("endpoints[" + endpoints.size() + "].plane", field);
        endpoints.add(new JsonObject().put("plane", plane).put("address", tagAddress));
        planes.add(plane);
      }
    }
    if (endpoints.isEmpty()) {
      throw ApiException.badRequest("Address", "is required (or TaggedAddresses): Meridian stores an address per plane");
    }
    registration.put("endpoints", new JsonArray(endpoints));
    JsonObject service = new JsonObject().put("name", name).put("port", port.intValue());
    if (meta.get("version") != null) {
      service.put("version", meta.get("version"));
      names.put("services[0].version", "Meta.version");
    }
    if (meta.get("protocol") != null) {
      service.put("protocol", meta.get("protocol"));
      names.put("services[0].protocol", "Meta.protocol");
    }
    names.put("services[0].name", "Name");
    names.put("services[0].port", "Port");
    names.put("services[0].planes", "TaggedAddresses");
    registration.put("services", new JsonArray().add(service));

    JsonObject check = check(c);
    if (check != null) {
      registration.put("health", health(check, endpoints, port.intValue(), names));
    }
    return new Translated(registration, names);
  }

  private JsonObject check(JsonObject c) {
    JsonObject check = object(c, "Check", "");
    Object checks = c.getValue("Checks");
    if (checks != null) {
      if (!(checks instanceof JsonArray array)) {
        throw ApiException.badRequest("Checks", "expected a list of checks");
      }
      if (array.size() > 1 || (array.size() == 1 && check != null)) {
        throw ApiException.badRequest("Checks", "Meridian keeps one health check per service instance (got "
            + (array.size() + (check == null ? 0 : 1)) + ")");
      }
      if (array.size() == 1) {
        if (!(array.getValue(0) instanceof JsonObject only)) {
          throw ApiException.badRequest("Checks[0]", "expected an object");
        }
        return canonical(only, CHECK_FIELDS, "Checks[0].");
      }
    }
    return check == null ? null : canonical(check, CHECK_FIELDS, "Check.");
  }

  private JsonObject health(JsonObject check, List<JsonObject> endpoints, int servicePort, Map<String, String> names) {
    String prefix = "Check.";
    for (String unsupported : List.of("Args", "ScriptArgs", "GRPC", "DockerContainerID", "Shell", "H2PING", "AliasNode",
        "AliasService", "UDP", "OSService", "Body")) {
      if (check.getValue(unsupported) != null) {
        throw ApiException.badRequest(prefix + unsupported, "is not supported by Meridian (use TTL, HTTP or TCP)");
      }
    }
    String method = string(check, "Method", prefix);
    if (method != null && !method.isEmpty() && !method.equalsIgnoreCase("GET")) {
      throw ApiException.badRequest(prefix + "Method", "only GET health checks are supported");
    }
    if (Boolean.TRUE.equals(check.getValue("TLSSkipVerify"))) {
      throw ApiException.badRequest(prefix + "TLSSkipVerify", "HTTPS health checks are not supported");
    }
    if (check.getValue("Header") instanceof JsonObject header && !header.isEmpty()) {
      throw ApiException.badRequest(prefix + "Header", "custom health-check headers are not supported");
    }
    for (String counter : List.of("SuccessBeforePassing", "FailuresBeforeCritical", "FailuresBeforeWarning")) {
      if (check.getValue(counter) instanceof Number n && n.intValue() > 0) {
        throw ApiException.badRequest(prefix + counter, "is not supported: every check result counts");
      }
    }
    JsonObject health = new JsonObject();
    String ttl = string(check, "TTL", prefix);
    String http = string(check, "HTTP", prefix);
    String tcp = string(check, "TCP", prefix);
    int kinds = (ttl != null && !ttl.isEmpty() ? 1 : 0) + (http != null && !http.isEmpty() ? 1 : 0)
        + (tcp != null && !tcp.isEmpty() ? 1 : 0);
    if (kinds != 1) {
      throw ApiException.badRequest(prefix + "TTL", "a check needs exactly one of TTL, HTTP or TCP");
    }
    if (ttl != null && !ttl.isEmpty()) {
      health.put("policy", "ttl").put("ttl", ttl);
      names.put("health.ttl", prefix + "TTL");
    } else {
      String target = http != null && !http.isEmpty() ? http : tcp;
      String host;
      int port;
      if (http != null && !http.isEmpty()) {
        URI uri;
        try {
          uri = new URI(http);
        } catch (URISyntaxException e) {
          throw ApiException.badRequest(prefix + "HTTP", "'" + http + "' is not a URL");
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
          throw ApiException.badRequest(prefix + "HTTP", "must be an http:// URL (got '" + http + "')");
        }
        host = uri.getHost();
        port = uri.getPort() > 0 ? uri.getPort() : 80;
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        health.put("policy", "http").put("path", uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
        names.put("health.path", prefix + "HTTP");
      } else {
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
          throw ApiException.badRequest(prefix + "TCP", "must be host:port (got '" + tcp + "')");
        }
        host = target.substring(0, colon);
        try {
          port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw ApiException.badRequest(prefix + "TCP", "must be host:port (got '" + tcp + "')");
        }
        health.put("policy", "tcp");
      }
      String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
      String plane = null;
      for (JsonObject e : endpoints) {
        if (e.getString("address").equalsIgnoreCase(bare)) {
          plane = e.getString("plane");
          break;
        }
      }
      if (plane == null) {
        throw ApiException.badRequest(prefix + (http != null && !http.isEmpty() ? "HTTP" : "TCP"),
            "must target one of the instance's own addresses (" + String.join(", ",
                endpoints.stream().map(e -> e.getString("address")).toList()) + ")");
      }
      health.put("plane", plane).put("port", port);
      names.put("health.port", prefix + (http != null && !http.isEmpty() ? "HTTP" : "TCP"));
      copyDuration(check, "Interval", health, "interval", prefix, names);
      copyDuration(check, "Timeout", health, "timeout", prefix, names);
    }
    copyDuration(check, "DeregisterCriticalServiceAfter", health, "deregisterAfter", prefix, names);
    String checkId = nonEmpty(string(check, "CheckID", prefix), string(check, "ID", prefix));
    if (checkId != null) {
      health.put("checkId", checkId);
      names.put("health.checkId", prefix + "CheckID");
    }
    String status = string(check, "Status", prefix);
    health.put("initialStatus", status == null || status.isEmpty() ? HealthStatus.CRITICAL : status);
    names.put("health.initialStatus", prefix + "Status");
    names.put("health", "Check");
    return health;
  }

  private static void copyDuration(JsonObject check, String from, JsonObject health, String to, String prefix,
      Map<String, String> names) {
    String value = string(check, from, prefix);
    if (value != null && !value.isEmpty()) {
      health.put(to, value);
      names.put("health." + to, prefix + from);
    }
  }

  // ---- responses ---------------------------------------------------------------------------

  /** The check id of an instance's health policy, or {@code null} for policy none. */
  static String checkId(Instance i) {
    HealthPolicy h = i.spec().health();
    if (h.policy().equals("none")) {
      return null;
    }
    return h.checkId() != null ? h.checkId() : "service:" + i.id();
  }

  /** The plane whose address Consul clients see as the service address: {@code plane} or the binding's first. */
  static String servicePlane(ServiceBinding s, String plane) {
    return plane != null ? plane : s.planes().get(0);
  }

  static JsonObject taggedAddresses(Instance i, ServiceBinding s, String plane) {
    JsonObject tagged = new JsonObject();
    for (String p : s.planes()) {
      if (plane == null || plane.equals(p)) {
        tagged.put(p, new JsonObject().put("Address", i.spec().address(p)).put("Port", s.port()));
      }
    }
    return tagged;
  }

  static JsonObject meta(Instance i, ServiceBinding s) {
    JsonObject meta = new JsonObject();
    new TreeMap<>(i.spec().labels()).forEach(meta::put);
    if (!s.version().isEmpty()) {
      meta.put("version", s.version());
    }
    meta.put("tenant", i.tenant());
    return meta;
  }

  /** Consul's ID of a binding: the instance id, suffixed with the service name on multi-service instances. */
  static String serviceId(Instance i, ServiceBinding s) {
    return i.spec().services().size() == 1 ? i.id() : i.id() + ":" + s.name();
  }

  static JsonObject node(Instance i, String address, String datacenter) {
    return new JsonObject()
        .put("ID", "")
        .put("Node", i.id())
        .put("Address", address)
        .put("Datacenter", datacenter)
        .put("TaggedAddresses", new JsonObject().put("lan", address).put("wan", address))
        .put("Meta", new JsonObject());
  }

  static JsonObject agentService(Instance i, ServiceBinding s, String plane, String datacenter) {
    String address = i.spec().address(servicePlane(s, plane));
    return new JsonObject()
        .put("ID", serviceId(i, s))
        .put("Service", s.name())
        .put("Tags", new JsonArray(i.spec().tags()))
        .put("Address", address)
        .put("TaggedAddresses", taggedAddresses(i, s, plane))
        .put("Meta", meta(i, s))
        .put("Port", s.port())
        .put("Weights", new JsonObject().put("Passing", 1).put("Warning", 1))
        .put("EnableTagOverride", false)
        .put("Namespace", i.tenant())
        .put("Datacenter", datacenter)
        .put("CreateIndex", i.createIndex())
        .put("ModifyIndex", i.modifyIndex());
  }

  static JsonObject catalogService(Instance i, ServiceBinding s, String plane, String datacenter) {
    String address = i.spec().address(servicePlane(s, plane));
    return node(i, address, datacenter)
        .put("ServiceKind", "")
        .put("ServiceID", serviceId(i, s))
        .put("ServiceName", s.name())
        .put("ServiceTags", new JsonArray(i.spec().tags()))
        .put("ServiceAddress", address)
        .put("ServiceTaggedAddresses", taggedAddresses(i, s, plane))
        .put("ServiceWeights", new JsonObject().put("Passing", 1).put("Warning", 1))
        .put("ServiceMeta", meta(i, s))
        .put("ServicePort", s.port())
        .put("ServiceEnableTagOverride", false)
        .put("Namespace", i.tenant())
        .put("CreateIndex", i.createIndex())
        .put("ModifyIndex", i.modifyIndex());
  }

  static JsonArray checks(Instance i, ServiceBinding s) {
    String id = checkId(i);
    JsonArray checks = new JsonArray();
    if (id != null) {
      checks.add(check(i, s, id));
    }
    return checks;
  }

  static JsonObject check(Instance i, ServiceBinding s, String checkId) {
    HealthStatus status = i.status();
    return new JsonObject()
        .put("Node", i.id())
        .put("CheckID", checkId)
        .put("Name", "Service '" + s.name() + "' check")
        .put("Status", status == null ? HealthStatus.CRITICAL : status.state())
        .put("Notes", "")
        .put("Output", status == null ? "" : status.output())
        .put("ServiceID", serviceId(i, s))
        .put("ServiceName", s.name())
        .put("ServiceTags", new JsonArray(i.spec().tags()))
        .put("Type", i.spec().health().policy())
        .put("Namespace", i.tenant())
        .put("CreateIndex", i.createIndex())
        .put("ModifyIndex", i.modifyIndex());
  }

  // ---- field-name helpers ------------------------------------------------------------------

  /** A copy with keys renamed to their canonical spelling (case-insensitive match); unknown keys are a 400. */
  static JsonObject canonical(JsonObject json, List<String> known, String prefix) {
    Map<String, String> byLower = new LinkedHashMap<>();
    known.forEach(k -> byLower.put(k.toLowerCase(Locale.ROOT), k));
    JsonObject out = new JsonObject();
    for (String key : json.fieldNames()) {
      String canonical = byLower.get(key.toLowerCase(Locale.ROOT));
      if (canonical == null) {
        throw ApiException.badRequest(prefix + key, "unknown field");
      }
      if (out.containsKey(canonical)) {
        throw ApiException.badRequest(prefix + key, "given twice (as " + canonical + ")");
      }
      out.put(canonical, json.getValue(key));
    }
    return out;
  }

  private static String string(JsonObject json, String key, String prefix) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw ApiException.badRequest(prefix + key, "expected a string");
    }
    return s;
  }

  private static JsonObject object(JsonObject json, String key, String prefix) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject o)) {
      throw ApiException.badRequest(prefix + key, "expected an object");
    }
    return o;
  }

  private static Map<String, String> stringMap(JsonObject json, String key, String prefix) {
    JsonObject object = object(json, key, prefix);
    Map<String, String> map = new LinkedHashMap<>();
    if (object != null) {
      for (String k : object.fieldNames()) {
        if (!(object.getValue(k) instanceof String v)) {
          throw ApiException.badRequest(prefix + key + "." + k, "expected a string");
        }
        map.put(k, v);
      }
    }
    return map;
  }

  private static String nonEmpty(String first, String second) {
    return first != null && !first.isEmpty() ? first : second != null && !second.isEmpty() ? second : null;
  }
}
