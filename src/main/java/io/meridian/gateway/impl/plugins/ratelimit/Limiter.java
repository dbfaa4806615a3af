package io.meridian.gateway.impl.plugins.ratelimit;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The token buckets of one {@code RateLimitPolicy} for one service: one bucket per key value,
 * each a single {@code long} updated by compare-and-set (GCRA: the bucket stores the time at
 * which it will be full again, so refill needs no timer and no lock).
 *
 * <p>With interval {@code T = 1/rate} and capacity {@code burst·T}: a request at {@code now}
 * moves the full-time to {@code max(full, now) + T}; it is allowed when that is at most
 * {@code burst·T} ahead of {@code now}. Remaining tokens, the time until full and the time until
 * the next token follow from the same numbers.
 *
 * <p>Memory is bounded: at most {@code maxBuckets} buckets (plus a small overshoot while another
 * thread evicts). On reaching the cap the buckets that are full are dropped (they hold no
 * information); if that is not enough, those closest to full are dropped until 90% of the cap
 * remain. A key that cannot be stored while another thread evicts shares one overflow bucket.
 */
final class Limiter {

  /** A bucket: the {@link System#nanoTime()} at which it is full again. */
  static final class Bucket extends AtomicLong {
    Bucket(long fullAt) {
      super(fullAt);
    }
  }

  /** Longest span a bucket may look ahead (keeps tiny rates with huge bursts from overflowing). */
  static final long MAX_SPAN = Long.MAX_VALUE / 4;

  final String policy;
  final String pathPrefix;
  final KeySource key;
  final double rate;
  final int burst;
  final boolean cluster;
  private final int maxBuckets;
  private final LongSupplier clock;
  private final IntSupplier divisor;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final AtomicBoolean evicting = new AtomicBoolean();
  private final Bucket overflow;

  Limiter(String policy, String pathPrefix, KeySource key, double rate, int burst, boolean cluster, int maxBuckets,
      LongSupplier clock, IntSupplier divisor) {
    this.policy = policy;
    this.pathPrefix = pathPrefix;
    this.key = key;
    this.rate = rate;
    this.burst = burst;
    this.cluster = cluster;
    this.maxBuckets = maxBuckets;
    this.clock = clock;
    this.divisor = divisor;
    this.overflow = new Bucket(clock.getAsLong());
  }

  /** Whether the policy applies to {@code path} (as received), ignoring a leading {@code /t/{tenant}}. */
  boolean applies(String path, String tenant) {
    if (pathPrefix == null || path.startsWith(pathPrefix)) {
      return true;
    }
    if (tenant == null) {
      return false;
    }
    int t = 3 + tenant.length();
    return path.startsWith("/t/") && path.startsWith(tenant, 3) && path.length() > t && path.charAt(t) == '/'
        && path.startsWith(pathPrefix, t);
  }

  /** Key values longer than this are stored as their SHA-256 (bounds the memory of a bucket's key). */
  static final int MAX_KEY_CHARS = 256;

  /** Takes a token for {@code keyValue}: the outcome as {@link Decision} numbers. */
  Decision take(String keyValue) {
    long now = clock.getAsLong();
    return take(bucket(keyValue.length() > MAX_KEY_CHARS ? digest(keyValue) : keyValue, now), now);
  }

  static String digest(String keyValue) {
    try {
      byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
          .digest(keyValue.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "sha256:" + java.util.HexFormat.of().formatHex(hash);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Nanoseconds per token (the rate divided among cluster members for {@code scope: cluster}). */
  long interval() {
    double t = 1e9 / rate * (cluster ? Math.max(1, divisor.getAsInt()) : 1);
    return Math.max(1, Math.min(MAX_SPAN, Math.round(t)));
  }

  Decision take(Bucket b, long now) {
    long t = interval();
    long capacity = burst > MAX_SPAN / t ? MAX_SPAN : t * burst;
    for (;;) {
      long fullAt = b.get();
      long base = Math.max(fullAt, now);
      long debt = base - now + t;
      if (debt > capacity) {
        return new Decision(this, false, 0, base - now, debt - capacity);
      }
      if (b.compareAndSet(fullAt, now + debt)) {
        return new Decision(this, true, (capacity - debt) / t, debt, 0);
      }
    }
  }

  Bucket bucket(String keyValue, long now) {
    Bucket b = buckets.get(keyValue);
    if (b != null) {
      return b;
    }
    if (buckets.size() >= maxBuckets) {
      evict(now);
      if (buckets.size() >= maxBuckets + Math.max(16, maxBuckets / 8)) {
        return overflow;
      }
    }
    Bucket fresh = new Bucket(now);
    b = buckets.putIfAbsent(keyValue, fresh);
    return b == null ? fresh : b;
  }

  /** Number of buckets held (for tests and metrics). */
  int size() {
    return buckets.size();
  }

  private void evict(long now) {
    if (!evicting.compareAndSet(false, true)) {
      return;
    }
    try {
      buckets.values().removeIf(b -> b.get() <= now);
      int keep = maxBuckets - Math.max(1, maxBuckets / 10);
      int excess = buckets.size() - keep;
      if (excess <= 0) {
        return;
      }
      long[] fullAt = new long[buckets.size() + 64];
      int n = 0;
      for (Bucket b : buckets.values()) {
        if (n == fullAt.length) {
          break;
        }
        fullAt[n++] = b.get();
      }
      if (n == 0) {
        return;
      }
      java.util.Arrays.sort(fullAt, 0, n);
      long threshold = fullAt[Math.min(n, excess) - 1];
      buckets.values().removeIf(b -> b.get() <= threshold);
    } finally {
      evicting.set(false);
    }
  }
}
