package io.meridian.telemetry.impl.series;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkTest {

  private static List<long[]> roundTrip(long[] times, double[] values, boolean seal) {
    Chunk.Writer w = new Chunk.Writer();
    for (int i = 0; i < times.length; i++) {
      w.append(times[i], values[i]);
    }
    Chunk.Reader r;
    if (seal) {
      byte[] sealed = w.seal();
      assertThat(Chunk.count(sealed)).isEqualTo(times.length);
      assertThat(Chunk.maxTime(sealed)).isEqualTo(times[times.length - 1]);
      assertThat(Chunk.minTime(sealed)).isEqualTo(times[0]);
      assertThat(w.count()).isZero();
      r = new Chunk.Reader(sealed);
    } else {
      r = w.reader();
    }
    List<long[]> out = new ArrayList<>();
    while (r.next()) {
      out.add(new long[] {r.time(), Double.doubleToRawLongBits(r.value())});
    }
    return out;
  }

  private static void assertRoundTrip(long[] times, double[] values) {
    for (boolean seal : new boolean[] {false, true}) {
      List<long[]> out = roundTrip(times, values, seal);
      assertThat(out).hasSize(times.length);
      for (int i = 0; i < times.length; i++) {
        assertThat(out.get(i)[0]).as("time %d", i).isEqualTo(times[i]);
        assertThat(out.get(i)[1]).as("value bits %d", i).isEqualTo(Double.doubleToRawLongBits(values[i]));
      }
    }
  }

  /** Verifies that special values (NaN with payloads, infinities, -0.0, extremes) come back bit for bit. */
  @Test
  void specialValuesRoundTrip() {
    double staleNaN = Double.longBitsToDouble(0x7ff0000000000002L);
    double[] values = {Double.NaN, 1.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, staleNaN,
        Double.MAX_VALUE, Double.MIN_VALUE, -Double.MAX_VALUE, 42.5, 42.5, Double.NaN};
    long[] times = new long[values.length];
    for (int i = 0; i < times.length; i++) {
      times[i] = 1_700_000_000_000L + i * 15_000L;
    }
    assertRoundTrip(times, values);
  }

  /** Verifies that irregular intervals of every size class (0 ms jitter to days, backwards deltas) round-trip. */
  @Test
  void irregularIntervalsRoundTrip() {
    long[] deltas = {15_000, 15_000, 15_003, 14_990, 15_100, 16_000, 14_000, 1, 86_400_000L * 30, 5, 15_000, 2_047, 2_048,
        -1_000_000 + 1_000_001, 300, 301, 64, 63, 65, 256, 255};
    long[] times = new long[deltas.length + 1];
    double[] values = new double[times.length];
    times[0] = 1_700_000_000_000L;
    for (int i = 0; i < deltas.length; i++) {
      times[i + 1] = times[i] + deltas[i];
      values[i + 1] = i;
    }
    assertRoundTrip(times, values);
  }

  /** Verifies that counters, gauges and random doubles round-trip, and counters compress well. */
  @Test
  void countersAndRandomValuesRoundTrip() {
    Random random = new Random(7);
    int n = 120;
    long[] times = new long[n];
    double[] counter = new double[n];
    double[] noise = new double[n];
    double c = 1000;
    for (int i = 0; i < n; i++) {
      times[i] = 1_700_000_000_000L + i * 15_000L + random.nextInt(20);
      c += random.nextInt(8);
      counter[i] = c;
      noise[i] = random.nextGaussian() * 1e6;
    }
    assertRoundTrip(times, counter);
    assertRoundTrip(times, noise);
    Chunk.Writer w = new Chunk.Writer();
    for (int i = 0; i < n; i++) {
      w.append(times[i], counter[i]);
    }
    assertThat(w.usedBytes()).as("120 counter points with jitter").isLessThan(n * 4);
  }
}
