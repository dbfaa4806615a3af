package io.meridian.gateway.impl.route;

import io.meridian.common.config.GatewayOptions;
import io.meridian.common.units.Durations;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PolicyTarget;
import io.meridian.registry.Instance;
import io.meridian.registry.ServiceBinding;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.meridian.rules.TrafficPolicies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link RouteTable} from the gateway's scoped registry view and the rules. Pure but
 * for the endpoint registry it is given, which keeps {@link Endpoint} objects (and their live
 * counters and ejections) across rebuilds.
 *
 * <p>Rules apply to the gateway as to the mesh: a VirtualService without {@code gateways}
 * applies here; one with {@code gateways} applies when it lists this gateway's name. Rules of a
 * service's tenant come first, then rules exported to it.
 */
public final class RouteTableBuilder {

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.gateway");

  private final GatewayOptions options;
  /** The plugins' policy compilers (run on every build). */
  private final List<PolicyCompiler<?>> compilers;
  private final Map<String, Endpoint> endpoints = new HashMap<>();
  private long generation;

  public RouteTableBuilder(GatewayOptions options) {
    this(options, List.of());
  }

  public RouteTableBuilder(GatewayOptions options, List<PolicyCompiler<?>> compilers) {
    this.options = options;
    this.compilers = List.copyOf(compilers);
  }

  /** One service's instances as grouped while building. */
  private record Group(String tenant, String name, String kind, String protocol, String path, boolean strip,
      List<Instance> instances) {
  }

