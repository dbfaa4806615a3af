package io.meridian.xds.impl;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.meridian.common.units.Durations;
import io.meridian.registry.Instance;
import io.meridian.registry.ServiceBinding;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.meridian.rules.TrafficPolicies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Translates the registry and the rules into Envoy xDS resources for one node. Pure: the same
 * model and node always give the same resources (golden-file tested).
 *
 * <ul>
 *   <li><b>CDS</b>: one EDS cluster per visible (service, port), {@code outbound|PORT||FQDN},
 *       and one per DestinationRule subset, {@code outbound|PORT|SUBSET|FQDN}; the
 *       DestinationRule's traffic policy sets lb_policy, circuit_breakers, outlier_detection and
 *       the connect timeout.</li>
 *   <li><b>EDS</b>: the passing instances of each cluster, <b>on the node's plane only</b>.</li>
 *   <li><b>LDS/RDS</b>: for proxyless gRPC, an {@code api_listener} per requested target
 *       ({@code xds:///orders}) with its route configuration; for sidecars, one outbound
 *       listener per port (not bound: traffic is redirected to it) with HTTP routes for the
 *       port's HTTP services and tcp_proxy chains matching the TCP services' endpoint
 *       addresses.</li>
 *   <li>VirtualService HTTP routes become Envoy routes: matches, weighted clusters, retries,
 *       timeouts, fault injection, mirroring, rewrites, redirects, direct responses, header
 *       mutations; without a VirtualService a service routes everything to its cluster.</li>
 * </ul>
 */
final class Translator {

  static final String ROUTER = "envoy.filters.http.router";
  static final String FAULT = "envoy.filters.http.fault";
  static final String HCM = "envoy.filters.network.http_connection_manager";
  static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
  /** Where a sidecar sends traffic for destinations the registry does not know: nowhere (never a pass-through). */
  static final String BLACK_HOLE = "BlackHoleCluster";
  /** The sidecar listener that receives redirected outbound traffic and hands it to the per-port listeners. */
  static final String VIRTUAL_OUTBOUND = "virtualOutbound";
  static final int VIRTUAL_OUTBOUND_PORT = 15001;
  static final ConfigSource ADS = ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3).build();

  /** Everything translation reads. */
  record Model(Collection<Instance> instances, Collection<Rule> rules) {
  }

  /** A visible service at one port. */
  record Service(String tenant, String name, int port, String protocol, List<Instance> instances) {
    String fqdn() {
      return name + "." + tenant + ".svc.cluster.local";
    }

    String cluster(String subset) {
      return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + fqdn();
    }

    boolean http() {
      return !protocol.equals("tcp") && !protocol.equals("udp") && !protocol.equals("kafka");
    }
  }

  private final NodeInfo node;
  private final Map<String, Service> services = new TreeMap<>();
  private Map<String, Message> clusters;
  /** Services by FQDN ({@code name.tenant.svc.cluster.local}): one per (tenant, name). */
  private final Map<String, Service> byFqdn = new TreeMap<>();
  /** The VirtualService and DestinationRule of each service FQDN (the node's tenant's first). */
  private final Map<String, Rule> virtualServiceByFqdn = new TreeMap<>();
  private final Map<String, Rule> destinationRuleByFqdn = new TreeMap<>();

  Translator(Model model, NodeInfo node) {
    this.node = node;
    // a service is (tenant, name); its instances may listen on different ports (each endpoint keeps
    // its own), the service port (cluster names, listeners, host:port domains) is the most common one
    Map<String, List<Instance>> byKey = new TreeMap<>();
    for (Instance raw : model.instances()) {
      Instance i = node.scope().project(raw);
      if (i == null) {
        continue;
      }
      for (ServiceBinding s : i.spec().services()) {
        byKey.computeIfAbsent(i.tenant() + "/" + s.name(), k -> new ArrayList<>()).add(i);
      }
    }
    byKey.forEach((key, instances) -> {
      String tenant = key.substring(0, key.indexOf('/'));
      String name = key.substring(key.indexOf('/') + 1);
      instances.sort(java.util.Comparator.comparing(Instance::id));
      Map<Integer, Integer> ports = new TreeMap<>();
      for (Instance i : instances) {
        ports.merge(i.spec().service(name).port(), 1, Integer::sum);
      }
      int port = ports.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue()
          .thenComparing(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder()))).orElseThrow().getKey();
      String protocol = instances.get(0).spec().service(name).protocol();
      Service service = new Service(tenant, name, port, protocol, List.copyOf(instances));
      services.put(service.cluster(null), service);
      byFqdn.put(service.fqdn(), service);
    });
    for (Rule rule : model.rules()) {
      if (!visible(rule)) {
        continue;
      }
      if (rule.kind() == RuleKind.VIRTUAL_SERVICE && appliesToMesh(rule)) {
        for (Object host : rule.spec().getJsonArray("hosts")) {
          index(virtualServiceByFqdn, lookup((String) host, rule.namespace(), -1), rule);
        }
      } else if (rule.kind() == RuleKind.DESTINATION_RULE) {
        index(destinationRuleByFqdn, lookup(rule.spec().getString("host"), rule.namespace(), -1), rule);
      }
    }
  }

  /** Indexes a rule under the service it names; the node's own tenant's rule wins, otherwise the first. */
  private void index(Map<String, Rule> byService, Service named, Rule rule) {
    if (named == null) {
      return;
    }
    Rule present = byService.get(named.fqdn());
    if (present == null || (!present.namespace().equals(node.tenant()) && rule.namespace().equals(node.tenant()))) {
      byService.put(named.fqdn(), rule);
    }
  }

  /** Rules in the node's tenant, or exported to it (Istio's exportTo; absent = everywhere). */
  private boolean visible(Rule rule) {
    if (rule.namespace().equals(node.tenant())) {
      return true;
    }
    JsonArray exportTo = rule.spec().getJsonArray("exportTo");
    return exportTo == null || exportTo.contains("*") || exportTo.contains(node.tenant());
  }

  private static boolean appliesToMesh(Rule vs) {
    JsonArray gateways = vs.spec().getJsonArray("gateways");
    return gateways == null || gateways.isEmpty() || gateways.contains("mesh");
  }

  Collection<Service> services() {
    return services.values();
  }

  // ---- CDS ---------------------------------------------------------------------------------

  /** Every cluster this node may use, by name (computed once). */
  Map<String, Message> clusters() {
    if (clusters == null) {
      clusters = Collections.unmodifiableMap(buildClusters());
    }
    return clusters;
  }

  private Map<String, Message> buildClusters() {
    Map<String, Message> clusters = new TreeMap<>();
    if (node.role().equals("sidecar")) {
      clusters.put(BLACK_HOLE, Cluster.newBuilder().setName(BLACK_HOLE).setType(Cluster.DiscoveryType.STATIC)
          .setConnectTimeout(duration("10s")).build());
    }
    for (Service s : services.values()) {
      Rule dr = destinationRule(s);
      JsonObject policy = dr == null ? null : dr.spec().getJsonObject("trafficPolicy");
      clusters.put(s.cluster(null), cluster(s.cluster(null), policy, s.port()));
      if (dr != null) {
        for (Object o : dr.spec().getJsonArray("subsets", new JsonArray())) {
          JsonObject subset = (JsonObject) o;
          JsonObject subsetPolicy = TrafficPolicies.merge(policy, subset.getJsonObject("trafficPolicy"));
          String name = s.cluster(subset.getString("name"));
          clusters.put(name, cluster(name, subsetPolicy, s.port()));
        }
      }
    }
    return clusters;
  }

  private Cluster cluster(String name, JsonObject policy, int port) {
    JsonObject effective = portLevel(policy, port);
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(name))
        .setConnectTimeout(duration("10s"))
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (effective == null) {
      return c.build();
    }
    JsonObject lb = effective.getJsonObject("loadBalancer");
    if (lb != null) {
      if (lb.getJsonObject("consistentHash") != null) {
        JsonObject hash = lb.getJsonObject("consistentHash");
        if (hash.getJsonObject("maglev") != null) {
          c.setLbPolicy(Cluster.LbPolicy.MAGLEV);
        } else {
          c.setLbPolicy(Cluster.LbPolicy.RING_HASH);
          long ring = hash.getJsonObject("ringHash") != null ? hash.getJsonObject("ringHash").getLong("minimumRingSize", 0L)
              : hash.getLong("minimumRingSize", 0L);
          if (ring > 0) {
            c.setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder().setMinimumRingSize(UInt64Value.of(ring)));
          }
        }
      } else {
        switch (lb.getString("simple", "ROUND_ROBIN")) {
          case "RANDOM" -> c.setLbPolicy(Cluster.LbPolicy.RANDOM);
          case "LEAST_REQUEST", "LEAST_CONN" -> c.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
          default -> c.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
        }
      }
    }
    JsonObject pool = effective.getJsonObject("connectionPool");
    if (pool != null) {
      JsonObject tcp = pool.getJsonObject("tcp", new JsonObject());
      JsonObject http = pool.getJsonObject("http", new JsonObject());
      if (tcp.getString("connectTimeout") != null) {
        c.setConnectTimeout(duration(tcp.getString("connectTimeout")));
      }
      CircuitBreakers.Thresholds.Builder t = CircuitBreakers.Thresholds.newBuilder();
      boolean any = false;
      if (tcp.getValue("maxConnections") != null) {
        t.setMaxConnections(UInt32Value.of(tcp.getInteger("maxConnections")));
        any = true;
      }
      if (http.getValue("http1MaxPendingRequests") != null) {
        t.setMaxPendingRequests(UInt32Value.of(http.getInteger("http1MaxPendingRequests")));
        any = true;
      }
      if (http.getValue("http2MaxRequests") != null) {
        t.setMaxRequests(UInt32Value.of(http.getInteger("http2MaxRequests")));
        any = true;
      }
      if (http.getValue("maxRetries") != null) {
        t.setMaxRetries(UInt32Value.of(http.getInteger("maxRetries")));
        any = true;
      }
      if (any) {
        c.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(t));
      }
      if (http.getValue("maxRequestsPerConnection") != null && http.getInteger("maxRequestsPerConnection") > 0) {
        c.setMaxRequestsPerConnection(UInt32Value.of(http.getInteger("maxRequestsPerConnection")));
      }
    }
    JsonObject outlier = effective.getJsonObject("outlierDetection");
    if (outlier != null) {
      OutlierDetection.Builder o = OutlierDetection.newBuilder();
      Integer fiveXx = outlier.getInteger("consecutive5xxErrors", outlier.getInteger("consecutiveErrors"));
      if (fiveXx != null) {
        o.setConsecutive5Xx(UInt32Value.of(fiveXx));
      }
      if (outlier.getValue("consecutiveGatewayErrors") != null) {
        o.setConsecutiveGatewayFailure(UInt32Value.of(outlier.getInteger("consecutiveGatewayErrors")));
      }
      if (outlier.getString("interval") != null) {
        o.setInterval(duration(outlier.getString("interval")));
      }
      if (outlier.getString("baseEjectionTime") != null) {
        o.setBaseEjectionTime(duration(outlier.getString("baseEjectionTime")));
      }
      if (outlier.getValue("maxEjectionPercent") != null) {
        o.setMaxEjectionPercent(UInt32Value.of(outlier.getInteger("maxEjectionPercent")));
      }
      c.setOutlierDetection(o);
    }
    return c.build();
  }

  private static JsonObject portLevel(JsonObject policy, int port) {
    if (policy == null || policy.getJsonArray("portLevelSettings") == null) {
      return policy;
    }
    for (Object o : policy.getJsonArray("portLevelSettings")) {
      JsonObject level = (JsonObject) o;
      if (level.getJsonObject("port").getInteger("number") == port) {
        return TrafficPolicies.merge(policy, level);
      }
    }
    return policy;
  }

  // ---- EDS ---------------------------------------------------------------------------------

  /** The load assignments of {@code names} (unknown names are left out). */
  Map<String, Message> endpoints(Collection<String> names) {
    Map<String, Message> result = new TreeMap<>();
    for (String name : names) {
      String[] parts = name.split("\\|", -1);
      if (parts.length != 4) {
        continue;
      }
      Service service = services.get(parts[0] + "|" + parts[1] + "||" + parts[3]);
      if (service == null) {
        continue;
      }
      JsonObject subsetLabels = null;
      if (!parts[2].isEmpty()) {
        subsetLabels = subsetLabels(service, parts[2]);
        if (subsetLabels == null) {
          continue;
        }
      }
      result.put(name, assignment(name, service, subsetLabels));
    }
    return result;
  }

  /** Every load assignment this node may use. */
  Map<String, Message> allEndpoints() {
    return endpoints(clusters().keySet());
  }

  private ClusterLoadAssignment assignment(String name, Service service, JsonObject subsetLabels) {
    Map<String, List<LbEndpoint>> byZone = new TreeMap<>();
    for (Instance i : service.instances()) {
      if (!i.passing() || (subsetLabels != null && !matches(i, service.name(), subsetLabels))) {
        continue;
      }
      String address = i.spec().address(node.plane());
      if (address == null) {
        continue; // never an address of another plane
      }
      String zone = i.spec().labels().getOrDefault("zone", i.spec().labels().getOrDefault("topology.kubernetes.io/zone", ""));
      byZone.computeIfAbsent(zone, z -> new ArrayList<>()).add(LbEndpoint.newBuilder()
          .setEndpoint(Endpoint.newBuilder().setAddress(socket(address, i.spec().service(service.name()).port())))
          .setHealthStatus(HealthStatus.HEALTHY)
          .build());
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    byZone.forEach((zone, endpoints) -> cla.addEndpoints(LocalityLbEndpoints.newBuilder()
        .setLocality(Locality.newBuilder().setZone(zone))
        .setLoadBalancingWeight(UInt32Value.of(endpoints.size()))
        .addAllLbEndpoints(endpoints)));
    return cla.build();
  }

  private static boolean matches(Instance i, String service, JsonObject labels) {
    ServiceBinding binding = i.spec().service(service);
    for (String key : labels.fieldNames()) {
      String want = String.valueOf(labels.getValue(key));
      String have = key.equals("version") && binding != null && !binding.version().isEmpty() ? binding.version()
          : i.spec().labels().get(key);
      if (!want.equals(have)) {
        return false;
      }
    }
    return true;
  }

  private JsonObject subsetLabels(Service service, String subset) {
    Rule dr = destinationRule(service);
    if (dr == null) {
      return null;
    }
    for (Object o : dr.spec().getJsonArray("subsets", new JsonArray())) {
      JsonObject s = (JsonObject) o;
      if (subset.equals(s.getString("name"))) {
        return s.getJsonObject("labels", new JsonObject());
      }
    }
    return null;
  }

  private static Address socket(String address, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(address).setPortValue(port)).build();
  }

  // ---- LDS and RDS -------------------------------------------------------------------------

  /**
   * Listeners: for proxyless nodes the requested targets that resolve to a visible service;
   * for sidecars and gateways, one outbound listener per port.
   */
  Map<String, Message> listeners(Collection<String> requested) {
    Map<String, Message> result = new TreeMap<>();
    if (node.proxyless()) {
      for (String name : requested) {
        if (resolveTarget(name) != null) {
          result.put(name, apiListener(name));
        }
      }
      return result;
    }
    if (node.role().equals("sidecar")) {
      result.put(VIRTUAL_OUTBOUND, virtualOutbound());
    }
    Map<Integer, List<Service>> byPort = new TreeMap<>();
    services.values().forEach(s -> byPort.computeIfAbsent(s.port(), p -> new ArrayList<>()).add(s));
    byPort.forEach((port, list) -> {
      Listener listener = outboundListener(port, list);
      if (listener.getFilterChainsCount() > 0 || listener.hasDefaultFilterChain()) {
        result.put(listener.getName(), listener); // Envoy refuses a listener without filter chains
      }
    });
    return result;
  }

  private Listener apiListener(String name) {
    return Listener.newBuilder()
        .setName(name)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(httpConnectionManager(name, name))))
        .build();
  }

  private static HttpConnectionManager httpConnectionManager(String statPrefix, String routeName) {
    return HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix)
        .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(routeName))
        .addHttpFilters(HttpFilter.newBuilder().setName(FAULT).setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())))
        .addHttpFilters(HttpFilter.newBuilder().setName(ROUTER).setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
  }

  private Listener outboundListener(int port, List<Service> services) {
    Listener.Builder listener = Listener.newBuilder()
        .setName("0.0.0.0_" + port)
        .setAddress(socket("0.0.0.0", port))
        .setBindToPort(BoolValue.of(false))
        .setTrafficDirection(TrafficDirection.OUTBOUND);
    boolean http = false;
    for (Service s : services) {
      if (s.http()) {
        http = true;
        continue;
      }
      FilterChainMatch.Builder match = FilterChainMatch.newBuilder();
      new TreeSet<>(s.instances().stream().map(i -> i.spec().address(node.plane())).filter(a -> a != null).toList())
          .forEach(ip -> match.addPrefixRanges(CidrRange.newBuilder().setAddressPrefix(ip)
              .setPrefixLen(UInt32Value.of(ip.contains(":") ? 128 : 32))));
      if (match.getPrefixRangesCount() == 0) {
        continue;
      }
      listener.addFilterChains(FilterChain.newBuilder()
          .setName(s.cluster(null))
          .setFilterChainMatch(match)
          .addFilters(Filter.newBuilder().setName(TCP_PROXY).setTypedConfig(Any.pack(tcpProxy(s)))));
    }
    if (http) {
      listener.setDefaultFilterChain(FilterChain.newBuilder()
          .setName("http_" + port)
          .addFilters(Filter.newBuilder().setName(HCM).setTypedConfig(Any.pack(httpConnectionManager("outbound_" + port,
              Integer.toString(port))))));
    }
    return listener.build();
  }

  /**
   * Redirected outbound traffic arrives here and goes on to the listener of its original
   * destination port; traffic to a destination no listener knows (an address of another
   * plane, an unregistered host) is dropped, never passed through: a pass-through on a
   * multi-plane host is how a sidecar ends up forwarding to itself.
   */
  private static Listener virtualOutbound() {
    return Listener.newBuilder()
        .setName(VIRTUAL_OUTBOUND)
        .setAddress(socket("0.0.0.0", VIRTUAL_OUTBOUND_PORT))
        .setUseOriginalDst(BoolValue.of(true))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .setDefaultFilterChain(FilterChain.newBuilder().setName(BLACK_HOLE)
            .addFilters(Filter.newBuilder().setName(TCP_PROXY)
                .setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix(BLACK_HOLE).setCluster(BLACK_HOLE).build()))))
        .build();
  }

  private TcpProxy tcpProxy(Service s) {
    TcpProxy.Builder proxy = TcpProxy.newBuilder().setStatPrefix(s.cluster(null));
    Rule vs = virtualService(s);
    JsonArray tcp = vs == null ? null : vs.spec().getJsonArray("tcp");
    if (tcp == null || tcp.isEmpty()) {
      return proxy.setCluster(s.cluster(null)).build();
    }
    JsonArray route = tcp.getJsonObject(0).getJsonArray("route");
    if (route.size() == 1) {
      return proxy.setCluster(destinationCluster(route.getJsonObject(0).getJsonObject("destination"), vs, s)).build();
    }
    TcpProxy.WeightedCluster.Builder weighted = TcpProxy.WeightedCluster.newBuilder();
    for (Object o : route) {
      JsonObject d = (JsonObject) o;
      int weight = d.getInteger("weight", 0);
      if (weight > 0) {
        weighted.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
            .setName(destinationCluster(d.getJsonObject("destination"), vs, s)).setWeight(weight));
      }
    }
    return proxy.setWeightedClusters(weighted).build();
  }

  /** Route configurations: a proxyless target's, or a sidecar port's ({@code "8080"}). */
  Map<String, Message> routes(Collection<String> names) {
    Map<String, Message> result = new TreeMap<>();
    for (String name : names) {
      if (node.proxyless()) {
        Service target = resolveTarget(name);
        if (target != null) {
          result.put(name, RouteConfiguration.newBuilder().setName(name)
              .addVirtualHosts(virtualHost(target, domains(name, target))).build());
        }
      } else if (name.matches("\\d{1,5}")) {
        int port = Integer.parseInt(name);
        RouteConfiguration.Builder config = RouteConfiguration.newBuilder().setName(name);
        services.values().stream().filter(s -> s.port() == port && s.http())
            .forEach(s -> config.addVirtualHosts(virtualHost(s, domains(null, s))));
        if (config.getVirtualHostsCount() > 0) {
          result.put(name, config.build());
        }
      }
    }
    return result;
  }

  private List<String> domains(String requested, Service s) {
    List<String> domains = new ArrayList<>();
    if (requested != null) {
      domains.add(requested);
    }
    for (String host : new String[] {s.name(), s.name() + "." + s.tenant(), s.name() + "." + s.tenant() + ".svc", s.fqdn()}) {
      if (!host.equals(requested) && (!s.tenant().equals(node.tenant()) ? host.contains(".") : true)) {
        domains.add(host);
      }
      String withPort = host + ":" + s.port();
      if (!withPort.equals(requested) && (!s.tenant().equals(node.tenant()) ? host.contains(".") : true)) {
        domains.add(withPort);
      }
    }
    return domains;
  }

  /**
   * The service a proxyless target names: {@code orders}, {@code orders:8080},
   * {@code orders.shop}, {@code orders.shop.svc.cluster.local[:port]}; {@code null} when none.
   */
  Service resolveTarget(String target) {
    String host = target;
    int port = -1;
    int colon = target.lastIndexOf(':');
    if (colon > 0) {
      try {
        port = Integer.parseInt(target.substring(colon + 1));
        host = target.substring(0, colon);
      } catch (NumberFormatException e) {
        return null;
      }
    }
    String trimmed = host.endsWith(".svc.cluster.local") ? host.substring(0, host.length() - ".svc.cluster.local".length())
        : host.endsWith(".svc") ? host.substring(0, host.length() - 4) : host;
    String[] parts = trimmed.split("\\.");
    String name = parts[0];
    String tenant = parts.length == 1 ? node.tenant() : parts.length == 2 ? parts[1] : null;
    if (tenant == null) {
      return null;
    }
    Service found = byFqdn.get(name + "." + tenant + ".svc.cluster.local");
    return found != null && (port < 0 || found.port() == port) ? found : null;
  }

  private VirtualHost virtualHost(Service s, List<String> domains) {
    VirtualHost.Builder vh = VirtualHost.newBuilder().setName(s.fqdn() + ":" + s.port()).addAllDomains(domains);
    Rule vs = virtualService(s);
    if (vs == null || vs.spec().getJsonArray("http") == null) {
      vh.addRoutes(Route.newBuilder().setName("default")
          .setMatch(RouteMatch.newBuilder().setPrefix("/"))
          .setRoute(routeAction(s).setCluster(s.cluster(null))));
      return vh.build();
    }
    JsonArray http = vs.spec().getJsonArray("http");
    for (int i = 0; i < http.size(); i++) {
      JsonObject rule = http.getJsonObject(i);
      JsonArray matches = rule.getJsonArray("match");
      List<JsonObject> effective = new ArrayList<>();
      if (matches == null || matches.isEmpty()) {
        effective.add(new JsonObject());
      } else {
        for (Object m : matches) {
          JsonObject match = (JsonObject) m;
          if (applies(match, s)) {
            effective.add(match);
          }
        }
      }
      for (int m = 0; m < effective.size(); m++) {
        vh.addRoutes(route(rule, effective.get(m), vs, s, rule.getString("name", vs.name() + "." + i) + (effective.size() > 1 ? "." + m : "")));
      }
    }
    return vh.build();
  }

  /** Whether a match applies to this node at all (its gateways, source labels and port). */
  private boolean applies(JsonObject match, Service s) {
    JsonArray gateways = match.getJsonArray("gateways");
    if (gateways != null && !gateways.isEmpty() && !gateways.contains("mesh")) {
      return false;
    }
    JsonObject sourceLabels = match.getJsonObject("sourceLabels");
    if (sourceLabels != null) {
      Map<String, String> mine = node.sourceLabels();
      for (String key : sourceLabels.fieldNames()) {
        if (!String.valueOf(sourceLabels.getValue(key)).equals(mine.get(key))) {
          return false;
        }
      }
    }
    return match.getValue("port") == null || match.getInteger("port") == s.port();
  }

  private Route route(JsonObject rule, JsonObject match, Rule vs, Service s, String name) {
    Route.Builder route = Route.newBuilder().setName(name).setMatch(routeMatch(match));
    if (rule.getJsonObject("redirect") != null) {
      route.setRedirect(redirect(rule.getJsonObject("redirect")));
    } else if (rule.getJsonObject("directResponse") != null) {
      JsonObject direct = rule.getJsonObject("directResponse");
      DirectResponseAction.Builder action = DirectResponseAction.newBuilder().setStatus(direct.getInteger("status"));
      JsonObject body = direct.getJsonObject("body");
      if (body != null) {
        action.setBody(body.getString("string") != null ? DataSource.newBuilder().setInlineString(body.getString("string"))
            : DataSource.newBuilder().setInlineBytes(com.google.protobuf.ByteString.copyFrom(
                java.util.Base64.getMimeDecoder().decode(body.getString("bytes")))));
      }
      route.setDirectResponse(action);
    } else {
      route.setRoute(action(rule, vs, s));
    }
    JsonObject fault = rule.getJsonObject("fault");
    if (fault != null) {
      route.putTypedPerFilterConfig(FAULT, Any.pack(fault(fault)));
    }
    JsonObject headers = rule.getJsonObject("headers");
    if (headers != null) {
      headerOps(headers.getJsonObject("request"), route::addRequestHeadersToAdd, route::addRequestHeadersToRemove);
      headerOps(headers.getJsonObject("response"), route::addResponseHeadersToAdd, route::addResponseHeadersToRemove);
    }
    return route.build();
  }

  private static RouteMatch routeMatch(JsonObject match) {
    RouteMatch.Builder m = RouteMatch.newBuilder();
    JsonObject uri = match.getJsonObject("uri");
    if (uri == null) {
      m.setPrefix("/");
    } else if (uri.getString("exact") != null) {
      m.setPath(uri.getString("exact"));
    } else if (uri.getString("prefix") != null) {
      m.setPrefix(uri.getString("prefix"));
    } else {
      m.setSafeRegex(RegexMatcher.newBuilder().setRegex(uri.getString("regex")));
    }
    if (match.getBoolean("ignoreUriCase", false)) {
      m.setCaseSensitive(BoolValue.of(false));
    }
    pseudoHeader(m, ":method", match.getJsonObject("method"));
    pseudoHeader(m, ":authority", match.getJsonObject("authority"));
    pseudoHeader(m, ":scheme", match.getJsonObject("scheme"));
    JsonObject headers = match.getJsonObject("headers", new JsonObject());
    new TreeMap<>(headers.getMap()).keySet().forEach(h -> m.addHeaders(HeaderMatcher.newBuilder().setName(h)
        .setStringMatch(stringMatcher(headers.getJsonObject(h)))));
    JsonObject without = match.getJsonObject("withoutHeaders", new JsonObject());
    new TreeMap<>(without.getMap()).keySet().forEach(h -> m.addHeaders(HeaderMatcher.newBuilder().setName(h)
        .setStringMatch(stringMatcher(without.getJsonObject(h))).setInvertMatch(true)));
    JsonObject query = match.getJsonObject("queryParams", new JsonObject());
    new TreeMap<>(query.getMap()).keySet().forEach(q -> m.addQueryParameters(QueryParameterMatcher.newBuilder().setName(q)
        .setStringMatch(stringMatcher(query.getJsonObject(q)))));
    return m.build();
  }

  private static void pseudoHeader(RouteMatch.Builder m, String name, JsonObject match) {
    if (match != null) {
      m.addHeaders(HeaderMatcher.newBuilder().setName(name).setStringMatch(stringMatcher(match)));
    }
  }

  private static StringMatcher stringMatcher(JsonObject match) {
    if (match.getString("exact") != null) {
      return StringMatcher.newBuilder().setExact(match.getString("exact")).build();
    }
    if (match.getString("prefix") != null) {
      return StringMatcher.newBuilder().setPrefix(match.getString("prefix")).build();
    }
    return StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(match.getString("regex"))).build();
  }

  private RouteAction.Builder routeAction(Service s) {
    RouteAction.Builder action = RouteAction.newBuilder();
    Rule dr = destinationRule(s);
    JsonObject lb = dr == null || dr.spec().getJsonObject("trafficPolicy") == null ? null
        : dr.spec().getJsonObject("trafficPolicy").getJsonObject("loadBalancer");
    JsonObject hash = lb == null ? null : lb.getJsonObject("consistentHash");
    if (hash != null) {
      RouteAction.HashPolicy.Builder policy = RouteAction.HashPolicy.newBuilder();
      if (hash.getString("httpHeaderName") != null) {
        policy.setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(hash.getString("httpHeaderName")));
      } else if (hash.getJsonObject("httpCookie") != null) {
        JsonObject cookie = hash.getJsonObject("httpCookie");
        RouteAction.HashPolicy.Cookie.Builder c = RouteAction.HashPolicy.Cookie.newBuilder().setName(cookie.getString("name"));
        if (cookie.getString("path") != null) {
          c.setPath(cookie.getString("path"));
        }
        if (cookie.getString("ttl") != null) {
          c.setTtl(duration(cookie.getString("ttl")));
        }
        policy.setCookie(c);
      } else if (hash.getBoolean("useSourceIp", false)) {
        policy.setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
      } else if (hash.getString("httpQueryParameterName") != null) {
        policy.setQueryParameter(RouteAction.HashPolicy.QueryParameter.newBuilder().setName(hash.getString("httpQueryParameterName")));
      }
      action.addHashPolicy(policy);
    }
    return action;
  }

  private RouteAction action(JsonObject rule, Rule vs, Service s) {
    RouteAction.Builder action = routeAction(s);
    JsonArray destinations = rule.getJsonArray("route");
    List<JsonObject> weighted = new ArrayList<>();
    for (Object o : destinations) {
      JsonObject d = (JsonObject) o;
      if (destinations.size() == 1 || d.getInteger("weight", 0) > 0) {
        weighted.add(d);
      }
    }
    if (weighted.size() == 1) {
      JsonObject d = weighted.get(0);
      action.setCluster(destinationCluster(d.getJsonObject("destination"), vs, s));
    } else {
      WeightedCluster.Builder clusters = WeightedCluster.newBuilder();
      for (JsonObject d : weighted) {
        WeightedCluster.ClusterWeight.Builder cw = WeightedCluster.ClusterWeight.newBuilder()
            .setName(destinationCluster(d.getJsonObject("destination"), vs, s))
            .setWeight(UInt32Value.of(d.getInteger("weight")));
        JsonObject headers = d.getJsonObject("headers");
        if (headers != null) {
          headerOps(headers.getJsonObject("request"), cw::addRequestHeadersToAdd, cw::addRequestHeadersToRemove);
          headerOps(headers.getJsonObject("response"), cw::addResponseHeadersToAdd, cw::addResponseHeadersToRemove);
        }
        clusters.addClusters(cw);
      }
      action.setWeightedClusters(clusters);
    }
    if (rule.getString("timeout") != null) {
      com.google.protobuf.Duration timeout = duration(rule.getString("timeout"));
      action.setTimeout(timeout);
      action.setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(timeout));
    }
    JsonObject retries = rule.getJsonObject("retries");
    if (retries != null) {
      RetryPolicy.Builder retry = RetryPolicy.newBuilder()
          .setRetryOn(retries.getString("retryOn", "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"))
          .setNumRetries(UInt32Value.of(retries.getInteger("attempts", 2)));
      if (retries.getString("perTryTimeout") != null) {
        retry.setPerTryTimeout(duration(retries.getString("perTryTimeout")));
      }
      action.setRetryPolicy(retry);
    }
    JsonObject mirror = rule.getJsonObject("mirror");
    if (mirror != null) {
      RouteAction.RequestMirrorPolicy.Builder policy = RouteAction.RequestMirrorPolicy.newBuilder()
          .setCluster(destinationCluster(mirror, vs, s));
      JsonObject percentage = rule.getJsonObject("mirrorPercentage");
      if (percentage != null) {
        policy.setRuntimeFraction(RuntimeFractionalPercent.newBuilder().setDefaultValue(percent(percentage.getDouble("value"))));
      }
      action.addRequestMirrorPolicies(policy);
    }
    JsonObject rewrite = rule.getJsonObject("rewrite");
    if (rewrite != null) {
      if (rewrite.getString("uri") != null) {
        action.setPrefixRewrite(rewrite.getString("uri"));
      }
      if (rewrite.getString("authority") != null) {
        action.setHostRewriteLiteral(rewrite.getString("authority"));
      }
      JsonObject regex = rewrite.getJsonObject("uriRegexRewrite");
      if (regex != null) {
        action.setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
            .setPattern(RegexMatcher.newBuilder().setRegex(regex.getString("match")))
            .setSubstitution(regex.getString("rewrite")));
      }
    }
    return action.build();
  }

  private static RedirectAction redirect(JsonObject redirect) {
    RedirectAction.Builder r = RedirectAction.newBuilder();
    if (redirect.getString("uri") != null) {
      r.setPathRedirect(redirect.getString("uri"));
    }
    if (redirect.getString("authority") != null) {
      r.setHostRedirect(redirect.getString("authority"));
    }
    if (redirect.getValue("port") != null) {
      r.setPortRedirect(redirect.getInteger("port"));
    }
    if (redirect.getString("scheme") != null) {
      r.setSchemeRedirect(redirect.getString("scheme"));
    }
    switch (redirect.getInteger("redirectCode", 301)) {
      case 302 -> r.setResponseCode(RedirectAction.RedirectResponseCode.FOUND);
      case 303 -> r.setResponseCode(RedirectAction.RedirectResponseCode.SEE_OTHER);
      case 307 -> r.setResponseCode(RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT);
      case 308 -> r.setResponseCode(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT);
      default -> r.setResponseCode(RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY);
    }
    return r.build();
  }

  private static HTTPFault fault(JsonObject fault) {
    HTTPFault.Builder f = HTTPFault.newBuilder();
    JsonObject delay = fault.getJsonObject("delay");
    if (delay != null) {
      f.setDelay(FaultDelay.newBuilder().setFixedDelay(duration(delay.getString("fixedDelay")))
          .setPercentage(percent(delay.getJsonObject("percentage") != null ? delay.getJsonObject("percentage").getDouble("value")
              : delay.getInteger("percent", 100).doubleValue())));
    }
    JsonObject abort = fault.getJsonObject("abort");
    if (abort != null) {
      FaultAbort.Builder a = FaultAbort.newBuilder().setPercentage(percent(abort.getJsonObject("percentage") != null
          ? abort.getJsonObject("percentage").getDouble("value") : 100.0));
      if (abort.getValue("httpStatus") != null) {
        a.setHttpStatus(abort.getInteger("httpStatus"));
      } else {
        a.setGrpcStatus(grpcCode(abort.getString("grpcStatus")));
      }
      f.setAbort(a);
    }
    return f.build();
  }

  static int grpcCode(String status) {
    List<String> codes = List.of("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED");
    int code = codes.indexOf(status == null ? "" : status.toUpperCase(java.util.Locale.ROOT));
    if (code >= 0) {
      return code;
    }
    try {
      return Integer.parseInt(status);
    } catch (NumberFormatException e) {
      return 2; // UNKNOWN
    }
  }

  private static FractionalPercent percent(double value) {
    return FractionalPercent.newBuilder().setNumerator((int) Math.round(value * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION).build();
  }

  private static void headerOps(JsonObject ops, java.util.function.Consumer<HeaderValueOption> add,
      java.util.function.Consumer<String> remove) {
    if (ops == null) {
      return;
    }
    JsonObject set = ops.getJsonObject("set", new JsonObject());
    new TreeMap<>(set.getMap()).forEach((k, v) -> add.accept(HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(k).setValue(String.valueOf(v)))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD).build()));
    JsonObject append = ops.getJsonObject("add", new JsonObject());
    new TreeMap<>(append.getMap()).forEach((k, v) -> add.accept(HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(k).setValue(String.valueOf(v)))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD).build()));
    JsonArray removals = ops.getJsonArray("remove", new JsonArray());
    removals.forEach(h -> remove.accept((String) h));
  }

  /** The cluster a VirtualService destination names (host relative to the VirtualService's namespace). */
  private String destinationCluster(JsonObject destination, Rule vs, Service current) {
    String host = destination.getString("host");
    Service target = lookup(host, vs.namespace(), destination.getJsonObject("port") == null ? -1
        : destination.getJsonObject("port").getInteger("number"));
    if (target == null) {
      // a host this node cannot see (another plane or tenant): the route points at an empty cluster name
      target = current;
    }
    String subset = destination.getString("subset");
    return target.cluster(subset);
  }

  private Service lookup(String host, String namespace, int port) {
    String trimmed = host.endsWith(".svc.cluster.local") ? host.substring(0, host.length() - ".svc.cluster.local".length())
        : host.endsWith(".svc") ? host.substring(0, host.length() - 4) : host;
    String[] parts = trimmed.split("\\.");
    String name = parts[0];
    String tenant = parts.length == 1 ? namespace : parts.length == 2 ? parts[1] : null;
    if (tenant == null) {
      return null;
    }
    Service found = byFqdn.get(name + "." + tenant + ".svc.cluster.local");
    return found != null && (port < 0 || found.port() == port) ? found : null;
  }

  /** The VirtualService whose hosts name {@code s} (the node's own tenant first). */
  Rule virtualService(Service s) {
    return virtualServiceByFqdn.get(s.fqdn());
  }

  /** The DestinationRule for {@code s} (the node's tenant first, then the service's). */
  Rule destinationRule(Service s) {
    return destinationRuleByFqdn.get(s.fqdn());
  }

  static com.google.protobuf.Duration duration(String text) {
    java.time.Duration d = Durations.parse(text);
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  /** Every resource of every type for a node, for config dumps and tests. */
  Map<String, Map<String, Message>> all(Collection<String> proxylessTargets) {
    Map<String, Map<String, Message>> result = new LinkedHashMap<>();
    Map<String, Message> listeners = listeners(proxylessTargets);
    result.put(TypeUrls.LISTENER, listeners);
    java.util.Set<String> routeNames = new TreeSet<>();
    if (node.proxyless()) {
      routeNames.addAll(listeners.keySet());
    } else {
      services.values().forEach(s -> routeNames.add(Integer.toString(s.port())));
    }
    result.put(TypeUrls.ROUTE, routes(routeNames));
    Map<String, Message> clusters = clusters();
    result.put(TypeUrls.CLUSTER, clusters);
    result.put(TypeUrls.ENDPOINT, endpoints(clusters.keySet()));
    return result;
  }
}
