package io.meridian.ui.impl;

/**
 * The rate bound of one event type on one stream: at most {@code maxPerSecond} events pass in
 * each one-second window; the rest are coalesced. Once a window that coalesced something is
 * over, {@link #takeResync} reports how many were dropped so the stream sends one
 * {@code resync} (the client refetches) instead of them. Pure logic over a caller's clock, not
 * thread-safe (one stream's context uses it).
 */
final class EventGate {

  static final long WINDOW_MILLIS = 1000;

  private final int maxPerSecond;
  private long windowStart = Long.MIN_VALUE;
  private int passed;
  private long dropped;

  EventGate(int maxPerSecond) {
    if (maxPerSecond < 1) {
      throw new IllegalArgumentException("maxPerSecond must be at least 1");
    }
    this.maxPerSecond = maxPerSecond;
  }

  /** Whether an event at {@code nowMillis} may be sent; {@code false} = coalesced (a resync is owed). */
  boolean offer(long nowMillis) {
    if (windowStart == Long.MIN_VALUE || nowMillis - windowStart >= WINDOW_MILLIS) {
      windowStart = nowMillis;
      passed = 0;
    }
    if (passed < maxPerSecond && dropped == 0) {
      passed++;
      return true;
    }
    dropped++;
    return false;
  }

  /** Marks an event as lost for another reason (e.g. the client reads too slowly): a resync is owed. */
  void lost() {
    dropped++;
  }

  /** When the owed resync is due (end of the current window), or {@code -1} when none is owed. */
  long resyncDueAt() {
    return dropped == 0 ? -1 : windowStart + WINDOW_MILLIS;
  }

  /**
   * The number of events coalesced since the last resync when one is due at {@code nowMillis}
   * (and starts over), else 0.
   */
  long takeResync(long nowMillis) {
    if (dropped == 0 || nowMillis < windowStart + WINDOW_MILLIS) {
      return 0;
    }
    long n = dropped;
    dropped = 0;
    windowStart = nowMillis;
    passed = 0;
    return n;
  }
}
