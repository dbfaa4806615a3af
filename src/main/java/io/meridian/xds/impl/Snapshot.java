package io.meridian.xds.impl;

import com.google.protobuf.Any;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One generation of the model (registry + rules) and the resources it yields per node scope,
 * computed on first use and shared by every stream whose node has the same scope.
 */
final class Snapshot {

  /** Resources of one type for one node, and their version (a content hash). */
  record Prepared(Map<String, Any> resources, Map<String, String> versions, String version, Map<String, String> withheld) {
  }

  final long generation;
  final Translator.Model model;
  /** When the first change folded into this generation happened (for push latency). */
  final long changedAtNanos;
  private final Map<String, Translator> translators = new ConcurrentHashMap<>();
  private final Map<Key, Prepared> prepared = new ConcurrentHashMap<>();

  Snapshot(long generation, Translator.Model model, long changedAtNanos) {
    this.generation = generation;
    this.model = model;
    this.changedAtNanos = changedAtNanos;
  }

  Translator translator(NodeInfo node) {
    return translators.computeIfAbsent(node.scopeKey(), k -> new Translator(model, node));
  }

  /**
   * The resources of {@code type} a node gets for {@code names} ({@code null} = wildcard).
   * Resources that fail the client-side checks are withheld (left out, and listed in
   * {@link Prepared#withheld()} with the reason).
   */
  Prepared resources(NodeInfo node, String type, Set<String> names) {
    return resources(node.scopeKey(), node, type, names);
  }

  /** Nodes of one scope asking for the same names share what they get (names compare by content). */
  private record Key(String scopeKey, String type, Set<String> names) {
  }

  /** As {@link #resources(NodeInfo, String, Set)} with the node's {@link NodeInfo#scopeKey()} already computed. */
  Prepared resources(String scopeKey, NodeInfo node, String type, Set<String> names) {
    Key key = new Key(scopeKey, type, names);
    Prepared cached = prepared.get(key);
    if (cached != null) {
      return cached;
    }
    Translator t = translator(node);
    Map<String, Message> messages = switch (type) {
      case TypeUrls.CLUSTER -> filter(t.clusters(), names);
      case TypeUrls.ENDPOINT -> t.endpoints(names == null ? t.clusters().keySet() : names);
      case TypeUrls.LISTENER -> node.proxyless() ? t.listeners(names == null ? Set.of() : names) : filter(t.listeners(Set.of()), names);
      case TypeUrls.ROUTE -> t.routes(names == null ? Set.of() : names);
      default -> Map.of();
    };
    Map<String, Any> resources = new LinkedHashMap<>();
    Map<String, String> versions = new LinkedHashMap<>();
    Map<String, String> withheld = new TreeMap<>();
    MessageDigest all = sha256();
    for (Map.Entry<String, Message> e : messages.entrySet()) {
      String problem = check(e.getValue());
      if (problem != null) {
        withheld.put(e.getKey(), problem);
        continue;
      }
      byte[] bytes = deterministic(e.getValue());
      Any any = Any.newBuilder().setTypeUrl(type).setValue(com.google.protobuf.ByteString.copyFrom(bytes)).build();
      resources.put(e.getKey(), any);
      byte[] hash = sha256().digest(bytes);
      versions.put(e.getKey(), HexFormat.of().formatHex(hash, 0, 8));
      all.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      all.update(hash);
    }
    Prepared result = new Prepared(Collections.unmodifiableMap(resources), Collections.unmodifiableMap(versions),
        HexFormat.of().formatHex(all.digest(), 0, 8), Collections.unmodifiableMap(withheld));
    prepared.put(key, result);
    return result;
  }

  private static Map<String, Message> filter(Map<String, Message> all, Set<String> names) {
    if (names == null) {
      return all;
    }
    Map<String, Message> result = new LinkedHashMap<>();
    for (String name : new TreeSet<>(names)) {
      Message m = all.get(name);
      if (m != null) {
        result.put(name, m);
      }
    }
    return result;
  }

  /**
   * What proxyless gRPC clients would reject, checked before sending (a server-side bug guard):
   * an HTTP connection manager whose last filter is not the router, an EDS cluster without an
   * EDS config, a locality of weight 0, a route configuration without domains.
   */
  static String check(Message m) {
    try {
      if (m instanceof Listener l && l.hasApiListener()) {
        HttpConnectionManager hcm = l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
        int n = hcm.getHttpFiltersCount();
        if (n == 0 || !hcm.getHttpFilters(n - 1).getName().equals(Translator.ROUTER)) {
          return "the last HTTP filter must be the router";
        }
      } else if (m instanceof Listener l && l.getFilterChainsCount() == 0 && !l.hasDefaultFilterChain()) {
        return "listener without filter chains";
      } else if (m instanceof Cluster c && c.getType() == Cluster.DiscoveryType.EDS && !c.getEdsClusterConfig().hasEdsConfig()) {
        return "EDS cluster without eds_cluster_config.eds_config";
      } else if (m instanceof ClusterLoadAssignment cla) {
        for (LocalityLbEndpoints l : cla.getEndpointsList()) {
          if (l.getLoadBalancingWeight().getValue() == 0) {
            return "locality with load_balancing_weight 0";
          }
        }
      } else if (m instanceof RouteConfiguration rc) {
        if (rc.getVirtualHostsCount() == 0 || rc.getVirtualHostsList().stream().anyMatch(v -> v.getDomainsCount() == 0)) {
          return "route configuration without virtual host domains";
        }
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return "cannot read back: " + e.getMessage();
    }
    return null;
  }

  static byte[] deterministic(Message m) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(m.getSerializedSize());
      CodedOutputStream coded = CodedOutputStream.newInstance(out);
      coded.useDeterministicSerialization();
      m.writeTo(coded);
      coded.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
