package io.meridian.gateway.impl.route;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream address ({@code host:port} of an instance on the gateway's plane) and its live
 * state, shared by every event loop and kept across route-table rebuilds (so in-flight counts
 * and ejections survive rule and registry changes).
 */
public final class Endpoint {

  public final String key;
  public final String host;
  public final int port;
  public final InetSocketAddress address;
  /** {@code host:port} as a string (Host headers, logs, {@code Exchange.upstream()}). */
  public final String authority;
  public final String instance;
  public final String version;
  public final Map<String, String> labels;
  /** Load-balancing weight (instance label {@code weight}, default 1). */
  public final int weight;

  /** Requests in flight to this endpoint (least-request balancing). */
  public final AtomicInteger active = new AtomicInteger();
  /** Open connections from this gateway (all event loops). */
  public final AtomicInteger connections = new AtomicInteger();
  /** Requests waiting for a connection slot of a cluster this endpoint belongs to (its idle connections are better closed). */
  public final AtomicInteger waiting = new AtomicInteger();
  final AtomicInteger consecutiveErrors = new AtomicInteger();
  final AtomicInteger consecutiveGatewayErrors = new AtomicInteger();
  private volatile long ejectedUntilNanos;
  private int ejections;

  public Endpoint(String host, int port, String instance, String version, Map<String, String> labels) {
    this.host = host;
    this.port = port;
    this.key = host + ":" + port;
    this.authority = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    this.address = new InetSocketAddress(host, port);
    this.instance = instance;
    this.version = version;
    this.labels = Map.copyOf(labels);
    int w = 1;
    try {
      w = Math.max(1, Math.min(1000, Integer.parseInt(labels.getOrDefault("weight", "1"))));
    } catch (NumberFormatException e) {
      // not a number: weight 1
    }
    this.weight = w;
  }

  /** Whether outlier detection has this endpoint ejected at {@code nanos}. */
  public boolean ejected(long nanos) {
    long until = ejectedUntilNanos;
    return until != 0 && nanos - until < 0;
  }

  /** Ejects for {@code base × ejections so far} (Envoy's rule); returns the ejection's length. */
  synchronized long eject(long nanos, long baseNanos) {
    ejections = Math.min(ejections + 1, 10);
    long length = baseNanos * ejections;
    ejectedUntilNanos = nanos + length;
    return length;
  }

  /** A success: the error streaks end; an expired ejection no longer counts double next time. */
  void succeeded(long nanos) {
    if (consecutiveErrors.get() != 0) {
      consecutiveErrors.set(0);
    }
    if (consecutiveGatewayErrors.get() != 0) {
      consecutiveGatewayErrors.set(0);
    }
    long until = ejectedUntilNanos;
    if (until != 0 && nanos - until > 0) {
      synchronized (this) {
        ejectedUntilNanos = 0;
        if (ejections > 0) {
          ejections--;
        }
      }
    }
  }

  @Override
  public String toString() {
    return instance + "@" + authority;
  }
}
