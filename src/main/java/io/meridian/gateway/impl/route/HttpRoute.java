package io.meridian.gateway.impl.route;

import java.util.concurrent.ThreadLocalRandom;

/**
 * One VirtualService {@code http} route compiled for the gateway (or the implicit route of a
 * service without a VirtualService): when it applies and what it does. Immutable.
 */
public final class HttpRoute {

  /** A weighted destination with its own header mutations. */
  public record Destination(Cluster cluster, int weight, HeaderOps requestHeaders, HeaderOps responseHeaders) {
  }

  /** Retries: how many, per-try timeout (0 = the route's), on what. */
  public record Retry(int attempts, long perTryTimeoutNanos, boolean on5xx, boolean onGatewayError, boolean onConnectFailure,
      boolean onReset, boolean onRetriable4xx, int[] retriableStatuses) {

    /** Istio's default for routes without {@code retries}: 2 retries on connect failures and refused streams. */
    public static final Retry DEFAULT = new Retry(2, 0, false, false, true, false, false, new int[0]);
    public static final Retry NONE = new Retry(0, 0, false, false, false, false, false, new int[0]);

    public boolean retriesStatus(int status) {
      if (on5xx && status >= 500) {
        return true;
      }
      if (onGatewayError && (status == 502 || status == 503 || status == 504)) {
        return true;
      }
      if (onRetriable4xx && status == 409) {
        return true;
      }
      for (int s : retriableStatuses) {
        if (s == status) {
          return true;
        }
      }
      return false;
    }
  }

  /** Fault injection: a delay and/or an abort, each for a percentage of requests. */
  public record Fault(long delayNanos, double delayPercent, int abortStatus, double abortPercent) {
    public boolean delays() {
      return delayNanos > 0 && hit(delayPercent);
    }

    public boolean aborts() {
      return abortStatus > 0 && hit(abortPercent);
    }

    private static boolean hit(double percent) {
      return percent >= 100 || ThreadLocalRandom.current().nextDouble() * 100 < percent;
    }
  }

  /** Request mirroring: a copy of a percentage of requests to another cluster, answer ignored. */
  public record Mirror(Cluster cluster, double percent) {
  }

  /** URI/authority rewrite before forwarding. */
  public record Rewrite(String uriPrefix, com.google.re2j.Pattern regex, String regexReplacement, String authority) {
  }

  /** A redirect answered by the gateway. */
  public record Redirect(String uri, String authority, int port, String scheme, int status) {
  }

  /** A response the gateway answers itself. */
  public record DirectResponse(int status, byte[] body) {
  }

  public final String name;
  public final Match[] matches;
  public final Destination[] destinations;
  private final int totalWeight;
  /** Route timeout in nanos; -1 = the gateway's default. */
  public final long timeoutNanos;
  public final Retry retry;
  public final Fault fault;
  public final Mirror mirror;
  public final Rewrite rewrite;
  public final Redirect redirect;
  public final DirectResponse direct;
  public final HeaderOps requestHeaders;
  public final HeaderOps responseHeaders;
  /** The route's CORS policy, or {@code null}. */
  public final CorsPolicy cors;

  public HttpRoute(String name, Match[] matches, Destination[] destinations, long timeoutNanos, Retry retry, Fault fault,
      Mirror mirror, Rewrite rewrite, Redirect redirect, DirectResponse direct, HeaderOps requestHeaders,
      HeaderOps responseHeaders) {
    this(name, matches, destinations, timeoutNanos, retry, fault, mirror, rewrite, redirect, direct, requestHeaders,
        responseHeaders, null);
  }

  public HttpRoute(String name, Match[] matches, Destination[] destinations, long timeoutNanos, Retry retry, Fault fault,
      Mirror mirror, Rewrite rewrite, Redirect redirect, DirectResponse direct, HeaderOps requestHeaders,
      HeaderOps responseHeaders, CorsPolicy cors) {
    this.name = name;
    this.cors = cors;
    this.matches = matches;
    this.destinations = destinations;
    int total = 0;
    for (Destination d : destinations) {
      total += d.weight();
    }
    this.totalWeight = total;
    this.timeoutNanos = timeoutNanos;
    this.retry = retry;
    this.fault = fault;
    this.mirror = mirror;
    this.rewrite = rewrite;
    this.redirect = redirect;
    this.direct = direct;
    this.requestHeaders = requestHeaders;
    this.responseHeaders = responseHeaders;
  }

  /** Whether any match applies ({@code true} without matches). */
  public boolean matches(Match.Request request) {
    if (matches.length == 0) {
      return true;
    }
    for (Match m : matches) {
      if (m.test(request)) {
        return true;
      }
    }
    return false;
  }

  /** The URI prefix of the first match that applies, when it is a prefix match (for rewrites), or {@code null}. */
  public String prefixFor(Match.Request request) {
    for (Match m : matches) {
      if (m.test(request)) {
        return m.uriPrefix();
      }
    }
    return null;
  }

  /** The destination for one request (by weight). */
  /**
   * Sticky canary: the destination for {@code key} (the host's consistent-hash key), the same
   * for the same key while the weights hold — a user stays on one version. Raising the weight
   * of the last destination only moves keys onto it. {@code null} key: {@link #pick()}.
   */
  public Destination pick(String key) {
    if (key == null || destinations.length == 1) {
      return pick();
    }
    long r = Math.floorMod(Cluster.hash(key), (long) Math.max(1, totalWeight));
    for (Destination d : destinations) {
      r -= d.weight();
      if (r < 0) {
        return d;
      }
    }
    return destinations[destinations.length - 1];
  }

  public Destination pick() {
    if (destinations.length == 1) {
      return destinations[0];
    }
    int r = ThreadLocalRandom.current().nextInt(Math.max(1, totalWeight));
    for (Destination d : destinations) {
      r -= d.weight();
      if (r < 0) {
        return d;
      }
    }
    return destinations[destinations.length - 1];
  }
}
