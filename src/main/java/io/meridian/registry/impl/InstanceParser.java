package io.meridian.registry.impl;

import io.meridian.common.config.RegistryOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.json.FieldReader;
import io.meridian.common.net.Cidr;
import io.meridian.registry.Endpoint;
import io.meridian.registry.HealthPolicy;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.InstanceSpec;
import io.meridian.registry.ServiceBinding;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns a registration document into an {@link InstanceSpec}, or a 400 naming the first bad
 * field. Pure: depends only on the declared planes.
 */
public final class InstanceParser {

  /** A parsed registration and the warnings accepted with it (non-strict planes). */
  public record Parsed(InstanceSpec spec, List<String> warnings) {
  }

  static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
  static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,126}[A-Za-z0-9])?");
  static final Pattern VERSION = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.+]{0,61}[A-Za-z0-9])?");
  static final Pattern HOSTNAME = Pattern.compile(
      "(?=.{1,253}$)([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\\.?");
  static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");
  static final Pattern PATH_AND_QUERY = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?");

  static final int MAX_ENDPOINTS = 16;
  static final int MAX_SERVICES = 64;
  static final int MAX_LABELS = 64;
  static final int MAX_VALUE = 256;

  private final RegistryOptions options;
  private final Map<String, RegistryOptions.Plane> planes = new LinkedHashMap<>();

  public InstanceParser(RegistryOptions options) {
    this.options = options;
    options.effectivePlanes().forEach(p -> planes.put(p.name(), p));
  }

  /** Parses a registration; {@code initialStatus} is the status used when the document does not set one. */
  public Parsed parse(JsonObject body) {
    List<String> warnings = new ArrayList<>();
    FieldReader r = FieldReader.of(body);

    String id = r.string("id", null);
    if (id != null && !ID.matcher(id).matches()) {
      throw ApiException.badRequest("id", "must be 1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit");
    }
    String tenant = label(r, "tenant", r.string("tenant", InstanceSpec.DEFAULT_TENANT));
    String kind = r.choice("kind", "mesh", InstanceSpec.KINDS);
    Map<String, String> labels = labels(r);
    List<String> tags = r.stringList("tags", MAX_LABELS);
    for (int i = 0; i < tags.size(); i++) {
      checkValue(r.path("tags") + "[" + i + "]", tags.get(i));
    }

    List<FieldReader> endpointReaders = r.objects("endpoints", MAX_ENDPOINTS);
    if (endpointReaders.isEmpty()) {
      throw ApiException.badRequest("endpoints", "at least one endpoint (an address on a plane) is required");
    }
    List<Endpoint> endpoints = new ArrayList<>();
    Set<String> seenPlanes = new HashSet<>();
    for (FieldReader e : endpointReaders) {
      Endpoint endpoint = endpoint(e, warnings);
      if (!seenPlanes.add(endpoint.plane())) {
        throw ApiException.badRequest(e.path("plane"), "duplicate plane '" + endpoint.plane() + "': one address per plane");
      }
      endpoints.add(endpoint);
    }

    List<FieldReader> serviceReaders = r.objects("services", MAX_SERVICES);
    if (serviceReaders.isEmpty()) {
      throw ApiException.badRequest("services", "at least one service is required");
    }
    List<ServiceBinding> services = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (FieldReader s : serviceReaders) {
      ServiceBinding binding = service(s, seenPlanes, endpoints);
      if (!names.add(binding.name())) {
        throw ApiException.badRequest(s.path("name"), "duplicate service '" + binding.name() + "' on one instance");
      }
      services.add(binding);
    }

    FieldReader healthReader = r.object("health");
    HealthPolicy health = healthReader == null ? HealthPolicy.NONE : health(healthReader, endpoints, services);
    r.requireKnown();

    if (id == null) {
      id = services.get(0).name() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    }
    return new Parsed(new InstanceSpec(id, tenant, kind, labels, tags, endpoints, services, health), List.copyOf(warnings));
  }

  private Endpoint endpoint(FieldReader e, List<String> warnings) {
    String plane = e.string("plane", null);
    if (plane == null) {
      if (!options.planes().isEmpty()) {
        throw ApiException.badRequest(e.path("plane"), "is required (declared planes: " + String.join(", ", planes.keySet()) + ")");
      }
      plane = RegistryOptions.DEFAULT_PLANE;
    }
    label(e, "plane", plane);
    String address = e.string("address", null);
    if (address == null || address.isBlank()) {
      throw ApiException.badRequest(e.path("address"), "is required: the instance's address on plane '" + plane + "'");
    }
    boolean ip = Cidr.ipLiteral(address) != null;
    if (!ip && !HOSTNAME.matcher(address).matches()) {
      throw ApiException.badRequest(e.path("address"), "'" + address + "' is neither an IP address nor a host name");
    }
    RegistryOptions.Plane declared = planes.get(plane);
    if (declared == null) {
      String problem = "plane '" + plane + "' is not declared (declared planes: " + String.join(", ", planes.keySet()) + ")";
      if (options.strictPlanes()) {
        throw ApiException.badRequest(e.path("plane"), problem);
      }
      warnings.add(e.path("plane") + ": " + problem);
    } else if (!declared.cidrs().isEmpty() && !declared.admits(address)) {
      String networks = declared.cidrs().stream().map(Cidr::text).collect(Collectors.joining(", "));
      String problem = ip ? "address " + address + " is outside plane '" + plane + "' (" + networks + ")"
          : "plane '" + plane + "' declares networks (" + networks + "): use an IP address, not '" + address + "'";
      if (options.strictPlanes()) {
        throw ApiException.badRequest(e.path("address"), problem);
      }
      warnings.add(e.path("address") + ": " + problem);
    }
    e.requireKnown();
    return new Endpoint(plane, address);
  }

  private ServiceBinding service(FieldReader s, Set<String> endpointPlanes, List<Endpoint> endpoints) {
    String name = s.requireString("name");
    label(s, "name", name);
    String version = s.string("version", "");
    if (!version.isEmpty() && !VERSION.matcher(version).matches()) {
      throw ApiException.badRequest(s.path("version"), "must be 1-63 letters, digits and - _ . +, starting and ending with a letter or digit");
    }
    int port = (int) s.requireLong("port", 1, 65535);
    String protocol = s.choice("protocol", "http", ServiceBinding.PROTOCOLS);
    List<String> planeList = s.stringList("planes", MAX_ENDPOINTS);
    if (planeList.isEmpty()) {
      planeList = endpoints.stream().map(Endpoint::plane).toList();
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < planeList.size(); i++) {
      String plane = planeList.get(i);
      String field = s.path("planes") + "[" + i + "]";
      if (!seen.add(plane)) {
        throw ApiException.badRequest(field, "duplicate plane '" + plane + "'");
      }
      if (!endpointPlanes.contains(plane)) {
        throw ApiException.badRequest(field, "service '" + name + "' is bound to plane '" + plane
            + "' but the instance has no address on it (add an endpoint for plane '" + plane + "')");
      }
    }
    String visibility = s.choice("visibility", "both", ServiceBinding.VISIBILITIES);
    String path = s.string("path", null);
    if (path != null && !PATH.matcher(path).matches()) {
      throw ApiException.badRequest(s.path("path"), "must be a URL path starting with '/' (no spaces, query or fragment)");
    }
    String metricsPath = null;
    int metricsPort = 0;
    FieldReader metrics = s.object("metrics");
    if (metrics != null) {
      metricsPath = metrics.string("path", "/metrics");
      if (!PATH.matcher(metricsPath).matches()) {
        throw ApiException.badRequest(metrics.path("path"), "must be a URL path starting with '/'");
      }
      metricsPort = (int) metrics.longValue("port", port, 1, 65535);
      metrics.requireKnown();
    }
    boolean stripPrefix = s.bool("stripPrefix", true);
    s.requireKnown();
    return new ServiceBinding(name, version, port, protocol, planeList, visibility, path, stripPrefix, metricsPath, metricsPort);
  }

  private HealthPolicy health(FieldReader h, List<Endpoint> endpoints, List<ServiceBinding> services) {
    String policy = h.choice("policy", null, HealthPolicy.POLICIES);
    if (policy == null) {
      policy = h.has("ttl") ? "ttl" : h.has("path") ? "http" : "none";
    }
    Duration ttl = null;
    Duration interval = null;
    Duration timeout = null;
    String path = null;
    int port = 0;
    String plane = null;
    switch (policy) {
      case "ttl" -> {
        ttl = h.duration("ttl", null, Duration.ofSeconds(1), Duration.ofHours(24));
        if (ttl == null) {
          throw h.missing("ttl");
        }
      }
      case "http", "tcp" -> {
        interval = h.duration("interval", Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofHours(1));
        timeout = h.duration("timeout", Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMinutes(5));
        if (timeout.compareTo(interval) > 0) {
          throw ApiException.badRequest(h.path("timeout"), "must not be longer than interval (" + interval.toMillis() + " ms)");
        }
        if (policy.equals("http")) {
          path = h.string("path", "/");
          if (!PATH_AND_QUERY.matcher(path).matches()) {
            throw ApiException.badRequest(h.path("path"), "must be a URL path starting with '/' (a query is allowed)");
          }
        }
        port = (int) h.longValue("port", services.get(0).port(), 1, 65535);
        plane = h.string("plane", endpoints.get(0).plane());
        String p = plane;
        if (endpoints.stream().noneMatch(e -> e.plane().equals(p))) {
          throw ApiException.badRequest(h.path("plane"), "the instance has no address on plane '" + plane + "' to check");
        }
      }
      default -> {
        // none: nothing to read
      }
    }
    Duration deregisterAfter = policy.equals("none") ? null
        : h.duration("deregisterAfter", null, Duration.ofSeconds(1), Duration.ofDays(30));
    String checkId = h.string("checkId", null);
    if (checkId != null && (checkId.isBlank() || checkId.length() > 128)) {
      throw ApiException.badRequest(h.path("checkId"), "must be 1-128 characters");
    }
    String initial = h.choice("initialStatus", HealthStatus.PASSING, HealthStatus.STATES);
    rejectForeign(h, policy);
    h.requireKnown();
    return new HealthPolicy(policy, ttl, interval, timeout, deregisterAfter, path, port, plane, checkId, initial);
  }

  /** Fields that belong to another policy are named, not reported as "unknown". */
  private static void rejectForeign(FieldReader h, String policy) {
    Map<String, String> owner = Map.of("ttl", "ttl", "path", "http", "interval", "http or tcp", "timeout", "http or tcp",
        "port", "http or tcp", "plane", "http or tcp", "deregisterAfter", "ttl, http or tcp");
    for (Map.Entry<String, String> e : owner.entrySet()) {
      if (h.has(e.getKey()) && !e.getValue().contains(policy)) {
        throw ApiException.badRequest(h.path(e.getKey()), "only applies to health policy " + e.getValue() + " (policy is " + policy + ")");
      }
    }
  }

  private static Map<String, String> labels(FieldReader r) {
    Map<String, String> labels = r.stringMap("labels", MAX_LABELS);
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (!LABEL_KEY.matcher(e.getKey()).matches()) {
        throw ApiException.badRequest(r.path("labels") + "." + e.getKey(),
            "label keys are 1-128 letters, digits and . _ / -, starting and ending with a letter or digit");
      }
      checkValue(r.path("labels") + "." + e.getKey(), e.getValue());
    }
    return labels;
  }

  private static void checkValue(String field, String value) {
    if (value.length() > MAX_VALUE) {
      throw ApiException.badRequest(field, "at most " + MAX_VALUE + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw ApiException.badRequest(field, "must not contain control characters");
      }
    }
  }

  static String label(FieldReader r, String key, String value) {
    if (!RegistryOptions.LABEL.matcher(value).matches()) {
      throw ApiException.badRequest(r.path(key), "'" + value + "' is not a DNS-1123 label (1-63 lower-case letters, digits and '-', starting and ending with a letter or digit)");
    }
    return value;
  }
}
