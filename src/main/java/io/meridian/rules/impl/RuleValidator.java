package io.meridian.rules.impl;

import io.meridian.rules.RuleKind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Checks what the schema cannot: references (destination hosts resolve to a registered
 * service or a ServiceEntry host, subsets are defined by a DestinationRule, gateways exist)
 * and conflicts (one VirtualService and one DestinationRule per host and namespace), like
 * {@code istioctl analyze}. Unknown hosts, subsets and gateways are errors; a subset that
 * matches no registered instance is a warning. Pure: the registry comes in as {@link Facts}.
 */
final class RuleValidator {

  /** What the registry knows, for reference checks. */
  interface Facts {
    /** {@code false} when the registry could not be read: host checks become a warning. */
    boolean available();

    boolean hasService(String tenant, String service);

    /** Label sets of the service's instances (with {@code version} from the binding). */
    List<Map<String, String>> labelSets(String tenant, String service);
  }

  /** A host a rule names: a registry service ({@code tenant}, {@code service}) or an external name. */
  record Host(String tenant, String service, String external) {
    /** Resolves {@code host} relative to {@code namespace}: {@code orders}, {@code orders.shop}, {@code orders.shop.svc.cluster.local}. */
    static Host resolve(String host, String namespace) {
      String h = host.endsWith(".svc.cluster.local") ? host.substring(0, host.length() - ".svc.cluster.local".length())
          : host.endsWith(".svc") ? host.substring(0, host.length() - 4) : host;
      String[] parts = h.split("\\.");
      if (host.contains("*")) {
        return new Host(null, null, host);
      }
      if (parts.length == 1) {
        return new Host(namespace, parts[0], null);
      }
      if (parts.length == 2 && !h.equals(host)) {
        return new Host(parts[1], parts[0], null);
      }
      if (parts.length == 2) {
        return new Host(parts[1], parts[0], host);
      }
      return new Host(null, null, host);
    }

    /** The canonical name used to compare hosts. */
    String canonical() {
      return service != null ? service + "." + tenant + ".svc.cluster.local" : external;
    }
  }

  private final Facts facts;

  RuleValidator(Facts facts) {
    this.facts = facts;
  }

  /** Validates {@code rule} against {@code world} (every rule in effect, including the rest of its batch). */
  void validate(RuleDocuments.Candidate rule, Collection<RuleDocuments.Candidate> world, RuleDocuments.Report report) {
    JsonObject spec = rule.spec();
    switch (rule.kind()) {
      case VIRTUAL_SERVICE -> virtualService(rule, spec, world, report);
      case DESTINATION_RULE -> destinationRule(rule, spec, world, report);
      case AUTHORIZATION_POLICY, REQUEST_AUTHENTICATION -> policyTargets(rule, spec, report);
      case RATE_LIMIT_POLICY, EXTERNAL_AUTH_POLICY, CIRCUIT_BREAKER_POLICY -> meridianPolicy(rule, spec, world, report);
      default -> {
        // ServiceEntry and Gateway reference nothing
      }
    }
    if (!facts.available() && needsRegistry(rule.kind())) {
      report.warning("spec", "service references were not checked: the registry is unavailable");
    }
  }

  private static boolean needsRegistry(RuleKind kind) {
    return kind != RuleKind.SERVICE_ENTRY && kind != RuleKind.GATEWAY;
  }

  private void virtualService(RuleDocuments.Candidate rule, JsonObject spec, Collection<RuleDocuments.Candidate> world,
      RuleDocuments.Report report) {
    JsonArray hosts = spec.getJsonArray("hosts");
    for (RuleDocuments.Candidate other : world) {
      if (other.kind() == RuleKind.VIRTUAL_SERVICE && other.namespace().equals(rule.namespace())
          && !other.key().equals(rule.key())) {
        for (int i = 0; i < hosts.size(); i++) {
          String mine = Host.resolve(hosts.getString(i), rule.namespace()).canonical();
          for (Object theirs : other.spec().getJsonArray("hosts")) {
            if (mine.equals(Host.resolve((String) theirs, other.namespace()).canonical())) {
              report.error("spec.hosts[" + i + "]", "host '" + hosts.getString(i) + "' is also routed by VirtualService "
                  + other.namespace() + "/" + other.name() + ": one VirtualService per host and namespace");
            }
          }
        }
      }
    }
    gateways(spec.getJsonArray("gateways"), "spec.gateways", rule, world, report);
    JsonArray http = spec.getJsonArray("http", new JsonArray());
    for (int i = 0; i < http.size(); i++) {
      JsonObject route = http.getJsonObject(i);
      String at = "spec.http[" + i + "]";
      JsonArray matches = route.getJsonArray("match", new JsonArray());
      for (int m = 0; m < matches.size(); m++) {
        gateways(matches.getJsonObject(m).getJsonArray("gateways"), at + ".match[" + m + "].gateways", rule, world, report);
      }
      destinations(route.getJsonArray("route"), at + ".route", rule, world, report);
      if (route.getJsonObject("mirror") != null) {
        destination(route.getJsonObject("mirror"), at + ".mirror", rule, world, report);
      }
    }
    JsonArray tcp = spec.getJsonArray("tcp", new JsonArray());
    for (int i = 0; i < tcp.size(); i++) {
      destinations(tcp.getJsonObject(i).getJsonArray("route"), "spec.tcp[" + i + "].route", rule, world, report);
    }
  }

