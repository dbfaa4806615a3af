package io.meridian.gateway.impl.route;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A set of healthy endpoints and how to choose among them: a service, one of its
 * DestinationRule subsets, or a pinned version. Immutable but for shared counters; safe on
 * every event loop.
 */
public final class Cluster {

  /** Virtual nodes per unit of weight on the consistent-hash ring. */
  static final int RING_POINTS = 64;

  public final String name;
  public final String service;
  /** The subset or pinned version, or {@code null} for the whole service. */
  public final String subset;
  public final Endpoint[] endpoints;
  public final LbPolicy lb;
  public final PoolLimits limits;
  public final OutlierPolicy outlier;
  /** Requests in flight to this cluster (for {@link PoolLimits#maxRequests()}). */
  public final AtomicInteger active = new AtomicInteger();
  /** Requests waiting for a connection (for {@link PoolLimits#maxPendingRequests()}). */
  public final AtomicInteger pending = new AtomicInteger();
  /** Whether {@code e} is one of this cluster's endpoints. */
  public boolean contains(Endpoint e) {
    for (Endpoint x : endpoints) {
      if (x == e) {
        return true;
      }
    }
    return false;
  }

  /** Open connections to this cluster's endpoints (all event loops). */
  public int connections() {
    int n = 0;
    for (Endpoint e : endpoints) {
      n += e.connections.get();
    }
    return n;
  }

