package io.meridian.telemetry.impl.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * PromQL's arithmetic over raw points, as pure functions: {@link #increase} (like
 * {@code increase()}: counter resets and extrapolation to the window's edges) and
 * {@link #quantile} (like {@code histogram_quantile()}: linear interpolation inside the bucket).
 * "No data" is {@code null}, never 0.
 */
public final class PromMath {

  private PromMath() {
  }

  /**
   * The increase of a counter over {@code [start, end]} (ms) from its points in that window, or
   * {@code null} with fewer than two points. A drop is a reset (the counter restarted from 0);
   * the result is extrapolated to the window's edges like Prometheus does: to an edge when the
   * gap to it is under 1.1 average intervals, else by half an interval, and never below zero.
   */
  public static Double increase(long[] times, double[] values, long start, long end) {
    int first = -1;
    int last = -1;
    for (int i = 0; i < times.length; i++) {
      if (times[i] >= start && times[i] <= end && !Double.isNaN(values[i])) {
        if (first < 0) {
          first = i;
        }
        last = i;
      }
    }
    if (first < 0) {
      return null;
    }
    int n = 0;
    double result = 0;
    double previous = Double.NaN;
    for (int i = first; i <= last; i++) {
      double v = values[i];
      if (Double.isNaN(v)) {
        continue;
      }
      if (!Double.isNaN(previous)) {
        result += v >= previous ? v - previous : v;
      }
      previous = v;
      n++;
    }
    if (n < 2) {
      return null;
    }
    double sampled = (times[last] - times[first]) / 1000.0;
    double toStart = (times[first] - start) / 1000.0;
    double toEnd = (end - times[last]) / 1000.0;
    double average = sampled / (n - 1);
    double firstValue = values[first];
    if (result > 0 && firstValue >= 0) {
      double toZero = sampled * (firstValue / result);
      if (toZero < toStart) {
        toStart = toZero;
      }
    }
    double threshold = average * 1.1;
    double interval = sampled;
    interval += toStart < threshold ? toStart : average / 2;
    interval += toEnd < threshold ? toEnd : average / 2;
    return sampled == 0 ? result : result * (interval / sampled);
  }

  /**
   * The {@code q}-quantile of the sum of several cumulative histograms, each given as its upper
   * bounds ({@code le}, {@link Double#POSITIVE_INFINITY} for {@code +Inf}) → cumulative count
   * (e.g. increases over a window). Histograms with different bounds are added on the union of
   * the bounds, each one interpolated linearly inside its own buckets (a missing bucket is
   * interpolated over; with equal bounds this is the plain sum). A histogram without a
   * {@code +Inf} bucket counts its largest bucket as its total. {@code null} when there are no
   * observations.
   */
  public static Double quantile(double q, List<Map<Double, Double>> histograms) {
    TreeSet<Double> bounds = new TreeSet<>();
    List<TreeMap<Double, Double>> sorted = new ArrayList<>();
    for (Map<Double, Double> h : histograms) {
      if (h.isEmpty()) {
        continue;
      }
      TreeMap<Double, Double> m = monotonic(h);
      if (!m.containsKey(Double.POSITIVE_INFINITY)) {
        m.put(Double.POSITIVE_INFINITY, m.lastEntry().getValue());
      }
      sorted.add(m);
      bounds.addAll(m.keySet());
    }
    if (sorted.isEmpty()) {
      return null;
    }
    double[] upper = new double[bounds.size()];
    double[] cumulative = new double[bounds.size()];
    int i = 0;
    for (double bound : bounds) {
      upper[i] = bound;
      double sum = 0;
      for (TreeMap<Double, Double> m : sorted) {
        sum += at(m, bound);
      }
      cumulative[i] = i > 0 ? Math.max(sum, cumulative[i - 1]) : sum;
      i++;
    }
    return quantile(q, upper, cumulative);
  }

  /** {@code histogram_quantile} over sorted upper bounds (the last {@code +Inf}) and cumulative counts. */
  static Double quantile(double q, double[] upper, double[] cumulative) {
    int n = upper.length;
    if (n < 1 || Double.isNaN(q)) {
      return null;
    }
    double total = cumulative[n - 1];
    if (total <= 0) {
      return null;
    }
    if (q <= 0) {
      return n > 1 ? Math.min(0, upper[0]) : null;
    }
    if (q >= 1) {
      return n > 1 ? upper[n - 2] : null;
    }
    double rank = q * total;
    int b = 0;
    while (b < n - 1 && cumulative[b] < rank) {
      b++;
    }
    if (b == n - 1) {
      return n > 1 ? upper[n - 2] : null; // in the +Inf bucket: the largest finite bound, like Prometheus
    }
    if (b == 0 && upper[0] <= 0) {
      return upper[0];
    }
    double bucketStart = b == 0 ? 0 : upper[b - 1];
    double countBelow = b == 0 ? 0 : cumulative[b - 1];
    double inBucket = cumulative[b] - countBelow;
    if (inBucket <= 0) {
      return upper[b];
    }
    return bucketStart + (upper[b] - bucketStart) * ((rank - countBelow) / inBucket);
  }

  /** Sorted by bound, counts made non-decreasing (extrapolated increases can cross). */
  private static TreeMap<Double, Double> monotonic(Map<Double, Double> h) {
    TreeMap<Double, Double> m = new TreeMap<>(h);
    double max = 0;
    for (Map.Entry<Double, Double> e : m.entrySet()) {
      max = Math.max(max, e.getValue());
      e.setValue(max);
    }
    return m;
  }

  /** A cumulative histogram's count at {@code bound}, interpolated linearly between its own bounds. */
  private static double at(TreeMap<Double, Double> m, double bound) {
    Double exact = m.get(bound);
    if (exact != null) {
      return exact;
    }
    Map.Entry<Double, Double> below = m.lowerEntry(bound);
    Map.Entry<Double, Double> above = m.higherEntry(bound);
    double lowBound = below == null ? 0 : below.getKey();
    double lowCount = below == null ? 0 : below.getValue();
    if (above == null) {
      return lowCount;
    }
    if (above.getKey().isInfinite()) {
      return lowCount; // nothing known about where the +Inf bucket's observations lie
    }
    double fraction = (bound - lowBound) / (above.getKey() - lowBound);
    return lowCount + (above.getValue() - lowCount) * fraction;
  }
}
