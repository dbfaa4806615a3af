package io.meridian.gateway.impl.route;

/**
 * Passive health checking (DestinationRule {@code trafficPolicy.outlierDetection}): an
 * endpoint with this many consecutive 5xx (or gateway errors: connect failures, resets,
 * timeouts) is ejected for {@code baseEjection × ejections}, never more than
 * {@code maxEjectionPercent} of the cluster (but at least one endpoint).
 */
public record OutlierPolicy(int consecutive5xx, int consecutiveGatewayErrors, long baseEjectionNanos, int maxEjectionPercent) {
}
