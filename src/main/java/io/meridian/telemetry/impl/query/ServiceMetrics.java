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
 * A service's RED metrics over a window (docs/telemetry.md): request rate, error ratio (5xx /
 * all) and p50/p90/p99 in ms, in total, per version and per source, plus a small timeline.
 *
 * <p>Sources: the gateway's own histogram (requests the gateway routed to the service; version
 * = the version it routed to) and the sidecars' outbound clusters whose name is the service's
 * ({@code outbound|PORT|SUBSET|NAME.TENANT.svc.cluster.local}; version = the subset's name,
 * {@code ""} for the whole-service cluster). The two are added: each request is counted once,
 * by its caller's proxy (Meridian's sidecars have no inbound clusters).
 */
public final class ServiceMetrics {

  /** Points of the timeline. */
  static final int TIMELINE_POINTS = 10;
  /** Shortest range a timeline point's rate is computed over (a few scrape intervals). */
  static final long MIN_POINT_RANGE_MILLIS = 60_000;

  private ServiceMetrics() {
  }

  /** The answer of {@code GET /api/v1/metrics/service} for {@code service} in {@code tenant} over {@code [end - window, end]}. */
  public static JsonObject compute(String service, String tenant, Duration window, long end, MeshSeries in) {
    long start = end - window.toMillis();
    double seconds = window.toMillis() / 1000.0;
    Slices slices = slices(service, tenant, start, end, in);
    Traffic total = new Traffic();
    total.addAll(slices.gateway);
    total.addAll(slices.sidecars);
    JsonArray versions = new JsonArray();
    slices.versions.forEach((version, traffic) -> versions.add(traffic.toJson(seconds).put("version", version)));

    long step = window.toMillis() / TIMELINE_POINTS;
    long range = Math.max(step, MIN_POINT_RANGE_MILLIS);
    JsonArray points = new JsonArray();
    for (int i = 1; i <= TIMELINE_POINTS; i++) {
      long t = start + i * step;
      Slices at = slices(service, tenant, t - range, t, in);
      Traffic all = new Traffic();
      all.addAll(at.gateway);
      all.addAll(at.sidecars);
      points.add(new JsonObject().put("t", t)
          .put("rate", Traffic.round(all.rate(range / 1000.0)))
          .put("errorRatio", Traffic.round(all.errorRatio()))
          .put("p99", Traffic.round(all.quantile(0.99))));
    }
    return new JsonObject()
        .put("service", service)
        .put("tenant", tenant)
        .put("window", Durations.format(window))
        .put("from", start)
        .put("to", end)
        .put("total", total.toJson(seconds))
        .put("versions", versions)
        .put("sources", new JsonObject()
            .put("gateway", slices.gateway.toJson(seconds))
            .put("sidecars", slices.sidecars.toJson(seconds)))
        .put("timeline", new JsonObject()
            .put("step", Durations.format(Duration.ofMillis(step)))
            .put("range", Durations.format(Duration.ofMillis(range)))
            .put("points", points));
  }

  private record Slices(Traffic gateway, Traffic sidecars, Map<String, Traffic> versions) {
  }

  private static Slices slices(String service, String tenant, long start, long end, MeshSeries in) {
    Traffic gateway = new Traffic();
    Traffic sidecars = new Traffic();
    Map<String, Traffic> versions = new TreeMap<>();

    Traffic.addCounters(only(in.gatewayCounts(), service, tenant), start, end, (s, increase) -> {
      Traffic version = versions.computeIfAbsent(label(s, "version"), v -> new Traffic());
      gateway.addRequests(increase);
      version.addRequests(increase);
      if (MeshSeries.serverError(s.labels().get("status"))) {
        gateway.addErrors(increase);
        version.addErrors(increase);
      }
    });
    Traffic.addHistograms(only(in.gatewayBuckets(), service, tenant), start, end, 1000,
        s -> List.of(gateway, versions.computeIfAbsent(label(s, "version"), v -> new Traffic())));

    Traffic.addCounters(in.envoyTotals(), start, end, (s, increase) -> {
      EnvoyCluster c = cluster(s, service, tenant);
      if (c != null) {
        sidecars.addRequests(increase);
        versions.computeIfAbsent(c.subset(), v -> new Traffic()).addRequests(increase);
      }
    });
    Traffic.addCounters(in.envoyClasses(), start, end, (s, increase) -> {
      EnvoyCluster c = cluster(s, service, tenant);
      if (c != null && MeshSeries.serverError(s.labels().get("envoy_response_code_class"))) {
        sidecars.addErrors(increase);
        versions.computeIfAbsent(c.subset(), v -> new Traffic()).addErrors(increase);
      }
    });
    Traffic.addHistograms(in.envoyTimeBuckets(), start, end, 1, s -> {
      EnvoyCluster c = cluster(s, service, tenant);
      return c == null ? List.of() : List.of(sidecars, versions.computeIfAbsent(c.subset(), v -> new Traffic()));
    });
    versions.values().removeIf(Traffic::empty);
    return new Slices(gateway, sidecars, versions);
  }

  private static List<Series> only(List<Series> series, String service, String tenant) {
    return series.stream().filter(s -> service.equals(s.labels().get("service")) && tenant.equals(s.labels().get("tenant"))).toList();
  }

  private static EnvoyCluster cluster(Series s, String service, String tenant) {
    EnvoyCluster c = EnvoyCluster.parse(s.labels().get("envoy_cluster_name"));
    return c != null && c.service().equals(service) && c.tenant().equals(tenant) ? c : null;
  }

  static String label(Series s, String name) {
    String v = s.labels().get(name);
    return v == null ? "" : v;
  }
}
