package io.meridian.telemetry.impl.trace;

import io.meridian.common.error.ApiException;
import io.meridian.common.units.Durations;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * A trace search ({@code GET /api/v1/traces}); every criterion is optional.
 *
 * @param service     a span of the trace was recorded by this service (case-insensitive)
 * @param spanName    a span of the trace has this name (case-insensitive)
 * @param minDuration the trace lasted at least this long, µs (0: any)
 * @param maxDuration the trace lasted at most this long, µs (0: any)
 * @param endTs       the trace started at or before this epoch millisecond (0: any)
 * @param lookback    and at most this many ms before {@code endTs} (0: any)
 * @param limit       at most this many traces, the latest started first
 */
public record TraceQuery(String service, String spanName, long minDuration, long maxDuration, long endTs, long lookback,
    int limit) {

  public static final int DEFAULT_LIMIT = 10;
  public static final int MAX_LIMIT = 1000;

  /**
   * Parses query parameters given as strings ({@code service}, {@code spanName},
   * {@code minDuration}, {@code maxDuration}: µs as Zipkin, or with a unit such as {@code 150ms};
   * {@code endTs}: epoch ms; {@code lookback}: ms or with a unit; {@code limit}: 1…1000);
   * a bad value is a 400 naming the parameter.
   */
  public static TraceQuery parse(JsonObject params, long nowMs) {
    for (String name : params.fieldNames()) {
      if (!java.util.List.of("service", "spanName", "minDuration", "maxDuration", "endTs", "lookback", "limit").contains(name)) {
        throw ApiException.badRequest(name, "unknown parameter (known: service, spanName, minDuration, maxDuration, endTs, lookback, limit)");
      }
    }
    String service = text(params, "service");
    String spanName = text(params, "spanName");
    long min = micros(params, "minDuration", 1);
    long max = micros(params, "maxDuration", 1);
    if (max > 0 && max < min) {
      throw ApiException.badRequest("maxDuration", "must not be less than minDuration");
    }
    long lookback = micros(params, "lookback", 1000) / 1000;
    String endText = text(params, "endTs");
    long endTs = endText == null ? 0 : positive(endText, "endTs");
    if (lookback > 0 && endTs == 0) {
      endTs = nowMs;
    }
    String limitText = text(params, "limit");
    long limit = limitText == null ? DEFAULT_LIMIT : positive(limitText, "limit");
    if (limit > MAX_LIMIT) {
      throw ApiException.badRequest("limit", "must be from 1 to " + MAX_LIMIT + ", got " + limitText);
    }
    return new TraceQuery(service, spanName, min, max, endTs, lookback, (int) limit);
  }

  private static String text(JsonObject params, String name) {
    Object v = params.getValue(name);
    if (v == null) {
      return null;
    }
    String s = v.toString().trim();
    return s.isEmpty() ? null : s;
  }

  /** A duration in µs: a bare integer counts {@code bareMicros} each (Zipkin's units), or a number with a unit. */
  private static long micros(JsonObject params, String name, long bareMicros) {
    String text = text(params, name);
    if (text == null) {
      return 0;
    }
    if (text.chars().allMatch(Character::isDigit)) {
      try {
        return Math.multiplyExact(positive(text, name), bareMicros);
      } catch (ArithmeticException e) {
        throw ApiException.badRequest(name, "too large: '" + text + "'");
      }
    }
    try {
      Duration d = Durations.parse(text);
      return d.toNanos() / 1000;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(name, "expected " + (bareMicros == 1 ? "microseconds" : "milliseconds")
          + " or a duration such as 150ms or 2s, got '" + text + "'");
    }
  }

  private static long positive(String text, String name) {
    try {
      long value = Long.parseLong(text);
      if (value >= 0 && !(name.equals("limit") && value == 0)) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ApiException.badRequest(name, "expected a " + (name.equals("limit") ? "positive" : "non-negative")
        + " integer, got '" + text + "'");
  }
}
