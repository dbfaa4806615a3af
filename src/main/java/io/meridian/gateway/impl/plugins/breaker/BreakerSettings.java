package io.meridian.gateway.impl.plugins.breaker;

import io.meridian.common.units.Durations;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The thresholds of one {@code CircuitBreakerPolicy} ({@code spec} without its target). A
 * trigger that is not configured is off: {@code consecutiveFailures} 0 or {@code failureRatio}
 * negative.
 *
 * @param consecutiveFailures opens after this many failures in a row (0: off)
 * @param failureRatio        opens when failures / requests in the window reach it (negative: off)
 * @param minimumRequests     the ratio counts only from this many requests in the window
 * @param window              the rolling window of the ratio
 * @param openDuration        how long it stays open before letting trial requests through
 * @param halfOpenRequests    trial requests that must all succeed to close it again
 */
public record BreakerSettings(int consecutiveFailures, double failureRatio, int minimumRequests, Duration window,
    Duration openDuration, int halfOpenRequests) {

  public static final int DEFAULT_MINIMUM_REQUESTS = 20;
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  public static final Duration DEFAULT_OPEN_DURATION = Duration.ofSeconds(5);
  public static final int DEFAULT_HALF_OPEN_REQUESTS = 3;

  public BreakerSettings {
    if (consecutiveFailures < 0 || failureRatio > 1 || minimumRequests < 1 || halfOpenRequests < 1
        || window.toMillis() < 100 || openDuration.toMillis() < 1) {
      throw new IllegalArgumentException("unusable circuit breaker settings: consecutiveFailures " + consecutiveFailures
          + ", failureRatio " + failureRatio + ", minimumRequests " + minimumRequests + ", window " + window
          + ", openDuration " + openDuration + ", halfOpenRequests " + halfOpenRequests);
    }
    if (consecutiveFailures == 0 && failureRatio < 0) {
      throw new IllegalArgumentException("a circuit breaker needs consecutiveFailures or failureRatio");
    }
  }

  /** From a validated {@code CircuitBreakerPolicy} spec, with the documented defaults. */
  public static BreakerSettings fromSpec(JsonObject spec) {
    Number ratio = (Number) spec.getValue("failureRatio");
    return new BreakerSettings(
        spec.getInteger("consecutiveFailures", 0),
        ratio == null ? -1 : ratio.doubleValue(),
        spec.getInteger("minimumRequests", DEFAULT_MINIMUM_REQUESTS),
        duration(spec, "window", DEFAULT_WINDOW),
        duration(spec, "openDuration", DEFAULT_OPEN_DURATION),
        spec.getInteger("halfOpenRequests", DEFAULT_HALF_OPEN_REQUESTS));
  }

  private static Duration duration(JsonObject spec, String field, Duration fallback) {
    String text = spec.getString(field);
    return text == null ? fallback : Durations.parse(text);
  }
}
