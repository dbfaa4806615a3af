package io.meridian.xds.impl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.meridian.registry.Instance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Translation from the registry and rules to xDS resources: golden JSON per node kind
 * (regenerate with {@code -Dgolden.update=true} and review the diff), the mapping of each
 * Istio field, tenant and plane scoping, and the proof that a sidecar is never configured with
 * another plane's address (the multi-plane forwarding loop).
 */
class TranslatorTest {

  static final Path GOLDEN = Path.of("src/test/resources/golden/xds");

  static Stream<Arguments> goldenNodes() {
    return Stream.of(
        Arguments.of("sidecar-shop-data", XdsFixtures.nodeInfo("shop", "data", "sidecar"), List.of()),
        Arguments.of("sidecar-shop-mgmt", XdsFixtures.nodeInfo("shop", "mgmt", "sidecar"), List.of()),
        Arguments.of("proxyless-default", XdsFixtures.nodeInfo("default", "default", "proxyless"),
            List.of("reviews", "productpage:9080", "ratings.default", "nosuch", "details.default.svc.cluster.local")),
        Arguments.of("proxyless-shop-data", XdsFixtures.nodeInfo("shop", "data", "proxyless"),
            List.of("orders", "payments.fin", "secret.other", "ledger")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenNodes")
  void everyResourceOfANodeMatchesItsGoldenJson(String name, NodeInfo node, List<String> targets) throws Exception {
    Map<String, Map<String, Message>> all = new Translator(XdsFixtures.model(), node).all(targets);
    JsonObject rendered = new JsonObject();
    all.forEach((type, resources) -> {
      JsonObject byName = new JsonObject();
      resources.forEach((n, m) -> byName.put(n, ConfigDump.toJson(m)));
      rendered.put(TypeUrls.shortName(type), byName);
    });
    String text = rendered.encodePrettily() + "\n";
    Path golden = GOLDEN.resolve(name + ".json");
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(GOLDEN);
      Files.writeString(golden, text);
    }
    assertThat(golden).as("golden file (create it with -Dgolden.update=true and review it)").exists();
    assertThat(text).isEqualTo(Files.readString(golden));
    // and every resource passes the checks grpc-xds would apply
    all.values().forEach(resources -> resources.forEach((n, m) -> assertThat(Snapshot.check(m)).as(n).isNull()));
  }

  @Test
  void aNodeSeesItsTenantAndSharedServicesOnly() {
    Translator shop = new Translator(XdsFixtures.model(), XdsFixtures.nodeInfo("shop", "data", "sidecar"));
    assertThat(shop.clusters().keySet()).containsExactlyInAnyOrder(
        Translator.BLACK_HOLE,
        "outbound|7000||ledger.shop.svc.cluster.local",
        "outbound|8080||orders.shop.svc.cluster.local",
        "outbound|8080|v1|orders.shop.svc.cluster.local",
        "outbound|8080|v2|orders.shop.svc.cluster.local",
        "outbound|8443||payments.fin.svc.cluster.local");
    Translator other = new Translator(XdsFixtures.model(), XdsFixtures.nodeInfo("other", "data", "sidecar"));
    assertThat(other.clusters().keySet()).containsExactlyInAnyOrder(
        Translator.BLACK_HOLE,
        "outbound|8080||secret.other.svc.cluster.local",
        "outbound|8443||payments.fin.svc.cluster.local");
    assertThat(other.resolveTarget("orders.shop")).isNull();
  }

  @Test
  void instancesOfOneServiceMayListenOnDifferentPorts() {
    List<Instance> instances = new ArrayList<>();
    int[] ports = {5002, 5001, 5002};
    for (int i = 0; i < ports.length; i++) {
      instances.add(XdsFixtures.instance(new JsonObject().put("id", "g" + i).put("tenant", "default").put("kind", "mesh")
          .put("endpoints", new JsonArray().add(new JsonObject().put("plane", "default").put("address", "127.0.0.1")))
          .put("services", new JsonArray().add(new JsonObject().put("name", "greeter").put("port", ports[i])
              .put("protocol", "grpc").put("planes", new JsonArray().add("default"))))));
    }
    Translator t = new Translator(new Translator.Model(instances, List.of()), XdsFixtures.nodeInfo("default", "default", "proxyless"));
    assertThat(t.clusters().keySet()).containsExactly("outbound|5002||greeter.default.svc.cluster.local");
    assertThat(addresses((ClusterLoadAssignment) t.allEndpoints().get("outbound|5002||greeter.default.svc.cluster.local")))
        .containsExactlyInAnyOrder("127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5002");
    assertThat(t.resolveTarget("greeter")).isNotNull();
    assertThat(t.resolveTarget("greeter:5002")).isNotNull();
    assertThat(t.resolveTarget("greeter:5001")).isNull();
  }

  @Test
  void destinationRulesBecomeClusterPolicies() {
    Translator t = new Translator(XdsFixtures.model(), XdsFixtures.nodeInfo("shop", "data", "sidecar"));
    Cluster orders = (Cluster) t.clusters().get("outbound|8080||orders.shop.svc.cluster.local");
    assertThat(orders.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(orders.getConnectTimeout().getNanos()).isEqualTo(250_000_000);
    assertThat(orders.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue()).isEqualTo(100);
    assertThat(orders.getCircuitBreakers().getThresholds(0).getMaxPendingRequests().getValue()).isEqualTo(10);
    assertThat(orders.getCircuitBreakers().getThresholds(0).getMaxRequests().getValue()).isEqualTo(1000);
    assertThat(orders.getCircuitBreakers().getThresholds(0).getMaxRetries().getValue()).isEqualTo(3);
    assertThat(orders.getMaxRequestsPerConnection().getValue()).isEqualTo(10);
    assertThat(orders.getOutlierDetection().getConsecutive5Xx().getValue()).isEqualTo(5);
    assertThat(orders.getOutlierDetection().getBaseEjectionTime().getSeconds()).isEqualTo(30);
    assertThat(orders.getOutlierDetection().getMaxEjectionPercent().getValue()).isEqualTo(50);
    // a subset's own policy replaces the load balancer and keeps the rest
    Cluster v2 = (Cluster) t.clusters().get("outbound|8080|v2|orders.shop.svc.cluster.local");
    assertThat(v2.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
    assertThat(v2.getCircuitBreakers()).isEqualTo(orders.getCircuitBreakers());
    assertThat(v2.getEdsClusterConfig().getServiceName()).isEqualTo("outbound|8080|v2|orders.shop.svc.cluster.local");
    assertThat(v2.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
  }

  @Test
  void endpointsArePassingInstancesOfTheSubsetGroupedByZone() {
    Translator t = new Translator(XdsFixtures.model(), XdsFixtures.nodeInfo("default", "default", "proxyless"));
    ClusterLoadAssignment reviews = (ClusterLoadAssignment) t.allEndpoints().get("outbound|9080||reviews.default.svc.cluster.local");
    assertThat(reviews.getEndpointsList()).extracting(l -> l.getLocality().getZone()).containsExactly("z1", "z2");
    assertThat(reviews.getEndpointsList()).extracting(l -> l.getLoadBalancingWeight().getValue()).containsExactly(1, 2);
    ClusterLoadAssignment v2 = (ClusterLoadAssignment) t.allEndpoints().get("outbound|9080|v2|reviews.default.svc.cluster.local");
    assertThat(addresses(v2)).containsExactly("10.0.0.14:9080");
    ClusterLoadAssignment ratings = (ClusterLoadAssignment) t.allEndpoints().get("outbound|9080||ratings.default.svc.cluster.local");
    assertThat(addresses(ratings)).containsExactly("10.0.0.16:9080"); // 10.0.0.17 is critical
  }

  @Test
  void virtualServicesBecomeRoutes() {
    Translator proxyless = new Translator(XdsFixtures.model(), XdsFixtures.nodeInfo("default", "default", "proxyless"));
    RouteConfiguration reviews = (RouteConfiguration) proxyless.routes(List.of("reviews")).get("reviews");
    assertThat(reviews.getVirtualHosts(0).getDomainsList()).startsWith("reviews").contains("reviews.default.svc.cluster.local:9080");
    WeightedCluster split = reviews.getVirtualHosts(0).getRoutes(0).getRoute().getWeightedClusters();
    assertThat(split.getClustersList()).extracting(c -> c.getName() + "=" + c.getWeight().getValue())
        .containsExactly("outbound|9080|v1|reviews.default.svc.cluster.local=90", "outbound|9080|v2|reviews.default.svc.cluster.local=10");

    Translator sidecar = new Translator(XdsFixtures.model(), XdsFixtures.nodeInfo("shop", "data", "sidecar"));
    RouteConfiguration port8080 = (RouteConfiguration) sidecar.routes(List.of("8080")).get("8080");
    List<Route> routes = port8080.getVirtualHosts(0).getRoutesList();
    assertThat(routes).extracting(Route::getName)
        .containsExactly("canary-header.0", "canary-header.1", "api.0", "api.1", "health", "old", "default");
    assertThat(routes.get(0).getMatch().getHeaders(0).getStringMatch().getExact()).isEqualTo("true");
    assertThat(routes.get(1).getMatch().getQueryParameters(0).getStringMatch().getExact()).isEqualTo("1");
    Route api = routes.get(2);
    assertThat(api.getMatch().getPrefix()).isEqualTo("/api/");
    assertThat(api.getMatch().getHeaders(0).getName()).isEqualTo(":method");
    assertThat(routes.get(3).getMatch().getSafeRegex().getRegex()).isEqualTo("/v[0-9]+/orders/.*");
    assertThat(api.getRoute().getWeightedClusters().getClustersList()).extracting(c -> c.getWeight().getValue()).containsExactly(80, 20);
    assertThat(api.getRoute().getWeightedClusters().getClusters(1).getRequestHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-subset");
    assertThat(api.getRoute().getTimeout().getSeconds()).isEqualTo(2);
    assertThat(api.getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(3);
    assertThat(api.getRoute().getRetryPolicy().getRetryOn()).isEqualTo("5xx,reset,connect-failure");
    assertThat(api.getRoute().getRequestMirrorPolicies(0).getCluster()).isEqualTo("outbound|8080|v2|orders.shop.svc.cluster.local");
    assertThat(api.getRoute().getRequestMirrorPolicies(0).getRuntimeFraction().getDefaultValue().getNumerator()).isEqualTo(100_000);
    assertThat(api.getRoute().getPrefixRewrite()).isEqualTo("/orders/");
    assertThat(api.getRequestHeadersToRemoveList()).containsExactly("x-debug");
    assertThat(api.getResponseHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-served-by");
    assertThat(routes.get(4).getDirectResponse().getStatus()).isEqualTo(200);
    assertThat(routes.get(5).getRedirect().getPathRedirect()).isEqualTo("/new");
    assertThat(routes.get(6).getTypedPerFilterConfigMap()).containsKey(Translator.FAULT);
    // the consistent hash of the DestinationRule's v2 subset is not the service's: no hash policy on the service routes
    assertThat(api.getRoute().getHashPolicyList()).isEmpty();
  }

  @Test
  void tcpServicesGetTcpProxyChainsMatchingTheirOwnPlaneAddresses() {
    Translator t = new Translator(XdsFixtures.model(), XdsFixtures.nodeInfo("shop", "data", "sidecar"));
    Listener l7000 = (Listener) t.listeners(List.of()).get("0.0.0.0_7000");
    assertThat(l7000.getFilterChainsCount()).isEqualTo(1);
    FilterChain chain = l7000.getFilterChains(0);
    assertThat(chain.getFilterChainMatch().getPrefixRangesList()).extracting(r -> r.getAddressPrefix() + "/" + r.getPrefixLen().getValue())
        .containsExactly("10.1.0.20/32", "10.1.0.21/32");
    assertThat(l7000.getBindToPort().getValue()).isFalse();
    Filter filter = chain.getFilters(0);
    assertThat(filter.getName()).isEqualTo(Translator.TCP_PROXY);
  }

  @Test
  void theSameModelAlwaysGivesTheSameBytes() {
    NodeInfo node = XdsFixtures.nodeInfo("shop", "data", "sidecar");
    Translator.Model model = XdsFixtures.model();
    List<Instance> shuffled = new ArrayList<>(model.instances());
    Collections.shuffle(shuffled, new Random(7));
    Translator.Model reordered = new Translator.Model(shuffled, model.rules());
    Map<String, Map<String, Message>> a = new Translator(model, node).all(List.of());
    Map<String, Map<String, Message>> b = new Translator(reordered, node).all(List.of());
    assertThat(a.keySet()).isEqualTo(b.keySet());
    a.forEach((type, resources) -> resources.forEach((name, m) ->
        assertThat(Snapshot.deterministic(b.get(type).get(name))).as(name).isEqualTo(Snapshot.deterministic(m))));
  }

  // ---- the multi-plane loop --------------------------------------------------------------

  /**
   * The seed's loop: a sidecar on an instance with a data-plane and a management-plane address
   * was given the instance's other-plane address as an upstream, so it forwarded to itself.
   * Meridian never emits an address that is not on the node's own plane.
   */
  @Test
  void aSidecarNeverGetsTheOtherPlaneAddressOfItsOwnInstance() {
    for (String role : List.of("sidecar", "gateway", "proxyless")) {
      NodeInfo data = NodeInfo.of(XdsFixtures.node("orders-7f9c", Map.of("tenant", "shop", "plane", "data", "role", role,
          "service", "orders", "version", "v2")));
      Set<String> seen = addresses(new Translator(XdsFixtures.model(), data).all(List.of("orders", "ledger", "payments.fin")));
      assertThat(seen).as(role).contains("10.1.0.5", "10.1.0.6", "10.1.0.20", "10.1.0.21")
          .doesNotContain("192.168.5.5", "192.168.5.6", "192.168.5.20", "192.168.5.21");
      NodeInfo mgmt = NodeInfo.of(XdsFixtures.node("orders-7f9c", Map.of("tenant", "shop", "plane", "mgmt", "role", role)));
      Set<String> seenMgmt = addresses(new Translator(XdsFixtures.model(), mgmt).all(List.of("orders-admin", "orders", "ledger")));
      assertThat(seenMgmt).as(role).contains("192.168.5.5", "192.168.5.6").doesNotContain("10.1.0.5", "10.1.0.6", "10.1.0.20");
    }
    // what no listener claims (e.g. the instance's own management address) is dropped, never passed through
    NodeInfo sidecar = NodeInfo.of(XdsFixtures.node("orders-7f9c", Map.of("tenant", "shop", "plane", "data", "role", "sidecar")));
    Translator t = new Translator(XdsFixtures.model(), sidecar);
    Listener virtual = (Listener) t.listeners(List.of()).get(Translator.VIRTUAL_OUTBOUND);
    assertThat(virtual.getUseOriginalDst().getValue()).isTrue();
    assertThat(virtual.getFilterChainsList()).isEmpty();
    assertThat(virtual.getDefaultFilterChain().getName()).isEqualTo(Translator.BLACK_HOLE);
    Cluster blackHole = (Cluster) t.clusters().get(Translator.BLACK_HOLE);
    assertThat(blackHole.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    assertThat(blackHole.hasLoadAssignment()).isFalse();
    assertThat(t.clusters().values()).noneMatch(c -> ((Cluster) c).getType() == Cluster.DiscoveryType.ORIGINAL_DST);
  }

  /** The same on random topologies: every address any node gets is one of its plane's. */
  @Test
  void noNodeEverGetsAnAddressOfAnotherPlane() {
    Random random = new Random(20261126);
    List<String> planes = List.of("data", "mgmt", "storage");
    for (int round = 0; round < 50; round++) {
      List<Instance> instances = new ArrayList<>();
      Map<String, Set<String>> byPlane = Map.of("data", new HashSet<>(), "mgmt", new HashSet<>(), "storage", new HashSet<>());
      int n = 1 + random.nextInt(12);
      for (int i = 0; i < n; i++) {
        JsonArray endpoints = new JsonArray();
        List<String> mine = new ArrayList<>();
        for (int p = 0; p < planes.size(); p++) {
          if (random.nextInt(3) > 0 || mine.isEmpty() && p == planes.size() - 1) {
            String address = (10 + p) + ".0." + round + "." + (i + 1);
            endpoints.add(new JsonObject().put("plane", planes.get(p)).put("address", address));
            byPlane.get(planes.get(p)).add(address);
            mine.add(planes.get(p));
          }
        }
        JsonArray services = new JsonArray();
        for (String svc : List.of("a", "b", "c")) {
          if (random.nextBoolean()) {
            List<String> on = mine.stream().filter(x -> random.nextBoolean()).toList();
            if (!on.isEmpty()) {
              services.add(new JsonObject().put("name", svc).put("port", svc.equals("c") ? 7000 : 8080)
                  .put("protocol", svc.equals("c") ? "tcp" : "http").put("version", "v" + random.nextInt(2))
                  .put("planes", new JsonArray(on)));
            }
          }
        }
        if (!services.isEmpty()) {
          instances.add(XdsFixtures.instance(new JsonObject().put("id", "i" + i).put("tenant", "t").put("kind", "mesh")
              .put("endpoints", endpoints).put("services", services)));
        }
      }
      Translator.Model model = new Translator.Model(instances, List.of());
      for (String plane : planes) {
        for (String role : List.of("sidecar", "proxyless")) {
          NodeInfo node = NodeInfo.of(XdsFixtures.node("n", Map.of("tenant", "t", "plane", plane, "role", role)));
          Set<String> seen = addresses(new Translator(model, node).all(List.of("a", "b", "c")));
          assertThat(byPlane.get(plane)).as("round %d plane %s role %s", round, plane, role).containsAll(seen);
        }
      }
    }
  }

  /** Every IP address in the resources: endpoint addresses and filter-chain prefix ranges (not the 0.0.0.0 listeners). */
  static Set<String> addresses(Map<String, Map<String, Message>> all) {
    Set<String> result = new TreeSet<>();
    for (Map<String, Message> resources : all.values()) {
      for (Message m : resources.values()) {
        if (m instanceof ClusterLoadAssignment cla) {
          for (LocalityLbEndpoints l : cla.getEndpointsList()) {
            for (LbEndpoint e : l.getLbEndpointsList()) {
              result.add(e.getEndpoint().getAddress().getSocketAddress().getAddress());
            }
          }
        } else if (m instanceof Listener l) {
          for (FilterChain chain : l.getFilterChainsList()) {
            chain.getFilterChainMatch().getPrefixRangesList().forEach(r -> result.add(r.getAddressPrefix()));
            for (Filter f : chain.getFiltersList()) {
              if (f.getName().equals(Translator.TCP_PROXY)) {
                try {
                  assertThat(f.getTypedConfig().unpack(TcpProxy.class).getCluster()).startsWith("outbound|");
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                  throw new AssertionError(e);
                }
              }
            }
          }
          String bound = l.getAddress().getSocketAddress().getAddress();
          if (!bound.isEmpty() && !bound.equals("0.0.0.0")) {
            result.add(bound);
          }
        }
      }
    }
    return result;
  }

  static List<String> addresses(ClusterLoadAssignment cla) {
    List<String> result = new ArrayList<>();
    for (LocalityLbEndpoints l : cla.getEndpointsList()) {
      for (LbEndpoint e : l.getLbEndpointsList()) {
        SocketAddress a = e.getEndpoint().getAddress().getSocketAddress();
        result.add(a.getAddress() + ":" + a.getPortValue());
      }
    }
    return result;
  }
}
