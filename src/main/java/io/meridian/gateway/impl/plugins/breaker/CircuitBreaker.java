package io.meridian.gateway.impl.plugins.breaker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * One upstream's breaker: a lock-free state machine driven by the requests themselves (no
 * timers). Closed, it lets everything through and opens after {@code consecutiveFailures}
 * failures in a row, or when the rolling window holds at least {@code minimumRequests} requests
 * of which a {@code failureRatio} share failed. Open, it refuses everything until
 * {@code openDuration} has passed; the first request after that turns it half-open, where
 * {@code halfOpenRequests} trial requests pass: all succeeding closes it (with a fresh window),
 * any failing opens it again.
 *
 * <p>Every request calls {@link #allow()} (a permit, or {@code null} when refused) and then
 * {@link #record} with that permit and its outcome. A permit belongs to one period of the
 * breaker's life: an outcome that arrives after the breaker left that period only counts in
 * the period's own window (a late failure of a request admitted while closed cannot re-open a
 * breaker that already went half-open). Safe from any thread; the hot path (closed, success) is
 * two CAS on the window's current buckets.
 */
public final class CircuitBreaker {

  /** The states, with their gauge values. */
  public enum State {
    CLOSED(0), OPEN(1), HALF_OPEN(2);

    public final int code;

    State(int code) {
      this.code = code;
    }
  }

  /** How a request ended, for the breaker. */
  public enum Outcome {
    SUCCESS, FAILURE,
    /** It never reached the upstream (refused by another plugin, client gone, local answer): not counted. */
    IGNORED
  }

  /** A period of the breaker's life in one state; handed to requests as their permit. */
  public static final class Period {
    final State state;
    /** When this period began ({@link #clock} nanos). */
    final long since;
    /** When an open breaker lets trial requests through. */
    final long retryAt;
    /** Closed: its rolling window; open: the window that tripped it (for reports); half-open: {@code null}. */
    final Window window;
    final AtomicInteger consecutive = new AtomicInteger();
    final AtomicInteger trials = new AtomicInteger();
    final AtomicInteger successes = new AtomicInteger();

    private Period(State state, long since, long retryAt, Window window) {
      this.state = state;
      this.since = since;
      this.retryAt = retryAt;
      this.window = window;
    }

    public State state() {
      return state;
    }
  }

  /** A point-in-time view for reports. Times are {@link #clock} nanos; {@code retryAt} is 0 unless open. */
  public record Snapshot(State state, long requests, long failures, int consecutiveFailures, long since, long retryAt) {
  }

  private final BreakerSettings settings;
  private final LongSupplier clock;
  private final long origin;
  private final AtomicReference<Period> current;

  /** A closed breaker; {@code clock} gives nanoseconds ({@link System#nanoTime()} outside tests). */
  public CircuitBreaker(BreakerSettings settings, LongSupplier clock) {
    this.settings = settings;
    this.clock = clock;
    this.origin = clock.getAsLong();
    this.current = new AtomicReference<>(closed(origin));
  }

  public BreakerSettings settings() {
    return settings;
  }

  public State state() {
    return current.get().state;
  }

  /** The current time on this breaker's clock. */
  public long now() {
    return clock.getAsLong();
  }

  /** A permit for one request, or {@code null} when the breaker refuses it (open, or half-open with every trial taken). */
  public Period allow() {
    for (;;) {
      Period p = current.get();
      switch (p.state) {
        case CLOSED:
          return p;
        case OPEN: {
          long now = clock.getAsLong();
          if (now - p.retryAt < 0) {
            return null;
          }
          current.compareAndSet(p, new Period(State.HALF_OPEN, now, 0, null));
          continue; // take a trial in whichever period is current now
        }
        default: {
          int t;
          while ((t = p.trials.get()) < settings.halfOpenRequests()) {
            if (p.trials.compareAndSet(t, t + 1)) {
              return p;
            }
          }
          return null;
        }
      }
    }
  }

  /** Records the outcome of a request admitted with {@code permit}. */
  public void record(Period permit, Outcome outcome) {
    if (outcome == Outcome.IGNORED) {
      if (permit.state == State.HALF_OPEN) {
        permit.trials.decrementAndGet(); // the trial did not happen: another request may take it
      }
      return;
    }
    boolean failure = outcome == Outcome.FAILURE;
    long now = clock.getAsLong();
    if (permit.state == State.CLOSED) {
      Window w = permit.window;
      w.record(now - origin, failure);
      if (!failure) {
        if (permit.consecutive.get() != 0) {
          permit.consecutive.set(0);
        }
        return;
      }
      int row = permit.consecutive.incrementAndGet();
      boolean trip = settings.consecutiveFailures() > 0 && row >= settings.consecutiveFailures();
      if (!trip && settings.failureRatio() >= 0) {
        long[] counts = w.counts(now - origin);
        trip = counts[0] >= settings.minimumRequests() && counts[1] >= settings.failureRatio() * counts[0];
      }
      if (trip) {
        current.compareAndSet(permit, open(now, w));
      }
    } else if (permit.state == State.HALF_OPEN) {
      if (failure) {
        current.compareAndSet(permit, open(now, null));
      } else if (permit.successes.incrementAndGet() >= settings.halfOpenRequests()) {
        current.compareAndSet(permit, closed(now));
      }
    }
  }

  /** Nanoseconds until an open breaker lets a trial through (0 when it would now; 0 when closed). */
  public long retryAfterNanos() {
    Period p = current.get();
    return switch (p.state) {
      case OPEN -> Math.max(0, p.retryAt - clock.getAsLong());
      case HALF_OPEN -> TimeUnit.SECONDS.toNanos(1); // every trial is out: their outcome decides soon
      case CLOSED -> 0;
    };
  }

  public Snapshot snapshot() {
    Period p = current.get();
    long now = clock.getAsLong();
    // half-open: the trial requests under way or done, and none failed (a failure re-opens it)
    long[] counts = p.window == null ? new long[] {p.trials.get(), 0} : p.window.counts(now - origin);
    int row = p.state == State.CLOSED ? p.consecutive.get() : 0;
    return new Snapshot(p.state, counts[0], counts[1], row, p.since, p.state == State.OPEN ? p.retryAt : 0);
  }

  private Period closed(long now) {
    return new Period(State.CLOSED, now, 0, new Window(settings.window().toNanos()));
  }

  private Period open(long now, Window tripped) {
    return new Period(State.OPEN, now, now + settings.openDuration().toNanos(), tripped);
  }

  /**
   * A rolling window as a ring of buckets ({@code window} / 10 to 60 buckets: one per second
   * for windows of 10 s to 60 s). Each bucket is one long per counter, holding the bucket's
   * sequence number (32 bits) and its count (32 bits), so a bucket resets itself atomically when
   * time comes round to it again; reading sums the buckets of the last {@code n} sequences.
   */
  static final class Window {
    private static final long MASK = 0xFFFFFFFFL;

    final long width;
    final int n;
    private final AtomicLongArray requests;
    private final AtomicLongArray failures;

    Window(long windowNanos) {
      long seconds = TimeUnit.NANOSECONDS.toSeconds(windowNanos);
      this.n = (int) Math.max(10, Math.min(60, seconds));
      this.width = Math.max(1, windowNanos / n);
      this.requests = new AtomicLongArray(n);
      this.failures = new AtomicLongArray(n);
    }

    /** {@code at}: nanoseconds since the breaker's origin (never negative). */
    void record(long at, boolean failure) {
      long seq = at / width;
      int slot = (int) (seq % n);
      bump(requests, slot, seq & MASK);
      if (failure) {
        bump(failures, slot, seq & MASK);
      }
    }

    private static void bump(AtomicLongArray buckets, int slot, long seq) {
      for (;;) {
        long v = buckets.get(slot);
        long count = v & MASK;
        long next = (v >>> 32) == seq ? (count == MASK ? v : v + 1) : seq << 32 | 1;
        if (buckets.compareAndSet(slot, v, next)) {
          return;
        }
      }
    }

    /** {requests, failures} in the window ending at {@code at}. */
    long[] counts(long at) {
      long seq = (at / width) & MASK;
      return new long[] {sum(requests, seq), sum(failures, seq)};
    }

    private long sum(AtomicLongArray buckets, long seq) {
      long total = 0;
      for (int i = 0; i < n; i++) {
        long v = buckets.get(i);
        long age = (seq - (v >>> 32)) & MASK;
        if (age < n) {
          total += v & MASK;
        }
      }
      return total;
    }
  }
}
