package io.meridian.gateway.impl.plugins.authz;

import io.meridian.common.net.CidrSet;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PolicyTarget;
import io.meridian.gateway.impl.plugins.authz.AuthorizationPolicies.Condition;
import io.meridian.gateway.impl.plugins.authz.AuthorizationPolicies.Policy;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles a service's {@code AuthorizationPolicy}s (Istio semantics at a gateway): CIDRs into
 * {@link CidrSet}s, strings into {@link IstioStrings}, {@code when} keys into extractors. What a
 * gateway cannot know — mTLS peer identities ({@code principals}, {@code namespaces},
 * {@code source.principal}, {@code source.namespace}), {@code connection.sni},
 * {@code destination.ip} — is absent: a positive list never matches it and a {@code not…} list
 * always does. A rule that cannot be compiled fails closed: in a {@code DENY} policy it matches
 * every request, in an {@code ALLOW} policy none.
 */
final class AuthorizationCompiler implements PolicyCompiler<AuthorizationPolicies> {

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.gateway");

  /** {@code request.headers[name]}, {@code request.auth.claims[a][b]…}. */
  static final Pattern HEADER_KEY = Pattern.compile("request\\.headers\\[([^\\[\\]]+)\\]");
  static final Pattern CLAIM_KEY = Pattern.compile("request\\.auth\\.claims((\\[[^\\[\\]]+\\])+)");
  /** Keys whose value the gateway never has. */
  static final Set<String> ABSENT_KEYS = Set.of("source.principal", "source.namespace", "connection.sni", "destination.ip");

  @Override
  public Set<RuleKind> kinds() {
    return Set.of(RuleKind.AUTHORIZATION_POLICY);
  }

  @Override
  public AuthorizationPolicies compile(PolicyTarget target, List<Rule> rules) {
    List<Policy> deny = new ArrayList<>();
    List<Policy> allow = new ArrayList<>();
    for (Rule rule : rules) {
      if (!target.targets(rule)) {
        continue;
      }
      JsonObject spec = rule.spec();
      boolean isDeny = "DENY".equals(spec.getString("action", "ALLOW"));
      String name = rule.namespace() + "/" + rule.name();
      List<AuthorizationPolicies.Rule> compiled = new ArrayList<>();
      for (Object o : spec.getJsonArray("rules", new JsonArray())) {
        try {
          compiled.add(rule((JsonObject) o));
        } catch (RuntimeException e) {
          LOG.warn("AuthorizationPolicy {}: a rule cannot be used and {} ({})", name,
              isDeny ? "denies every request" : "allows none", e.getMessage());
          compiled.add(new AuthorizationPolicies.Rule(new Condition[] {isDeny ? Condition.ALWAYS : Condition.NEVER}));
        }
      }
      Policy p = new Policy(name, compiled.toArray(AuthorizationPolicies.Rule[]::new));
      (isDeny ? deny : allow).add(p);
    }
    return deny.isEmpty() && allow.isEmpty() ? null : new AuthorizationPolicies(deny, allow);
  }

  static AuthorizationPolicies.Rule rule(JsonObject json) {
    List<Condition> conditions = new ArrayList<>();
    JsonArray from = json.getJsonArray("from");
    if (from != null && !from.isEmpty()) {
      List<Condition> sources = new ArrayList<>();
      for (Object f : from) {
        sources.add(source(((JsonObject) f).getJsonObject("source", new JsonObject())));
      }
      conditions.add(anyOf(sources));
    }
    JsonArray to = json.getJsonArray("to");
    if (to != null && !to.isEmpty()) {
      List<Condition> operations = new ArrayList<>();
      for (Object t : to) {
        operations.add(operation(((JsonObject) t).getJsonObject("operation", new JsonObject())));
      }
      conditions.add(anyOf(operations));
    }
    for (Object w : json.getJsonArray("when", new JsonArray())) {
      conditions.add(when((JsonObject) w));
    }
    return new AuthorizationPolicies.Rule(conditions.toArray(Condition[]::new));
  }

