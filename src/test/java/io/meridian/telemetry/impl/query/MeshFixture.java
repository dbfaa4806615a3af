package io.meridian.telemetry.impl.query;

import io.meridian.telemetry.impl.series.Series;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongToDoubleFunction;

/** Hand-made gateway and sidecar series for the query tests: 10 minutes at 15 s, window = the last 5. */
final class MeshFixture {

  static final long END = 600_000;
  static final String ORDERS_V2 = "outbound|8080|v2|orders.default.svc.cluster.local";

  final List<Series> gatewayCounts = new ArrayList<>();
  final List<Series> gatewayBuckets = new ArrayList<>();
  final List<Series> envoyTotals = new ArrayList<>();
  final List<Series> envoyClasses = new ArrayList<>();
  final List<Series> envoyBuckets = new ArrayList<>();

  static Series series(String name, LongToDoubleFunction valueAt, String... labels) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      map.put(labels[i], labels[i + 1]);
    }
    int n = (int) (END / 15_000) + 1;
    long[] t = new long[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      t[i] = i * 15_000L;
      v[i] = valueAt.applyAsDouble(t[i]);
    }
    return new Series(name, map, t, v);
  }

  static LongToDoubleFunction perSecond(double rate) {
    return t -> rate * t / 1000.0;
  }

  static String[] gw(String tenant, String service, String version, String status, String... more) {
    List<String> l = new ArrayList<>(List.of("gateway", "edge", "tenant", tenant, "service", service, "version", version,
        "route", "r1", "status", status, "node", "n1"));
    l.addAll(List.of(more));
    return l.toArray(new String[0]);
  }

  /** The scenario documented in ServiceMetricsTest. */
  static MeshFixture orders() {
    MeshFixture f = new MeshFixture();
    f.gatewayCounts.add(series(MeshSeries.GATEWAY_COUNT, perSecond(1), gw("default", "orders", "v1", "200")));
    f.gatewayCounts.add(series(MeshSeries.GATEWAY_COUNT, perSecond(0.1), gw("default", "orders", "v1", "503")));
    // v2 restarts at 450 s and had counted 7.5 by its first scrape
    f.gatewayCounts.add(series(MeshSeries.GATEWAY_COUNT,
        t -> t < 450_000 ? 0.5 * t / 1000 : 0.5 * (t - 450_000) / 1000 + 7.5, gw("default", "orders", "v2", "200")));
    f.gatewayCounts.add(series(MeshSeries.GATEWAY_COUNT, perSecond(50), gw("default", "payments", "v1", "200")));
    f.gatewayCounts.add(series(MeshSeries.GATEWAY_COUNT, perSecond(50), gw("other", "orders", "v1", "500")));
    f.gatewayBuckets.add(series(MeshSeries.GATEWAY_BUCKET, perSecond(0.5), gw("default", "orders", "v1", "200", "le", "0.01")));
    f.gatewayBuckets.add(series(MeshSeries.GATEWAY_BUCKET, perSecond(1), gw("default", "orders", "v1", "200", "le", "0.1")));
    f.gatewayBuckets.add(series(MeshSeries.GATEWAY_BUCKET, perSecond(1), gw("default", "orders", "v1", "200", "le", "+Inf")));
    f.gatewayBuckets.add(series(MeshSeries.GATEWAY_BUCKET, t -> 0, gw("default", "orders", "v1", "503", "le", "0.01")));
    f.gatewayBuckets.add(series(MeshSeries.GATEWAY_BUCKET, t -> 0, gw("default", "orders", "v1", "503", "le", "0.1")));
    f.gatewayBuckets.add(series(MeshSeries.GATEWAY_BUCKET, perSecond(0.1), gw("default", "orders", "v1", "503", "le", "+Inf")));

    String[] frontend = {"envoy_cluster_name", ORDERS_V2, "service", "frontend", "tenant", "default", "instance", "fe-1"};
    f.envoyTotals.add(series(MeshSeries.ENVOY_TOTAL, perSecond(2), frontend));
    f.envoyTotals.add(series(MeshSeries.ENVOY_TOTAL, perSecond(9),
        "envoy_cluster_name", "outbound|8080||payments.default.svc.cluster.local", "service", "frontend", "tenant", "default"));
    f.envoyClasses.add(series(MeshSeries.ENVOY_CLASSES, perSecond(0.2), with(frontend, "envoy_response_code_class", "5")));
    f.envoyClasses.add(series(MeshSeries.ENVOY_CLASSES, perSecond(1.8), with(frontend, "envoy_response_code_class", "2")));
    f.envoyBuckets.add(series(MeshSeries.ENVOY_TIME_BUCKET, perSecond(1), with(frontend, "le", "5")));
    f.envoyBuckets.add(series(MeshSeries.ENVOY_TIME_BUCKET, perSecond(2), with(frontend, "le", "25")));
    f.envoyBuckets.add(series(MeshSeries.ENVOY_TIME_BUCKET, perSecond(2), with(frontend, "le", "+Inf")));
    return f;
  }

  static String[] with(String[] labels, String... more) {
    List<String> l = new ArrayList<>(List.of(labels));
    l.addAll(List.of(more));
    return l.toArray(new String[0]);
  }

  MeshSeries mesh() {
    return new MeshSeries(gatewayCounts, gatewayBuckets, envoyTotals, envoyClasses, envoyBuckets);
  }
}
