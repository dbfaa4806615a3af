package io.meridian.gateway.impl.plugins.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token-bucket math (with a hand-driven clock) and the bound on buckets. */
class LimiterTest {

  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(5 * SECOND);
  private final AtomicInteger members = new AtomicInteger(1);

  private Limiter limiter(double rate, int burst, boolean cluster, int maxBuckets) {
    return new Limiter("default/rl", null, KeySource.parse("client-ip"), rate, burst, cluster, maxBuckets, now::get, members::get);
  }

  /** Verifies that a full bucket allows exactly burst requests at once, then refuses with the wait for one token. */
  @Test
  void aFullBucketAllowsTheBurstThenRefuses() {
    Limiter l = limiter(10, 10, false, 100);
    for (int i = 0; i < 10; i++) {
      Decision d = l.take("a");
      assertThat(d.allowed()).as("request %d", i).isTrue();
      assertThat(d.remaining()).isEqualTo(9 - i);
    }
    Decision refused = l.take("a");
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.remaining()).isZero();
    assertThat(refused.retryInNanos()).isEqualTo(SECOND / 10);
    assertThat(refused.retryAfterSeconds()).isEqualTo(1);
    assertThat(refused.fullInNanos()).isEqualTo(SECOND);
    assertThat(refused.resetSeconds()).isEqualTo(1);
    // other keys have their own buckets
    assertThat(l.take("b").allowed()).isTrue();
  }

  /** Verifies that tokens come back at the rate, never beyond the burst. */
  @Test
  void tokensRefillAtTheRateUpToTheBurst() {
    Limiter l = limiter(2, 4, false, 100);
    for (int i = 0; i < 4; i++) {
      assertThat(l.take("a").allowed()).isTrue();
    }
    assertThat(l.take("a").allowed()).isFalse();
    now.addAndGet(SECOND / 2); // one token
    Decision one = l.take("a");
    assertThat(one.allowed()).isTrue();
    assertThat(one.remaining()).isZero();
    assertThat(l.take("a").allowed()).isFalse();
    now.addAndGet(60 * SECOND); // long idle: back to the burst, not more
    for (int i = 0; i < 4; i++) {
      assertThat(l.take("a").remaining()).isEqualTo(3 - i);
    }
    assertThat(l.take("a").allowed()).isFalse();
  }

  /** Verifies Retry-After and Reset for slow rates: whole seconds rounded up. */
  @Test
  void retryAfterAndResetRoundUpToSeconds() {
    Limiter l = limiter(0.4, 2, false, 100); // a token every 2.5 s
    Decision first = l.take("a");
    assertThat(first.remaining()).isEqualTo(1);
    assertThat(first.resetSeconds()).isEqualTo(3); // 2.5 s until full
    assertThat(l.take("a").resetSeconds()).isEqualTo(5);
    Decision refused = l.take("a");
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryInNanos()).isEqualTo(2_500_000_000L);
    assertThat(refused.retryAfterSeconds()).isEqualTo(3);
    assertThat(refused.resetSeconds()).isEqualTo(5);
    now.addAndGet(2_000_000_000L);
    Decision later = l.take("a");
    assertThat(later.allowed()).isFalse();
    assertThat(later.retryAfterSeconds()).isEqualTo(1); // 0.5 s left, rounded up
    assertThat(later.resetSeconds()).isEqualTo(3);
  }

  /** Verifies that a refused request takes nothing: waiting exactly one interval yields one token. */
  @Test
  void refusalsDoNotConsume() {
    Limiter l = limiter(1, 1, false, 100);
    assertThat(l.take("a").allowed()).isTrue();
    for (int i = 0; i < 5; i++) {
      assertThat(l.take("a").allowed()).isFalse();
    }
    now.addAndGet(SECOND);
    assertThat(l.take("a").allowed()).isTrue();
  }

  /** Verifies that scope: cluster divides the rate by the cluster's members, and local scope does not. */
  @Test
  void clusterScopeDividesTheRateByMembers() {
    members.set(4);
    Limiter cluster = limiter(8, 1, true, 100);
    Limiter local = limiter(8, 1, false, 100);
    assertThat(cluster.interval()).isEqualTo(SECOND / 2);
    assertThat(local.interval()).isEqualTo(SECOND / 8);
    members.set(1);
    assertThat(cluster.interval()).isEqualTo(SECOND / 8);
  }

  /** Verifies that extreme values neither overflow nor allow more than the burst. */
  @Test
  void extremeRatesAndBurstsStayWithinBounds() {
    Limiter slow = limiter(0.001, Integer.MAX_VALUE, false, 100);
    assertThat(slow.take("a").allowed()).isTrue();
    assertThat(slow.take("a").remaining()).isPositive();
    Limiter fast = limiter(1_000_000_000, 1, false, 100);
    assertThat(fast.take("a").allowed()).isTrue();
    assertThat(fast.take("a").allowed()).isFalse();
  }

  /** Verifies that a million distinct keys keep the buckets at the cap, and that busy buckets survive eviction. */
  @Test
  void aMillionKeysKeepTheBucketsBounded() {
    Limiter l = limiter(1, 5, false, 10_000);
    for (int i = 0; i < 3; i++) {
      l.take("busy");
    }
    int maxSeen = 0;
    for (int i = 0; i < 1_000_000; i++) {
      assertThat(l.take("k" + i).allowed()).isTrue();
      maxSeen = Math.max(maxSeen, l.size());
      if (i % 1000 == 0) {
        now.addAndGet(1_000); // time passes a little
      }
    }
    assertThat(maxSeen).isLessThanOrEqualTo(10_000);
    assertThat(l.size()).isGreaterThan(5_000);
    // "busy" (3 of 5 tokens used, furthest from full) outlived the one-request keys
    Decision busy = l.take("busy");
    assertThat(busy.remaining()).isEqualTo(1);
  }

  /** Verifies that long key values are stored by digest (bounded size) and still get their own buckets. */
  @Test
  void longKeysAreStoredByDigest() {
    Limiter l = limiter(1, 1, false, 100);
    String a = "a".repeat(10_000);
    String b = "a".repeat(9_999) + "b";
    assertThat(l.take(a).allowed()).isTrue();
    assertThat(l.take(a).allowed()).isFalse();
    assertThat(l.take(b).allowed()).isTrue();
    assertThat(Limiter.digest(a)).hasSize(71).isNotEqualTo(Limiter.digest(b));
  }

  /** Verifies that idle buckets (full again) are the first to go. */
  @Test
  void fullBucketsAreEvictedFirst() {
    Limiter l = limiter(1, 2, false, 100);
    for (int i = 0; i < 100; i++) {
      l.take("old" + i);
    }
    now.addAndGet(10 * SECOND); // all full again
    l.take("recent");
    l.take("recent");
    assertThat(l.size()).isEqualTo(1);
    assertThat(l.take("recent").allowed()).isFalse();
  }
}
