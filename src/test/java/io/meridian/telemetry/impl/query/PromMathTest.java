package io.meridian.telemetry.impl.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromMathTest {

  static final double INF = Double.POSITIVE_INFINITY;

  /** Verifies the increase of a steady counter whose points cover the window exactly. */
  @Test
  void increaseOfSteadyCounter() {
    long[] t = new long[21];
    double[] v = new double[21];
    for (int i = 0; i <= 20; i++) {
      t[i] = i * 15_000L;
      v[i] = i * 15.0;
    }
    assertThat(PromMath.increase(t, v, 0, 300_000)).isCloseTo(300.0, within(1e-9));
  }

  /** Verifies that a drop counts as a restart from zero. */
  @Test
  void increaseHandlesCounterReset() {
    long[] t = {0, 15_000, 30_000, 45_000};
    double[] v = {10, 20, 5, 15};
    assertThat(PromMath.increase(t, v, 0, 45_000)).isCloseTo(25.0, within(1e-9));
  }

  /** Verifies extrapolation to the window's edges: fully when close, half an interval when far, never below zero. */
  @Test
  void increaseExtrapolatesLikePrometheus() {
    assertThat(PromMath.increase(new long[] {15_000, 30_000, 45_000}, new double[] {100, 110, 120}, 0, 60_000))
        .isCloseTo(40.0, within(1e-9));
    // far from both edges; the start is limited by where the counter would have been zero
    assertThat(PromMath.increase(new long[] {60_000, 75_000}, new double[] {0, 15}, 0, 120_000))
        .isCloseTo(22.5, within(1e-9));
  }

  /** Verifies that fewer than two points is no data (null), and that points outside the window are ignored. */
  @Test
  void increaseWithoutEnoughPointsIsNull() {
    assertThat(PromMath.increase(new long[0], new double[0], 0, 1000)).isNull();
    assertThat(PromMath.increase(new long[] {500}, new double[] {3}, 0, 1000)).isNull();
    assertThat(PromMath.increase(new long[] {500, 2000}, new double[] {3, 9}, 0, 1000)).isNull();
    assertThat(PromMath.increase(new long[] {0, 1000}, new double[] {7, 7}, 0, 1000)).isEqualTo(0.0);
  }

  /** Verifies histogram_quantile's linear interpolation inside the bucket. */
  @Test
  void quantileInterpolatesLinearly() {
    List<Map<Double, Double>> h = List.of(Map.of(1.0, 10.0, 2.0, 20.0, 4.0, 40.0, INF, 40.0));
    assertThat(PromMath.quantile(0.25, h)).isCloseTo(1.0, within(1e-9));
    assertThat(PromMath.quantile(0.5, h)).isCloseTo(2.0, within(1e-9));
    assertThat(PromMath.quantile(0.9, h)).isCloseTo(3.6, within(1e-9));
  }

  /** Verifies that a histogram missing a bucket is interpolated over, so the sum equals the complete ones'. */
  @Test
  void quantileWithMissingBucket() {
    Map<Double, Double> full = Map.of(1.0, 10.0, 2.0, 20.0, 4.0, 40.0, INF, 40.0);
    Map<Double, Double> missing = Map.of(1.0, 10.0, 4.0, 40.0, INF, 40.0);
    assertThat(PromMath.quantile(0.9, List.of(full, missing))).isCloseTo(3.6, within(1e-9));
    assertThat(PromMath.quantile(0.5, List.of(full, missing))).isCloseTo(2.0, within(1e-9));
  }

  /** Verifies that histograms with different bounds (seconds scaled to ms vs Envoy's ms) add up on the union of bounds. */
  @Test
  void quantileOverDifferentBounds() {
    Map<Double, Double> a = Map.of(10.0, 100.0, INF, 100.0); // all under 10 ms
    Map<Double, Double> b = Map.of(5.0, 0.0, 25.0, 100.0, INF, 100.0); // all between 5 and 25 ms
    Double p50 = PromMath.quantile(0.5, List.of(a, b));
    // a puts 50 below 5 and 100 below 10; b adds 25 below 10 (interpolated): the median is under 10 ms
    assertThat(p50).isBetween(5.0, 10.0);
    assertThat(PromMath.quantile(0.99, List.of(a, b))).isBetween(10.0, 25.0);
  }

  /** Verifies the +Inf bucket answers the largest finite bound, and no observations answer null. */
  @Test
  void quantileEdgeCases() {
    assertThat(PromMath.quantile(0.99, List.of(Map.of(1.0, 1.0, INF, 10.0)))).isEqualTo(1.0);
    assertThat(PromMath.quantile(0.5, List.of(Map.of(1.0, 0.0, INF, 0.0)))).isNull();
    assertThat(PromMath.quantile(0.5, List.of())).isNull();
    // without +Inf the largest bucket is the total
    assertThat(PromMath.quantile(0.5, List.of(Map.of(1.0, 5.0, 2.0, 10.0)))).isCloseTo(1.0, within(1e-9));
    // extrapolated increases that cross are made monotonic
    assertThat(PromMath.quantile(0.5, List.of(Map.of(1.0, 10.5, 2.0, 10.0, INF, 20.0)))).isCloseTo(1.0, within(0.1));
  }
}