  public RouteTable build(Collection<Instance> instances, Collection<Rule> rules) {
    Map<String, Group> groups = new TreeMap<>();
    for (Instance i : instances) {
      for (ServiceBinding b : i.spec().services()) {
        String key = i.tenant() + "/" + b.name();
        Group g = groups.computeIfAbsent(key, k -> new Group(i.tenant(), b.name(), i.spec().kind(), b.protocol(), b.path(),
            b.stripPrefix(), new ArrayList<>()));
        // a service whose instances are all unhealthy stays known, with no endpoints (503, not 404)
        if (i.passing()) {
          g.instances().add(i);
        }
      }
    }
    Map<String, Endpoint> used = new HashMap<>();
    Map<String, ServiceRoutes> services = new LinkedHashMap<>();
    Map<String, Cluster> tcp = new LinkedHashMap<>();
    Map<String, Map<String, Endpoint[]>> versionEndpoints = new HashMap<>();
    Map<String, Endpoint[]> allEndpoints = new HashMap<>();
    for (Map.Entry<String, Group> e : groups.entrySet()) {
      Group g = e.getValue();
      List<Endpoint> all = new ArrayList<>();
      Map<String, List<Endpoint>> byVersion = new TreeMap<>();
      for (Instance i : g.instances()) {
        String address = i.spec().address(options.plane());
        ServiceBinding b = i.spec().service(g.name());
        if (address == null || b == null || !b.planes().contains(options.plane())) {
          continue; // never an address of another plane
        }
        Endpoint ep = endpoint(address, b.port(), i, b.version(), used);
        all.add(ep);
        if (!b.version().isEmpty()) {
          byVersion.computeIfAbsent(b.version(), v -> new ArrayList<>()).add(ep);
        }
      }
      all.sort(Comparator.comparing(x -> x.key + "/" + x.instance));
      allEndpoints.put(e.getKey(), all.toArray(Endpoint[]::new));
      Map<String, Endpoint[]> versions = new TreeMap<>();
      byVersion.forEach((v, list) -> versions.put(v, list.toArray(Endpoint[]::new)));
      versionEndpoints.put(e.getKey(), versions);
    }
    // endpoints of instances that are gone are forgotten (with their counters)
    endpoints.keySet().retainAll(used.keySet());

    Map<String, Rule> destinationRules = new HashMap<>();
    Map<String, Rule> virtualServices = new HashMap<>();
    for (Rule rule : rules) {
      if (rule.kind() == RuleKind.DESTINATION_RULE) {
        index(destinationRules, groups, rule, rule.spec().getString("host"));
      } else if (rule.kind() == RuleKind.VIRTUAL_SERVICE && appliesHere(rule)) {
        for (Object host : rule.spec().getJsonArray("hosts", new JsonArray())) {
          index(virtualServices, groups, rule, (String) host);
        }
      }
    }

    // clusters first (routes may point at other services' clusters)
    Map<String, Cluster> serviceClusters = new HashMap<>();
    Map<String, Map<String, Cluster>> subsetClusters = new HashMap<>();
    Map<String, Map<String, Cluster>> versionClusters = new HashMap<>();
    for (Map.Entry<String, Group> e : groups.entrySet()) {
      Group g = e.getValue();
      Rule dr = destinationRules.get(e.getKey());
      JsonObject policy = dr == null ? null : dr.spec().getJsonObject("trafficPolicy");
      Endpoint[] all = allEndpoints.get(e.getKey());
      Cluster cluster = cluster(g, null, all, policy);
      serviceClusters.put(e.getKey(), cluster);
      Map<String, Cluster> versions = new TreeMap<>();
      versionEndpoints.get(e.getKey()).forEach((v, eps) -> versions.put(v, cluster(g, v, eps, policy)));
      versionClusters.put(e.getKey(), versions);
      Map<String, Cluster> subsets = new TreeMap<>();
      if (dr != null) {
        for (Object o : dr.spec().getJsonArray("subsets", new JsonArray())) {
          JsonObject subset = (JsonObject) o;
          JsonObject labels = subset.getJsonObject("labels", new JsonObject());
          List<Endpoint> members = new ArrayList<>();
          for (Endpoint ep : all) {
            if (matches(ep, labels)) {
              members.add(ep);
            }
          }
          subsets.put(subset.getString("name"), cluster(g, subset.getString("name"), members.toArray(Endpoint[]::new),
              TrafficPolicies.merge(policy, subset.getJsonObject("trafficPolicy"))));
        }
      }
      subsetClusters.put(e.getKey(), subsets);
      if (g.protocol().equals("tcp")) {
        tcp.put(e.getKey(), cluster);
      }
    }

    Map<String, ServiceRoutes> shared = new HashMap<>();
    Map<String, Integer> sharedCount = new HashMap<>();
    List<RouteTable.Prefix> prefixes = new ArrayList<>();
    for (Map.Entry<String, Group> e : groups.entrySet()) {
      Group g = e.getValue();
      if (!isHttp(g.protocol())) {
        continue;
      }
      Rule vs = virtualServices.get(e.getKey());
      HttpRoute[] routes = vs == null ? new HttpRoute[] {defaultRoute(serviceClusters.get(e.getKey()))}
          : compile(vs, g, serviceClusters, subsetClusters);
      ServiceRoutes s = new ServiceRoutes(g.tenant(), g.name(), g.kind(), normalizePrefix(g.path()), g.strip(),
          serviceClusters.get(e.getKey()), versionClusters.get(e.getKey()), routes, policies(g, rules), matchHeaders(vs));
      services.put(e.getKey(), s);
      if (!g.kind().equals("mesh")) {
        sharedCount.merge(g.name(), 1, Integer::sum);
        shared.put(g.name(), s);
      }
      if (s.pathPrefix() != null) {
        prefixes.add(new RouteTable.Prefix(s.pathPrefix(), s));
      }
    }
    sharedCount.forEach((name, count) -> {
      if (count > 1) {
        shared.remove(name);
      }
    });
    prefixes.sort(Comparator.comparingInt((RouteTable.Prefix p) -> p.prefix().length()).reversed());
    Map<String, Map<String, ServiceRoutes>> perTenant = new HashMap<>();
    services.values().forEach(s -> perTenant.computeIfAbsent(s.tenant(), t -> new HashMap<>()).put(s.name(), s));
    Map<String, NameIndex> byTenant = new HashMap<>();
    perTenant.forEach((t, m) -> byTenant.put(t, new NameIndex(m)));
    return new RouteTable(++generation, Map.copyOf(services), Map.copyOf(shared), List.copyOf(prefixes), Map.copyOf(tcp),
        Map.copyOf(byTenant), new NameIndex(shared));
  }