  private static Condition anyOf(List<Condition> conditions) {
    Condition[] all = conditions.toArray(Condition[]::new);
    return all.length == 1 ? all[0] : r -> {
      for (Condition c : all) {
        if (c.test(r)) {
          return true;
        }
      }
      return false;
    };
  }

  private static Condition allOf(List<Condition> conditions) {
    Condition[] all = conditions.toArray(Condition[]::new);
    if (all.length == 0) {
      return Condition.ALWAYS;
    }
    return all.length == 1 ? all[0] : r -> {
      for (Condition c : all) {
        if (!c.test(r)) {
          return false;
        }
      }
      return true;
    };
  }

  private static List<String> strings(JsonObject json, String field) {
    JsonArray a = json.getJsonArray(field);
    if (a == null) {
      return null;
    }
    List<String> out = new ArrayList<>(a.size());
    a.forEach(v -> out.add(String.valueOf(v)));
    return out;
  }

  /** {@code field} / {@code notField} over a single string value ({@code null} = absent). */
  private static void stringField(List<Condition> out, JsonObject json, String field, String notField, boolean ignoreCase,
      Function<AuthzRequest, String> value) {
    List<String> yes = strings(json, field);
    if (yes != null) {
      IstioStrings m = ignoreCase ? IstioStrings.ignoringCase(yes) : IstioStrings.of(yes);
      out.add(r -> m.matches(value.apply(r)));
    }
    List<String> no = strings(json, notField);
    if (no != null) {
      IstioStrings m = ignoreCase ? IstioStrings.ignoringCase(no) : IstioStrings.of(no);
      out.add(r -> !m.matches(value.apply(r)));
    }
  }

  private static void ipField(List<Condition> out, JsonObject json, String field, String notField,
      Function<AuthzRequest, byte[]> value) {
    List<String> yes = strings(json, field);
    if (yes != null) {
      CidrSet set = CidrSet.parse(yes);
      out.add(r -> set.contains(value.apply(r)));
    }
    List<String> no = strings(json, notField);
    if (no != null) {
      CidrSet set = CidrSet.parse(no);
      out.add(r -> !set.contains(value.apply(r)));
    }
  }

  static Condition source(JsonObject source) {
    List<Condition> c = new ArrayList<>();
    stringField(c, source, "principals", "notPrincipals", false, r -> null);
    stringField(c, source, "requestPrincipals", "notRequestPrincipals", false, AuthzRequest::requestPrincipal);
    stringField(c, source, "namespaces", "notNamespaces", false, r -> null);
    ipField(c, source, "ipBlocks", "notIpBlocks", AuthzRequest::clientIp);
    ipField(c, source, "remoteIpBlocks", "notRemoteIpBlocks", AuthzRequest::remoteIp);
    return allOf(c);
  }

  static Condition operation(JsonObject operation) {
    List<Condition> c = new ArrayList<>();
    List<String> hosts = strings(operation, "hosts");
    if (hosts != null) {
      IstioStrings m = IstioStrings.ignoringCase(hosts);
      c.add(r -> hostMatches(m, r));
    }
    List<String> notHosts = strings(operation, "notHosts");
    if (notHosts != null) {
      IstioStrings m = IstioStrings.ignoringCase(notHosts);
      c.add(r -> !hostMatches(m, r));
    }
    List<String> ports = strings(operation, "ports");
    if (ports != null) {
      Set<Integer> set = ports(ports);
      c.add(r -> set.contains(r.exchange.localPort()));
    }
    List<String> notPorts = strings(operation, "notPorts");
    if (notPorts != null) {
      Set<Integer> set = ports(notPorts);
      c.add(r -> !set.contains(r.exchange.localPort()));
    }
    stringField(c, operation, "methods", "notMethods", false, r -> r.exchange.method());
    stringField(c, operation, "paths", "notPaths", false, r -> r.exchange.servicePath());
    return allOf(c);
  }

  /** The host with or without its port (as {@code Host} carries it). */
  private static boolean hostMatches(IstioStrings m, AuthzRequest r) {
    String host = r.exchange.host();
    if (m.matches(host)) {
      return true;
    }
    String authority = r.exchange.requestHeader("host");
    return authority != null && !authority.equals(host) && m.matches(authority);
  }

