package io.meridian.telemetry.impl.query;

import io.meridian.telemetry.impl.series.Series;
import io.meridian.telemetry.impl.series.SeriesStore;
import java.util.List;
import java.util.Map;

/**
 * The series the service metrics and the service graph are computed from.
 *
 * @param gatewayCounts    {@value #GATEWAY_COUNT} (labels gateway, tenant, service, version, route, status)
 * @param gatewayBuckets   {@value #GATEWAY_BUCKET} (the same, and {@code le} in seconds)
 * @param envoyTotals      {@value #ENVOY_TOTAL} ({@code envoy_cluster_name})
 * @param envoyClasses     {@value #ENVOY_CLASSES} ({@code envoy_cluster_name}, {@code envoy_response_code_class})
 * @param envoyTimeBuckets {@value #ENVOY_TIME_BUCKET} ({@code envoy_cluster_name}, {@code le} in ms)
 */
public record MeshSeries(List<Series> gatewayCounts, List<Series> gatewayBuckets, List<Series> envoyTotals,
    List<Series> envoyClasses, List<Series> envoyTimeBuckets) {

  public static final String GATEWAY_COUNT = "meridian_gateway_requests_seconds_count";
  public static final String GATEWAY_BUCKET = "meridian_gateway_requests_seconds_bucket";
  public static final String ENVOY_TOTAL = "envoy_cluster_upstream_rq_total";
  public static final String ENVOY_CLASSES = "envoy_cluster_upstream_rq_xx";
  public static final String ENVOY_TIME_BUCKET = "envoy_cluster_upstream_rq_time_bucket";

  /** Reads them from {@code store}: gateway series matching {@code gatewayMatch}, every sidecar series. */
  public static MeshSeries load(SeriesStore store, Map<String, String> gatewayMatch, long from, long to) {
    return new MeshSeries(
        store.select(GATEWAY_COUNT, gatewayMatch, from, to),
        store.select(GATEWAY_BUCKET, gatewayMatch, from, to),
        store.select(ENVOY_TOTAL, Map.of(), from, to),
        store.select(ENVOY_CLASSES, Map.of(), from, to),
        store.select(ENVOY_TIME_BUCKET, Map.of(), from, to));
  }

  /** Whether {@code status} (an HTTP status code, or an Envoy class digit) is a server error. */
  static boolean serverError(String status) {
    return status != null && !status.isEmpty() && status.charAt(0) == '5';
  }
}