  /** The header names (lower case) the VirtualService's HTTP matches look at. */
  private static Set<String> matchHeaders(Rule vs) {
    if (vs == null) {
      return Set.of();
    }
    Set<String> names = new HashSet<>();
    for (Object http : vs.spec().getJsonArray("http", new JsonArray())) {
      for (Object m : ((JsonObject) http).getJsonArray("match", new JsonArray())) {
        JsonObject match = (JsonObject) m;
        for (String field : List.of("headers", "withoutHeaders")) {
          match.getJsonObject(field, new JsonObject()).fieldNames().forEach(n -> names.add(n.toLowerCase(Locale.ROOT)));
        }
      }
    }
    return Set.copyOf(names);
  }

  /** Each plugin's compiled policy for the service of {@code g} (only those that apply). */
  private Map<PolicyCompiler<?>, Object> policies(Group g, Collection<Rule> rules) {
    if (compilers.isEmpty()) {
      return Map.of();
    }
    List<Map<String, String>> labels = new ArrayList<>();
    for (Instance i : g.instances()) {
      Map<String, String> l = new HashMap<>(i.spec().labels());
      ServiceBinding b = i.spec().service(g.name());
      if (b != null && !b.version().isEmpty()) {
        l.putIfAbsent("version", b.version());
      }
      labels.add(l);
    }
    PolicyTarget target = new PolicyTarget(g.tenant(), g.name(), labels);
    Map<PolicyCompiler<?>, Object> compiled = new IdentityHashMap<>();
    for (PolicyCompiler<?> compiler : compilers) {
      List<Rule> mine = new ArrayList<>();
      for (Rule r : rules) {
        if (r.namespace().equals(g.tenant()) && compiler.kinds().contains(r.kind())) {
          mine.add(r);
        }
      }
      if (mine.isEmpty()) {
        continue;
      }
      mine.sort(Comparator.comparing(Rule::key));
      try {
        Object policy = compiler.compile(target, mine);
        if (policy != null) {
          compiled.put(compiler, policy);
        }
      } catch (IllegalArgumentException e) {
        Object fallback = compiler.unusable(target, e);
        LOG.warn("service {}/{}: a {} rule cannot be used ({}): {}", g.tenant(), g.name(), compiler.kinds(), e.getMessage(),
            fallback == null ? "the service goes without it" : "requests it covers are refused");
        if (fallback != null) {
          compiled.put(compiler, fallback);
        }
      }
    }
    return compiled.isEmpty() ? Map.of() : Collections.unmodifiableMap(compiled);
  }

  static boolean isHttp(String protocol) {
    return !protocol.equals("tcp") && !protocol.equals("udp") && !protocol.equals("kafka");
  }

