package io.meridian.gateway.impl.route;

/**
 * How a cluster picks an endpoint (DestinationRule {@code trafficPolicy.loadBalancer}).
 *
 * @param kind        round robin, least request (power of two choices), random, or consistent hash
 * @param hashHeader  consistent hash on this request header
 * @param hashCookie  consistent hash on this cookie
 * @param hashSourceIp consistent hash on the client's address
 * @param hashQuery   consistent hash on this query parameter
 */
public record LbPolicy(Kind kind, String hashHeader, String hashCookie, boolean hashSourceIp, String hashQuery) {

  public enum Kind { ROUND_ROBIN, LEAST_REQUEST, RANDOM, CONSISTENT_HASH }

  public static final LbPolicy ROUND_ROBIN = new LbPolicy(Kind.ROUND_ROBIN, null, null, false, null);
}
