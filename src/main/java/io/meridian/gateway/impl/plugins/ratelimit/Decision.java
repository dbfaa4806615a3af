package io.meridian.gateway.impl.plugins.ratelimit;

/**
 * The outcome of taking a token from a bucket.
 *
 * @param limiter        the policy's limiter
 * @param allowed        whether a token was available
 * @param remaining      tokens left after this request
 * @param fullInNanos    time until the bucket is full again
 * @param retryInNanos   time until the next token (0 when allowed)
 */
record Decision(Limiter limiter, boolean allowed, long remaining, long fullInNanos, long retryInNanos) {

  /** Whole seconds, rounded up (what {@code Retry-After} and {@code X-RateLimit-Reset} carry). */
  static long seconds(long nanos) {
    return nanos <= 0 ? 0 : (nanos + 999_999_999L) / 1_000_000_000L;
  }

  long resetSeconds() {
    return seconds(fullInNanos);
  }

  long retryAfterSeconds() {
    return Math.max(1, seconds(retryInNanos));
  }
}
