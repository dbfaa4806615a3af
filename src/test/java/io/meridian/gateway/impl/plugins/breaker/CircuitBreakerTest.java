package io.meridian.gateway.impl.plugins.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.gateway.impl.plugins.breaker.CircuitBreaker.Outcome;
import io.meridian.gateway.impl.plugins.breaker.CircuitBreaker.Period;
import io.meridian.gateway.impl.plugins.breaker.CircuitBreaker.State;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The breaker's state machine on a hand-driven clock. */
class CircuitBreakerTest {

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);

  private CircuitBreaker breaker(int consecutive, double ratio, int minimum, String window, int halfOpen) {
    return new CircuitBreaker(new BreakerSettings(consecutive, ratio, minimum, io.meridian.common.units.Durations.parse(window),
        Duration.ofSeconds(5), halfOpen), clock::get);
  }

  private void advance(Duration d) {
    clock.addAndGet(d.toNanos());
  }

  private static void run(CircuitBreaker b, Outcome outcome) {
    Period p = b.allow();
    assertThat(p).as("admitted").isNotNull();
    b.record(p, outcome);
  }

  /** Verifies that N consecutive failures open it, and that a success in between resets the count. */
  @Test
  void consecutiveFailuresOpenIt() {
    CircuitBreaker b = breaker(3, -1, 20, "10s", 1);
    run(b, Outcome.FAILURE);
    run(b, Outcome.FAILURE);
    run(b, Outcome.SUCCESS);
    run(b, Outcome.FAILURE);
    run(b, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(b.snapshot().consecutiveFailures()).isEqualTo(2);
    run(b, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(b.allow()).isNull();
    assertThat(b.retryAfterNanos()).isEqualTo(Duration.ofSeconds(5).toNanos());
    advance(Duration.ofSeconds(2));
    assertThat(b.allow()).isNull();
    assertThat(b.retryAfterNanos()).isEqualTo(Duration.ofSeconds(3).toNanos());
  }

  /** Verifies that the ratio opens it only once the window holds the minimum of requests. */
  @Test
  void ratioCountsFromTheMinimumOfRequests() {
    CircuitBreaker b = breaker(0, 0.5, 10, "10s", 1);
    for (int i = 0; i < 9; i++) {
      run(b, Outcome.FAILURE); // 9 of 9 failed, but fewer than 10 requests
    }
    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(b.snapshot().requests()).isEqualTo(9);
    assertThat(b.snapshot().failures()).isEqualTo(9);
    run(b, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.OPEN);

    CircuitBreaker c = breaker(0, 0.5, 10, "10s", 1);
    for (int i = 0; i < 12; i++) {
      run(c, Outcome.SUCCESS);
    }
    for (int i = 0; i < 11; i++) {
      run(c, Outcome.FAILURE); // 11 of 23 < 50 %
    }
    assertThat(c.state()).isEqualTo(State.CLOSED);
    run(c, Outcome.FAILURE); // 12 of 24 = 50 %
    assertThat(c.state()).isEqualTo(State.OPEN);
  }

  /** Verifies that requests older than the window no longer count. */
  @Test
  void theWindowRollsOver() {
    CircuitBreaker b = breaker(0, 0.5, 4, "10s", 1);
    run(b, Outcome.FAILURE);
    run(b, Outcome.FAILURE);
    run(b, Outcome.FAILURE);
    assertThat(b.snapshot().requests()).isEqualTo(3);
    advance(Duration.ofSeconds(5));
    assertThat(b.snapshot().requests()).isEqualTo(3);
    advance(Duration.ofSeconds(6)); // the first three are now 11 s old
    assertThat(b.snapshot().requests()).isZero();
    run(b, Outcome.FAILURE);
    assertThat(b.state()).as("1 request in the window, minimum 4").isEqualTo(State.CLOSED);
    run(b, Outcome.FAILURE);
    run(b, Outcome.SUCCESS);
    run(b, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.OPEN);
    // buckets are reused when time comes round to them again: a full lap later they start empty
    CircuitBreaker c = breaker(0, 0.5, 3, "10s", 1);
    run(c, Outcome.SUCCESS);
    run(c, Outcome.SUCCESS);
    advance(Duration.ofSeconds(10));
    run(c, Outcome.FAILURE);
    assertThat(c.snapshot().requests()).isEqualTo(1);
    assertThat(c.state()).isEqualTo(State.CLOSED);
  }

  /** Verifies that after openDuration exactly halfOpenRequests trials pass, and that all succeeding closes it with a fresh window. */
  @Test
  void halfOpenTrialsThatSucceedCloseIt() {
    CircuitBreaker b = breaker(2, -1, 20, "10s", 2);
    run(b, Outcome.FAILURE);
    run(b, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.OPEN);
    advance(Duration.ofSeconds(5));
    Period t1 = b.allow();
    Period t2 = b.allow();
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    assertThat(t1).isNotNull();
    assertThat(t2).isNotNull();
    assertThat(b.allow()).as("a third trial").isNull();
    b.record(t1, Outcome.SUCCESS);
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    b.record(t2, Outcome.SUCCESS);
    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(b.snapshot().requests()).as("a fresh window").isZero();
    run(b, Outcome.FAILURE);
    assertThat(b.state()).as("one failure after closing").isEqualTo(State.CLOSED);
  }

  /** Verifies that one failed trial opens it again for a full openDuration, and that an ignored trial frees its place. */
  @Test
  void aFailedTrialOpensItAgain() {
    CircuitBreaker b = breaker(1, -1, 20, "10s", 2);
    run(b, Outcome.FAILURE);
    advance(Duration.ofSeconds(6));
    Period t1 = b.allow();
    Period t2 = b.allow();
    assertThat(b.allow()).isNull();
    b.record(t1, Outcome.IGNORED);
    Period t3 = b.allow();
    assertThat(t3).as("the ignored trial's place").isNotNull();
    b.record(t3, Outcome.SUCCESS);
    b.record(t2, Outcome.FAILURE);
    assertThat(b.state()).isEqualTo(State.OPEN);
    assertThat(b.retryAfterNanos()).isEqualTo(Duration.ofSeconds(5).toNanos());
    advance(Duration.ofSeconds(4));
    assertThat(b.allow()).isNull();
  }

  /** Verifies that a late outcome of a request admitted in an earlier period does not move the breaker. */
  @Test
  void lateOutcomesOfAnEarlierPeriodDoNotCount() {
    CircuitBreaker b = breaker(1, -1, 20, "10s", 1);
    Period early = b.allow();
    Period other = b.allow();
    b.record(other, Outcome.FAILURE);
    advance(Duration.ofSeconds(5));
    Period trial = b.allow();
    b.record(early, Outcome.FAILURE); // admitted while closed, ends while half-open
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    b.record(trial, Outcome.SUCCESS);
    assertThat(b.state()).isEqualTo(State.CLOSED);
  }

  /** Verifies that many threads recording at once lose no count. */
  @Test
  void concurrentRecordsAreAllCounted() throws Exception {
    CircuitBreaker b = breaker(0, 1.0, 1_000_000, "10s", 1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 10_000; i++) {
          run(b, i % 2 == 0 ? Outcome.FAILURE : Outcome.SUCCESS);
        }
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join(30_000);
    }
    assertThat(b.snapshot().requests()).isEqualTo(80_000);
    assertThat(b.snapshot().failures()).isEqualTo(40_000);
  }

  /** Verifies the spec's defaults and that a policy without a trigger is refused. */
  @Test
  void settingsFromASpec() {
    BreakerSettings s = BreakerSettings.fromSpec(new JsonObject().put("consecutiveFailures", 5));
    assertThat(s).isEqualTo(new BreakerSettings(5, -1, 20, Duration.ofSeconds(10), Duration.ofSeconds(5), 3));
    BreakerSettings r = BreakerSettings.fromSpec(new JsonObject().put("failureRatio", 0.25).put("minimumRequests", 4)
        .put("window", "30s").put("openDuration", "1m").put("halfOpenRequests", 1));
    assertThat(r).isEqualTo(new BreakerSettings(0, 0.25, 4, Duration.ofSeconds(30), Duration.ofMinutes(1), 1));
    assertThatThrownBy(() -> BreakerSettings.fromSpec(new JsonObject())).isInstanceOf(IllegalArgumentException.class);
  }
}
