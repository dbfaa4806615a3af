package io.meridian.telemetry.impl.query;

import io.meridian.common.units.Durations;
import io.meridian.telemetry.impl.series.Series;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The service graph of a tenant over a window (docs/telemetry.md): nodes (services, gateways)
 * and edges source → destination with rate, error ratio and p99.
 *
 * <ul>
 *   <li>gateway → service, from the gateway's histogram: source {@code gateway:<gateway>},
 *       destination its {@code service} label (requests the gateway could not route are left out);</li>
 *   <li>service → service, from the sidecars' outbound clusters: source the scraped
 *       instance's {@code service} label (the scraper's registry enrichment; {@code unknown}
 *       without one), destination the cluster's service.</li>
 * </ul>
 * A service of the asked tenant has its name as id; one of another tenant (a cross-tenant call)
 * {@code name.tenant}. Edges touching the tenant are included (either end in it).
 */
public final class ServiceGraph {

  private ServiceGraph() {
  }

  /** The answer of {@code GET /api/v1/graph} for {@code tenant} over {@code [end - window, end]}. */
  public static JsonObject compute(String tenant, Duration window, long end, MeshSeries in) {
    long start = end - window.toMillis();
    double seconds = window.toMillis() / 1000.0;
    Map<String, JsonObject> nodes = new TreeMap<>();
    Map<List<String>, Traffic> edges = new TreeMap<>((a, b) -> {
      int c = a.get(0).compareTo(b.get(0));
      return c != 0 ? c : a.get(1).compareTo(b.get(1));
    });

    Traffic.addCounters(gatewaySeries(in.gatewayCounts(), tenant), start, end, (s, increase) -> {
      Traffic t = edges.computeIfAbsent(gatewayEdge(s, tenant, nodes), k -> new Traffic());
      t.addRequests(increase);
      if (MeshSeries.serverError(s.labels().get("status"))) {
        t.addErrors(increase);
      }
    });
    Traffic.addHistograms(gatewaySeries(in.gatewayBuckets(), tenant), start, end, 1000,
        s -> List.of(edges.computeIfAbsent(gatewayEdge(s, tenant, nodes), k -> new Traffic())));

    Traffic.addCounters(in.envoyTotals(), start, end, (s, increase) -> {
      List<String> edge = sidecarEdge(s, tenant, nodes);
      if (edge != null) {
        edges.computeIfAbsent(edge, k -> new Traffic()).addRequests(increase);
      }
    });
    Traffic.addCounters(in.envoyClasses(), start, end, (s, increase) -> {
      List<String> edge = sidecarEdge(s, tenant, nodes);
      if (edge != null && MeshSeries.serverError(s.labels().get("envoy_response_code_class"))) {
        edges.computeIfAbsent(edge, k -> new Traffic()).addErrors(increase);
      }
    });
    Traffic.addHistograms(in.envoyTimeBuckets(), start, end, 1, s -> {
      List<String> edge = sidecarEdge(s, tenant, nodes);
      return edge == null ? List.of() : List.of(edges.computeIfAbsent(edge, k -> new Traffic()));
    });

    JsonArray edgeArray = new JsonArray();
    edges.forEach((edge, traffic) -> {
      if (!traffic.empty()) {
        edgeArray.add(new JsonObject()
            .put("source", edge.get(0))
            .put("destination", edge.get(1))
            .put("rate", Traffic.round(traffic.rate(seconds)))
            .put("errorRatio", Traffic.round(traffic.errorRatio()))
            .put("p99", Traffic.round(traffic.quantile(0.99))));
      }
    });
    return new JsonObject()
        .put("tenant", tenant)
        .put("window", Durations.format(window))
        .put("from", start)
        .put("to", end)
        .put("nodes", new JsonArray(List.copyOf(nodes.values())))
        .put("edges", edgeArray);
  }

  private static List<Series> gatewaySeries(List<Series> series, String tenant) {
    return series.stream().filter(s -> tenant.equals(s.labels().get("tenant"))
        && !ServiceMetrics.label(s, "service").isEmpty()).toList();
  }

  private static List<String> gatewayEdge(Series s, String tenant, Map<String, JsonObject> nodes) {
    String gateway = "gateway:" + ServiceMetrics.label(s, "gateway");
    nodes.computeIfAbsent(gateway, id -> new JsonObject().put("id", id).put("kind", "gateway")
        .put("name", ServiceMetrics.label(s, "gateway")));
    return List.of(gateway, serviceNode(s.labels().get("service"), tenant, tenant, nodes));
  }

  private static List<String> sidecarEdge(Series s, String tenant, Map<String, JsonObject> nodes) {
    EnvoyCluster c = EnvoyCluster.parse(s.labels().get("envoy_cluster_name"));
    if (c == null) {
      return null;
    }
    String sourceService = s.labels().get("service");
    String sourceTenant = s.labels().getOrDefault("tenant", c.tenant());
    if (!tenant.equals(sourceTenant) && !tenant.equals(c.tenant())) {
      return null;
    }
    String source = sourceService == null || sourceService.isEmpty()
        ? serviceNode("unknown", sourceTenant, tenant, nodes) : serviceNode(sourceService, sourceTenant, tenant, nodes);
    return List.of(source, serviceNode(c.service(), c.tenant(), tenant, nodes));
  }

  private static String serviceNode(String name, String serviceTenant, String tenant, Map<String, JsonObject> nodes) {
    String id = serviceTenant.equals(tenant) ? name : name + "." + serviceTenant;
    nodes.computeIfAbsent(id, k -> new JsonObject().put("id", k).put("kind", "service").put("name", name)
        .put("tenant", serviceTenant));
    return id;
  }
}