  private final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));
  private final boolean weighted;
  private final int totalWeight;
  private final long[] ringHashes;
  private final Endpoint[] ringEndpoints;

  public Cluster(String name, String service, String subset, Endpoint[] endpoints, LbPolicy lb, PoolLimits limits,
      OutlierPolicy outlier) {
    this.name = name;
    this.service = service;
    this.subset = subset;
    this.endpoints = endpoints;
    this.lb = lb;
    this.limits = limits;
    this.outlier = outlier;
    int total = 0;
    boolean w = false;
    for (Endpoint e : endpoints) {
      total += e.weight;
      w |= e.weight != 1;
    }
    this.totalWeight = total;
    this.weighted = w;
    if (lb.kind() == LbPolicy.Kind.CONSISTENT_HASH && endpoints.length > 0) {
      int points = 0;
      for (Endpoint e : endpoints) {
        points += RING_POINTS * e.weight;
      }
      long[][] ring = new long[points][2];
      int i = 0;
      for (int n = 0; n < endpoints.length; n++) {
        for (int v = 0; v < RING_POINTS * endpoints[n].weight; v++) {
          ring[i][0] = hash(endpoints[n].key + "#" + v);
          ring[i][1] = n;
          i++;
        }
      }
      Arrays.sort(ring, (a, b) -> Long.compare(a[0], b[0]));
      ringHashes = new long[points];
      ringEndpoints = new Endpoint[points];
      for (int k = 0; k < points; k++) {
        ringHashes[k] = ring[k][0];
        ringEndpoints[k] = endpoints[(int) ring[k][1]];
      }
    } else {
      ringHashes = null;
      ringEndpoints = null;
    }
  }

  public boolean isEmpty() {
    return endpoints.length == 0;
  }

  /**
   * Picks an endpoint that is not ejected and not {@code avoid} (the one a retry just failed
   * on) when there is one; when every endpoint is ejected, ejections are ignored (panic: better
   * some traffic than none). {@code hashKey} is used by consistent hashing ({@code null}: random).
   */
  public Endpoint pick(String hashKey, Endpoint avoid) {
    Endpoint[] all = endpoints;
    int n = all.length;
    if (n == 0) {
      return null;
    }
    if (n == 1) {
      return all[0];
    }
    long now = System.nanoTime();
    Endpoint chosen = switch (lb.kind()) {
      case ROUND_ROBIN -> weighted ? weightedRandom(now, avoid) : roundRobin(now, avoid);
      case RANDOM -> weighted ? weightedRandom(now, avoid) : random(now, avoid);
      case LEAST_REQUEST -> leastRequest(now, avoid);
      case CONSISTENT_HASH -> hashKey == null ? random(now, avoid) : ring(hash(hashKey), now, avoid);
    };
    if (chosen != null) {
      return chosen;
    }
    // nothing usable but `avoid` or everything ejected: panic mode
    for (int i = 0; i < n; i++) {
      Endpoint e = all[(next.getAndIncrement() & Integer.MAX_VALUE) % n];
      if (e != avoid && !e.ejected(now)) {
        return e;
      }
    }
    return all[(next.getAndIncrement() & Integer.MAX_VALUE) % n];
  }

  private boolean usable(Endpoint e, long now, Endpoint avoid) {
    return e != avoid && !e.ejected(now);
  }

  private Endpoint roundRobin(long now, Endpoint avoid) {
    int n = endpoints.length;
    // a retry (avoid != null) does not take a turn: else, with two endpoints and one dead, every
    // request would try the dead one first
    int start = (avoid == null ? next.getAndIncrement() : next.get()) & Integer.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      Endpoint e = endpoints[(start + i) % n];
      if (usable(e, now, avoid)) {
        return e;
      }
    }
    return null;
  }

  private Endpoint random(long now, Endpoint avoid) {
    int n = endpoints.length;
    int start = ThreadLocalRandom.current().nextInt(n);
    for (int i = 0; i < n; i++) {
      Endpoint e = endpoints[(start + i) % n];
      if (usable(e, now, avoid)) {
        return e;
      }
    }
    return null;
  }

  private Endpoint weightedRandom(long now, Endpoint avoid) {
    for (int attempt = 0; attempt < 3; attempt++) {
      int r = ThreadLocalRandom.current().nextInt(totalWeight);
      for (Endpoint e : endpoints) {
        r -= e.weight;
        if (r < 0) {
          if (usable(e, now, avoid)) {
            return e;
          }
          break;
        }
      }
    }
    return random(now, avoid);
  }

  /** Power of two choices: two distinct random endpoints, the one with fewer requests in flight (per weight) wins. */
  private Endpoint leastRequest(long now, Endpoint avoid) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int n = endpoints.length; // ≥ 2 here
    int i = random.nextInt(n);
    Endpoint a = endpoints[i];
    Endpoint b = endpoints[(i + 1 + random.nextInt(n - 1)) % n];
    boolean useA = usable(a, now, avoid);
    boolean useB = usable(b, now, avoid);
    if (useA && useB) {
      long la = (long) a.active.get() * b.weight;
      long lb = (long) b.active.get() * a.weight;
      return la <= lb ? a : b;
    }
    if (useA || useB) {
      return useA ? a : b;
    }
    // both drawn are out: the least loaded of the usable rest
    Endpoint best = null;
    for (int k = 0; k < n; k++) {
      Endpoint e = endpoints[(i + k) % n];
      if (usable(e, now, avoid) && (best == null || (long) e.active.get() * best.weight < (long) best.active.get() * e.weight)) {
        best = e;
      }
    }
    return best;
  }

  private Endpoint ring(long hash, long now, Endpoint avoid) {
    int i = Arrays.binarySearch(ringHashes, hash);
    if (i < 0) {
      i = -i - 1;
    }
    int points = ringHashes.length;
    for (int k = 0; k < points; k++) {
      Endpoint e = ringEndpoints[(i + k) % points];
      if (usable(e, now, avoid)) {
        return e;
      }
    }
    return null;
  }

  /** 64-bit FNV-1a mixed with a murmur finalizer: stable across JVMs (the ring must not move between restarts). */
  public static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < key.length(); i++) {
      h ^= key.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  // ---- outlier detection ---------------------------------------------------------------------

  /** An upstream answered (any status below 500, or a 5xx when {@code status >= 500}). */
  public void record(Endpoint e, int status) {
    long now = System.nanoTime();
    if (status < 500) {
      e.succeeded(now);
      return;
    }
    if (outlier != null && outlier.consecutive5xx() > 0 && e.consecutiveErrors.incrementAndGet() >= outlier.consecutive5xx()) {
      eject(e, now);
    }
  }

  /** A TCP connection to the endpoint opened (an L4 listener's only sign of health): its error streaks end. */
  public void recordConnected(Endpoint e) {
    e.succeeded(System.nanoTime());
  }

  /** The gateway could not get an answer from the endpoint (connect failure, reset, timeout). */
  public void recordGatewayError(Endpoint e) {
    long now = System.nanoTime();
    int consecutive5xx = e.consecutiveErrors.incrementAndGet();
    int gateway = e.consecutiveGatewayErrors.incrementAndGet();
    if (outlier == null) {
      return;
    }
    if ((outlier.consecutiveGatewayErrors() > 0 && gateway >= outlier.consecutiveGatewayErrors())
        || (outlier.consecutive5xx() > 0 && consecutive5xx >= outlier.consecutive5xx())) {
      eject(e, now);
    }
  }

  private void eject(Endpoint e, long now) {
    if (e.ejected(now)) {
      return;
    }
    int ejected = 0;
    for (Endpoint other : endpoints) {
      if (other.ejected(now)) {
        ejected++;
      }
    }
    int max = Math.max(1, endpoints.length * outlier.maxEjectionPercent() / 100);
    if (ejected >= max) {
      return;
    }
    e.consecutiveErrors.set(0);
    e.consecutiveGatewayErrors.set(0);
    e.eject(now, outlier.baseEjectionNanos());
  }

  @Override
  public String toString() {
    return name + Arrays.toString(endpoints);
  }
}