  private static Set<Integer> ports(List<String> ports) {
    Set<Integer> set = new HashSet<>();
    for (String p : ports) {
      set.add(Integer.parseInt(p.trim()));
    }
    return Set.copyOf(set);
  }

  static Condition when(JsonObject when) {
    String key = when.getString("key");
    List<String> values = strings(when, "values");
    List<String> notValues = strings(when, "notValues");
    List<Condition> c = new ArrayList<>();
    if (key.equals("source.ip") || key.equals("remote.ip")) {
      Function<AuthzRequest, byte[]> ip = key.equals("source.ip") ? AuthzRequest::clientIp : AuthzRequest::remoteIp;
      JsonObject asFields = new JsonObject().put("v", values == null ? null : new JsonArray(values))
          .put("n", notValues == null ? null : new JsonArray(notValues));
      ipField(c, asFields, "v", "n", ip);
      return allOf(c);
    }
    Function<AuthzRequest, List<String>> value = extractor(key);
    if (values != null) {
      IstioStrings m = IstioStrings.of(values);
      c.add(r -> anyMatches(m, value.apply(r)));
    }
    if (notValues != null) {
      IstioStrings m = IstioStrings.of(notValues);
      c.add(r -> !anyMatches(m, value.apply(r)));
    }
    return allOf(c);
  }

  private static boolean anyMatches(IstioStrings m, List<String> values) {
    if (values == null) {
      return false;
    }
    for (String v : values) {
      if (m.matches(v)) {
        return true;
      }
    }
    return false;
  }

  /** The values a {@code when} key names in a request ({@code null} = absent). */
  static Function<AuthzRequest, List<String>> extractor(String key) {
    Matcher header = HEADER_KEY.matcher(key);
    if (header.matches()) {
      String name = header.group(1);
      return r -> {
        List<String> v = r.exchange.requestHeaders(name);
        return v.isEmpty() ? null : List.of(String.join(",", v));
      };
    }
    Matcher claim = CLAIM_KEY.matcher(key);
    if (claim.matches()) {
      String path = claim.group(1);
      String[] names = path.substring(1, path.length() - 1).split("\\]\\[");
      return r -> claim(r.claims(), names);
    }
    switch (key) {
      case "request.auth.principal" -> {
        return r -> single(r.requestPrincipal());
      }
      case "request.auth.audiences" -> {
        return r -> claim(r.claims(), new String[] {"aud"});
      }
      case "request.auth.presenter" -> {
        return r -> claim(r.claims(), new String[] {"azp"});
      }
      case "destination.port" -> {
        return r -> r.exchange.localPort() < 0 ? null : List.of(Integer.toString(r.exchange.localPort()));
      }
      default -> {
        if (ABSENT_KEYS.contains(key)) {
          return r -> null;
        }
        throw new IllegalArgumentException("unsupported when key '" + key + "'");
      }
    }
  }

  private static List<String> single(String v) {
    return v == null ? null : List.of(v);
  }

  /** A (nested) claim as strings: a string, a list's elements, or a number/boolean as text. */
  @SuppressWarnings("unchecked")
  static List<String> claim(Map<String, Object> claims, String[] names) {
    Object v = claims;
    for (String n : names) {
      if (v instanceof JsonObject j) {
        v = j.getValue(n);
      } else if (v instanceof Map<?, ?> m) {
        v = ((Map<String, Object>) m).get(n);
      } else {
        return null;
      }
    }
    if (v == null || v instanceof Map || v instanceof JsonObject) {
      return null;
    }
    if (v instanceof JsonArray a) {
      v = a.getList();
    }
    if (v instanceof List<?> list) {
      List<String> out = new ArrayList<>(list.size());
      for (Object o : list) {
        if (o != null && !(o instanceof Map) && !(o instanceof JsonObject)) {
          out.add(String.valueOf(o));
        }
      }
      return out;
    }
    return List.of(String.valueOf(v));
  }
}