  private static String normalizePrefix(String path) {
    if (path == null || path.isEmpty() || path.equals("/")) {
      return null;
    }
    String p = path.startsWith("/") ? path : "/" + path;
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  private Endpoint endpoint(String address, int port, Instance i, String version, Map<String, Endpoint> used) {
    String key = i.id() + "@" + address + ":" + port;
    Endpoint existing = endpoints.get(key);
    if (existing == null || !Objects.equals(existing.version, version) || !existing.labels.equals(i.spec().labels())) {
      existing = new Endpoint(address, port, i.id(), version, i.spec().labels());
      endpoints.put(key, existing);
    }
    used.put(key, existing);
    return existing;
  }

  private boolean appliesHere(Rule vs) {
    JsonArray gateways = vs.spec().getJsonArray("gateways");
    if (gateways == null || gateways.isEmpty()) {
      return true;
    }
    for (Object g : gateways) {
      String name = String.valueOf(g);
      int slash = name.indexOf('/');
      if ((slash >= 0 ? name.substring(slash + 1) : name).equals(options.name())) {
        return true;
      }
    }
    return false;
  }

  /** Indexes a rule under the service its host names; the service's own tenant's rule wins. */
  private static void index(Map<String, Rule> byService, Map<String, Group> groups, Rule rule, String host) {
    if (host == null) {
      return;
    }
    String key = serviceKey(host, rule.namespace());
    if (key == null || !groups.containsKey(key)) {
      return;
    }
    String tenant = key.substring(0, key.indexOf('/'));
    if (!rule.namespace().equals(tenant) && !exported(rule, tenant)) {
      return;
    }
    Rule present = byService.get(key);
    if (present == null || (!present.namespace().equals(tenant) && rule.namespace().equals(tenant))) {
      byService.put(key, rule);
    }
  }

  private static boolean exported(Rule rule, String tenant) {
    JsonArray exportTo = rule.spec().getJsonArray("exportTo");
    return exportTo == null || exportTo.contains("*") || exportTo.contains(tenant);
  }

  /** {@code tenant/name} of a rule host ({@code orders}, {@code orders.shop}, {@code orders.shop.svc[.cluster.local]}). */
  static String serviceKey(String host, String namespace) {
    String h = host.endsWith(".svc.cluster.local") ? host.substring(0, host.length() - ".svc.cluster.local".length())
        : host.endsWith(".svc") ? host.substring(0, host.length() - 4) : host;
    String[] parts = h.split("\\.");
    if (parts.length == 1) {
      return namespace + "/" + parts[0];
    }
    return parts.length == 2 ? parts[1] + "/" + parts[0] : null;
  }

  private static boolean matches(Endpoint ep, JsonObject labels) {
    for (String key : labels.fieldNames()) {
      String want = String.valueOf(labels.getValue(key));
      String have = key.equals("version") && ep.version != null && !ep.version.isEmpty() ? ep.version : ep.labels.get(key);
      if (!want.equals(have)) {
        return false;
      }
    }
    return true;
  }

  private Cluster cluster(Group g, String subset, Endpoint[] members, JsonObject policy) {
    String name = g.name() + "." + g.tenant() + (subset == null ? "" : "|" + subset);
    LbPolicy lb = LbPolicy.ROUND_ROBIN;
    PoolLimits limits = PoolLimits.NONE;
    OutlierPolicy outlier = null;
    if (policy != null) {
      JsonObject balancer = policy.getJsonObject("loadBalancer");
      if (balancer != null) {
        JsonObject hash = balancer.getJsonObject("consistentHash");
        if (hash != null) {
          JsonObject cookie = hash.getJsonObject("httpCookie");
          lb = new LbPolicy(LbPolicy.Kind.CONSISTENT_HASH, lower(hash.getString("httpHeaderName")),
              cookie == null ? null : cookie.getString("name"), hash.getBoolean("useSourceIp", false),
              hash.getString("httpQueryParameterName"));
        } else {
          lb = switch (balancer.getString("simple", "ROUND_ROBIN")) {
            case "LEAST_REQUEST", "LEAST_CONN" -> new LbPolicy(LbPolicy.Kind.LEAST_REQUEST, null, null, false, null);
            case "RANDOM" -> new LbPolicy(LbPolicy.Kind.RANDOM, null, null, false, null);
            default -> LbPolicy.ROUND_ROBIN;
          };
        }
      }
      JsonObject pool = policy.getJsonObject("connectionPool");
      if (pool != null) {
        JsonObject tcpPool = pool.getJsonObject("tcp", new JsonObject());
        JsonObject http = pool.getJsonObject("http", new JsonObject());
        limits = new PoolLimits(tcpPool.getInteger("maxConnections", 0), http.getInteger("http1MaxPendingRequests", 0),
            http.getInteger("http2MaxRequests", 0), http.getInteger("maxRequestsPerConnection", 0));
      }
      JsonObject od = policy.getJsonObject("outlierDetection");
      if (od != null) {
        outlier = new OutlierPolicy(od.getInteger("consecutive5xxErrors", od.getInteger("consecutiveErrors", 5)),
            od.getInteger("consecutiveGatewayErrors", 0),
            nanos(od.getString("baseEjectionTime"), 30_000_000_000L),
            od.getInteger("maxEjectionPercent", 10));
      }
    }
    return new Cluster(name, g.name(), subset, members, lb, limits, outlier);
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  private static long nanos(String duration, long def) {
    return duration == null ? def : Durations.parse(duration).toNanos();
  }

  private static HttpRoute defaultRoute(Cluster cluster) {
    return new HttpRoute("default", new Match[0], new HttpRoute.Destination[] {
        new HttpRoute.Destination(cluster, 100, HeaderOps.NONE, HeaderOps.NONE)}, -1, HttpRoute.Retry.DEFAULT, null, null, null,
        null, null, HeaderOps.NONE, HeaderOps.NONE);
  }

  private HttpRoute[] compile(Rule vs, Group g, Map<String, Cluster> services, Map<String, Map<String, Cluster>> subsets) {
    JsonArray http = vs.spec().getJsonArray("http");
    if (http == null || http.isEmpty()) {
      return new HttpRoute[] {defaultRoute(services.get(g.tenant() + "/" + g.name()))};
    }
    List<HttpRoute> result = new ArrayList<>();
    for (int i = 0; i < http.size(); i++) {
      JsonObject rule = http.getJsonObject(i);
      List<Match> matches = new ArrayList<>();
      for (Object m : rule.getJsonArray("match", new JsonArray())) {
        JsonObject match = (JsonObject) m;
        JsonArray gateways = match.getJsonArray("gateways");
        if (gateways != null && !gateways.isEmpty() && !gateways.contains(options.name())) {
          continue;
        }
        if (match.getJsonObject("sourceLabels") != null) {
          continue; // a gateway has no source workload labels: such a match never applies here
        }
        matches.add(Match.of(match));
      }
      if (!rule.getJsonArray("match", new JsonArray()).isEmpty() && matches.isEmpty()) {
        continue; // none of its matches can apply at this gateway
      }
      String name = rule.getString("name", vs.name() + "." + i);
      List<HttpRoute.Destination> destinations = new ArrayList<>();
      JsonArray route = rule.getJsonArray("route");
      if (route != null) {
        for (Object o : route) {
          JsonObject d = (JsonObject) o;
          int weight = route.size() == 1 ? 100 : d.getInteger("weight", 0);
          if (weight <= 0) {
            continue;
          }
          Cluster c = destination(d.getJsonObject("destination"), vs.namespace(), services, subsets);
          JsonObject headers = d.getJsonObject("headers", new JsonObject());
          destinations.add(new HttpRoute.Destination(c, weight, HeaderOps.of(headers.getJsonObject("request")),
              HeaderOps.of(headers.getJsonObject("response"))));
        }
      }
      long timeout = rule.getString("timeout") == null ? -1 : Durations.parse(rule.getString("timeout")).toNanos();
      JsonObject headers = rule.getJsonObject("headers", new JsonObject());
      result.add(new HttpRoute(name, matches.toArray(Match[]::new), destinations.toArray(HttpRoute.Destination[]::new), timeout,
          retry(rule.getJsonObject("retries")), fault(rule.getJsonObject("fault")), mirror(rule, vs.namespace(), services, subsets),
          rewrite(rule.getJsonObject("rewrite")), redirect(rule.getJsonObject("redirect")),
          direct(rule.getJsonObject("directResponse")), HeaderOps.of(headers.getJsonObject("request")),
          HeaderOps.of(headers.getJsonObject("response")), CorsPolicy.of(rule.getJsonObject("corsPolicy"))));
    }
    return result.toArray(HttpRoute[]::new);
  }

  /** A destination's cluster; an unknown host or subset gives an empty cluster (503 at request time). */
  private static Cluster destination(JsonObject destination, String namespace, Map<String, Cluster> services,
      Map<String, Map<String, Cluster>> subsets) {
    String key = serviceKey(destination.getString("host"), namespace);
    String subset = destination.getString("subset");
    Cluster c = null;
    if (key != null) {
      c = subset == null ? services.get(key) : subsets.getOrDefault(key, Map.of()).get(subset);
    }
    if (c == null) {
      String name = destination.getString("host") + (subset == null ? "" : "|" + subset);
      c = new Cluster(name, destination.getString("host"), subset, new Endpoint[0], LbPolicy.ROUND_ROBIN, PoolLimits.NONE, null);
    }
    return c;
  }

  private static HttpRoute.Retry retry(JsonObject retries) {
    if (retries == null) {
      return HttpRoute.Retry.DEFAULT;
    }
    int attempts = retries.getInteger("attempts", 2);
    long perTry = retries.getString("perTryTimeout") == null ? 0 : Durations.parse(retries.getString("perTryTimeout")).toNanos();
    String on = retries.getString("retryOn", "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
    boolean on5xx = false;
    boolean gateway = false;
    boolean connect = false;
    boolean reset = false;
    boolean retriable4xx = false;
    List<Integer> statuses = new ArrayList<>();
    for (String part : on.split(",")) {
      String p = part.trim();
      switch (p) {
        case "5xx" -> on5xx = true;
        case "gateway-error" -> gateway = true;
        case "connect-failure", "refused-stream" -> connect = true;
        case "reset" -> reset = true;
        case "retriable-4xx" -> retriable4xx = true;
        case "unavailable" -> statuses.add(503);
        default -> {
          if (p.matches("\\d{3}")) {
            statuses.add(Integer.parseInt(p));
          }
        }
      }
    }
    return new HttpRoute.Retry(attempts, perTry, on5xx, gateway, connect, reset, retriable4xx,
        statuses.stream().mapToInt(Integer::intValue).toArray());
  }

  private static HttpRoute.Fault fault(JsonObject fault) {
    if (fault == null) {
      return null;
    }
    JsonObject delay = fault.getJsonObject("delay");
    JsonObject abort = fault.getJsonObject("abort");
    long delayNanos = delay == null ? 0 : Durations.parse(delay.getString("fixedDelay")).toNanos();
    double delayPercent = delay == null ? 0 : percent(delay);
    int status = abort == null ? 0 : abort.getInteger("httpStatus", abort.getString("grpcStatus") != null ? 503 : 0);
    double abortPercent = abort == null ? 0 : percent(abort);
    return new HttpRoute.Fault(delayNanos, delayPercent, status, abortPercent);
  }

  private static double percent(JsonObject f) {
    if (f.getJsonObject("percentage") != null) {
      return f.getJsonObject("percentage").getDouble("value", 100.0);
    }
    return f.getInteger("percent", 100).doubleValue();
  }

  private static HttpRoute.Mirror mirror(JsonObject rule, String namespace, Map<String, Cluster> services,
      Map<String, Map<String, Cluster>> subsets) {
    JsonObject mirror = rule.getJsonObject("mirror");
    if (mirror == null) {
      return null;
    }
    JsonObject percentage = rule.getJsonObject("mirrorPercentage");
    return new HttpRoute.Mirror(destination(mirror, namespace, services, subsets),
        percentage == null ? 100.0 : percentage.getDouble("value", 100.0));
  }

  private static HttpRoute.Rewrite rewrite(JsonObject rewrite) {
    if (rewrite == null) {
      return null;
    }
    JsonObject regex = rewrite.getJsonObject("uriRegexRewrite");
    return new HttpRoute.Rewrite(rewrite.getString("uri"), regex == null ? null : com.google.re2j.Pattern.compile(
        regex.getString("match")), regex == null ? null : regex.getString("rewrite").replaceAll("\\\\(\\d)", "\\$$1"),
        rewrite.getString("authority"));
  }

  private static HttpRoute.Redirect redirect(JsonObject redirect) {
    if (redirect == null) {
      return null;
    }
    return new HttpRoute.Redirect(redirect.getString("uri"), redirect.getString("authority"), redirect.getInteger("port", 0),
        redirect.getString("scheme"), redirect.getInteger("redirectCode", 301));
  }

  private static HttpRoute.DirectResponse direct(JsonObject direct) {
    if (direct == null) {
      return null;
    }
    JsonObject body = direct.getJsonObject("body");
    byte[] bytes = body == null ? new byte[0] : body.getString("string") != null
        ? body.getString("string").getBytes(StandardCharsets.UTF_8) : Base64.getMimeDecoder().decode(body.getString("bytes"));
    return new HttpRoute.DirectResponse(direct.getInteger("status"), bytes);
  }
}
