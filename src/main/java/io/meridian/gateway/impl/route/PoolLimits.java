package io.meridian.gateway.impl.route;

/**
 * Connection-pool limits (DestinationRule {@code trafficPolicy.connectionPool}); 0 = none.
 *
 * @param maxConnections          open connections to the cluster (all endpoints, all event loops)
 * @param maxPendingRequests      requests waiting for a connection
 * @param maxRequests             requests in flight to the cluster
 * @param maxRequestsPerConnection requests one connection carries before it is closed
 */
public record PoolLimits(int maxConnections, int maxPendingRequests, int maxRequests, int maxRequestsPerConnection) {

  public static final PoolLimits NONE = new PoolLimits(0, 0, 0, 0);
}