  private void destinations(JsonArray route, String at, RuleDocuments.Candidate rule, Collection<RuleDocuments.Candidate> world,
      RuleDocuments.Report report) {
    if (route == null) {
      return;
    }
    for (int i = 0; i < route.size(); i++) {
      destination(route.getJsonObject(i).getJsonObject("destination"), at + "[" + i + "].destination", rule, world, report);
    }
  }

  private void destination(JsonObject destination, String at, RuleDocuments.Candidate rule,
      Collection<RuleDocuments.Candidate> world, RuleDocuments.Report report) {
    String hostName = destination.getString("host");
    Host host = Host.resolve(hostName, rule.namespace());
    if (!hostKnown(host, world)) {
      report.error(at + ".host", "unknown host '" + hostName + "': no registered service " + describe(host)
          + " and no ServiceEntry declares it");
      return;
    }
    String subset = destination.getString("subset");
    if (subset != null) {
      subset(host, subset, at + ".subset", world, report);
    }
  }

  private void subset(Host host, String subset, String at, Collection<RuleDocuments.Candidate> world, RuleDocuments.Report report) {
    JsonObject labels = null;
    boolean hasRule = false;
    for (RuleDocuments.Candidate dr : world) {
      if (dr.kind() == RuleKind.DESTINATION_RULE
          && Host.resolve(dr.spec().getString("host"), dr.namespace()).canonical().equals(host.canonical())) {
        hasRule = true;
        for (Object s : dr.spec().getJsonArray("subsets", new JsonArray())) {
          JsonObject subsetJson = (JsonObject) s;
          if (subset.equals(subsetJson.getString("name"))) {
            labels = subsetJson.getJsonObject("labels", new JsonObject());
          }
        }
      }
    }
    if (labels == null) {
      report.error(at, hasRule ? "subset '" + subset + "' is not defined by the DestinationRule for " + host.canonical()
          : "subset '" + subset + "' needs a DestinationRule for " + host.canonical() + " that defines it");
      return;
    }
    if (host.service() != null && facts.available() && !matchesAnInstance(host, labels)) {
      report.warning(at, "subset '" + subset + "' (labels " + labels.encode() + ") matches no registered instance of "
          + host.canonical());
    }
  }

