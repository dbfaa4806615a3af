package io.meridian.telemetry.impl.query;

import io.meridian.telemetry.impl.series.Series;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Requests, errors and latency histograms of one slice of traffic over a window, added up from
 * counter and bucket increases; rendered as rate (req/s), error ratio and p50/p90/p99 (ms).
 */
final class Traffic {

  private double requests;
  private double errors;
  private boolean counted;
  private final List<Map<Double, Double>> histograms = new ArrayList<>();

  void addRequests(double increase) {
    requests += increase;
    counted = true;
  }

  void addErrors(double increase) {
    errors += increase;
  }

  void addHistogram(Map<Double, Double> histogram) {
    histograms.add(histogram);
  }

  void addAll(Traffic other) {
    requests += other.requests;
    errors += other.errors;
    counted |= other.counted;
    histograms.addAll(other.histograms);
  }

  boolean empty() {
    return !counted && histograms.isEmpty();
  }

  Double rate(double windowSeconds) {
    return counted ? requests / windowSeconds : null;
  }

  Double errorRatio() {
    return counted && requests > 0 ? Math.min(1, errors / requests) : null;
  }

  Double quantile(double q) {
    return PromMath.quantile(q, histograms);
  }

  /** {@code rate}, {@code errorRatio}, {@code p50}, {@code p90}, {@code p99}; {@code null} where there is no data. */
  JsonObject toJson(double windowSeconds) {
    return new JsonObject()
        .put("rate", round(rate(windowSeconds)))
        .put("errorRatio", round(errorRatio()))
        .put("p50", round(quantile(0.5)))
        .put("p90", round(quantile(0.9)))
        .put("p99", round(quantile(0.99)));
  }

  static Double round(Double v) {
    if (v == null || v.isNaN() || v.isInfinite()) {
      return null;
    }
    return Math.round(v * 1e6) / 1e6;
  }

  /**
   * Adds each histogram series' bucket increases into the traffic its group maps to: series are
   * grouped by their labels without {@code le} (one histogram per original series), bounds
   * scaled by {@code toMillis}.
   */
  static void addHistograms(List<Series> buckets, long start, long end, double toMillis,
      Function<Series, List<Traffic>> into) {
    Map<Map<String, String>, Map<Double, Double>> perSeries = new HashMap<>();
    Map<Map<String, String>, Series> sample = new HashMap<>();
    for (Series s : buckets) {
      String le = s.labels().get("le");
      if (le == null) {
        continue;
      }
      double bound;
      try {
        bound = parseBound(le);
      } catch (NumberFormatException e) {
        continue;
      }
      Double increase = PromMath.increase(s.times(), s.values(), start, end);
      if (increase == null) {
        continue;
      }
      Map<String, String> key = new LinkedHashMap<>(s.labels());
      key.remove("le");
      perSeries.computeIfAbsent(key, k -> new HashMap<>()).merge(bound * (Double.isInfinite(bound) ? 1 : toMillis), increase, Double::sum);
      sample.putIfAbsent(key, s);
    }
    perSeries.forEach((key, histogram) -> {
      for (Traffic t : into.apply(sample.get(key))) {
        t.addHistogram(histogram);
      }
    });
  }

  /** Adds each counter series' increase with {@code add} (skipping series without two points). */
  static void addCounters(List<Series> counters, long start, long end, BiConsumer<Series, Double> add) {
    for (Series s : counters) {
      Double increase = PromMath.increase(s.times(), s.values(), start, end);
      if (increase != null) {
        add.accept(s, increase);
      }
    }
  }

  static double parseBound(String le) {
    return switch (le) {
      case "+Inf", "Inf", "inf", "+inf" -> Double.POSITIVE_INFINITY;
      default -> Double.parseDouble(le);
    };
  }
}