  private boolean matchesAnInstance(Host host, JsonObject labels) {
    for (Map<String, String> instance : facts.labelSets(host.tenant(), host.service())) {
      boolean all = true;
      for (String key : labels.fieldNames()) {
        if (!String.valueOf(labels.getValue(key)).equals(instance.get(key))) {
          all = false;
          break;
        }
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  private void gateways(JsonArray gateways, String at, RuleDocuments.Candidate rule, Collection<RuleDocuments.Candidate> world,
      RuleDocuments.Report report) {
    if (gateways == null) {
      return;
    }
    for (int i = 0; i < gateways.size(); i++) {
      String ref = gateways.getString(i);
      if (ref.equals("mesh")) {
        continue;
      }
      int slash = ref.indexOf('/');
      String ns = slash < 0 ? rule.namespace() : ref.substring(0, slash);
      String name = slash < 0 ? ref : ref.substring(slash + 1);
      boolean exists = world.stream().anyMatch(c -> c.kind() == RuleKind.GATEWAY && c.namespace().equals(ns) && c.name().equals(name));
      if (!exists) {
        report.error(at + "[" + i + "]", "unknown gateway '" + ref + "': no Gateway " + ns + "/" + name);
      }
    }
  }

  private void destinationRule(RuleDocuments.Candidate rule, JsonObject spec, Collection<RuleDocuments.Candidate> world,
      RuleDocuments.Report report) {
    String hostName = spec.getString("host");
    Host host = Host.resolve(hostName, rule.namespace());
    for (RuleDocuments.Candidate other : world) {
      if (other.kind() == RuleKind.DESTINATION_RULE && other.namespace().equals(rule.namespace())
          && !other.key().equals(rule.key())
          && Host.resolve(other.spec().getString("host"), other.namespace()).canonical().equals(host.canonical())) {
        report.error("spec.host", "host '" + hostName + "' already has DestinationRule " + other.namespace() + "/"
            + other.name() + ": one DestinationRule per host and namespace");
      }
    }
    if (!hostKnown(host, world)) {
      report.error("spec.host", "unknown host '" + hostName + "': no registered service " + describe(host)
          + " and no ServiceEntry declares it");
      return;
    }
    JsonArray subsets = spec.getJsonArray("subsets", new JsonArray());
    for (int i = 0; i < subsets.size(); i++) {
      JsonObject subset = subsets.getJsonObject(i);
      JsonObject labels = subset.getJsonObject("labels", new JsonObject());
      if (host.service() != null && facts.available() && !matchesAnInstance(host, labels)) {
        report.warning("spec.subsets[" + i + "]", "subset '" + subset.getString("name") + "' (labels " + labels.encode()
            + ") matches no registered instance of " + host.canonical());
      }
    }
  }

  private void policyTargets(RuleDocuments.Candidate rule, JsonObject spec, RuleDocuments.Report report) {
    List<JsonObject> refs = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    if (spec.getJsonObject("targetRef") != null) {
      refs.add(spec.getJsonObject("targetRef"));
      paths.add("spec.targetRef");
    }
    JsonArray many = spec.getJsonArray("targetRefs", new JsonArray());
    for (int i = 0; i < many.size(); i++) {
      refs.add(many.getJsonObject(i));
      paths.add("spec.targetRefs[" + i + "]");
    }
    for (int i = 0; i < refs.size(); i++) {
      JsonObject ref = refs.get(i);
      String kind = ref.getString("kind", "Service");
      if (!kind.equals("Service")) {
        report.error(paths.get(i) + ".kind", "only Service targets are supported (got '" + kind + "')");
        continue;
      }
      String ns = ref.getString("namespace", rule.namespace());
      if (facts.available() && !facts.hasService(ns, ref.getString("name"))) {
        report.error(paths.get(i) + ".name", "unknown service '" + ref.getString("name") + "' in namespace " + ns);
      }
    }
  }

  private void meridianPolicy(RuleDocuments.Candidate rule, JsonObject spec, Collection<RuleDocuments.Candidate> world,
      RuleDocuments.Report report) {
    JsonObject target = spec.getJsonObject("targetRef");
    Host host = new Host(rule.namespace(), target.getString("service"), null);
    if (facts.available() && !facts.hasService(host.tenant(), host.service())) {
      report.error("spec.targetRef.service", "unknown service '" + host.service() + "' in namespace " + rule.namespace());
    } else if (target.getString("subset") != null) {
      subset(host, target.getString("subset"), "spec.targetRef.subset", world, report);
    }
    if (rule.kind() == RuleKind.EXTERNAL_AUTH_POLICY) {
      String authHost = spec.getJsonObject("authService").getString("host");
      if (!hostKnown(Host.resolve(authHost, rule.namespace()), world)) {
        report.error("spec.authService.host", "unknown host '" + authHost + "': the auth service must be registered"
            + " or declared by a ServiceEntry");
      }
    }
  }

  private boolean hostKnown(Host host, Collection<RuleDocuments.Candidate> world) {
    if (host.service() != null && (!facts.available() || facts.hasService(host.tenant(), host.service()))) {
      return true;
    }
    String name = host.external() != null ? host.external() : host.canonical();
    for (RuleDocuments.Candidate entry : world) {
      if (entry.kind() == RuleKind.SERVICE_ENTRY) {
        for (Object h : entry.spec().getJsonArray("hosts")) {
          String declared = (String) h;
          if (declared.equals(name) || (declared.startsWith("*.") && name.endsWith(declared.substring(1)))
              || (host.service() != null && declared.equals(host.service()) && entry.namespace().equals(host.tenant()))) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String describe(Host host) {
    return host.service() != null ? "'" + host.service() + "' in namespace " + host.tenant() : "named '" + host.external() + "'";
  }
}
