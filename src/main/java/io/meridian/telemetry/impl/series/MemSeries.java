package io.meridian.telemetry.impl.series;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One series of the {@link MemorySeriesStore}: its identity (name and interned, sorted label
 * pairs), sealed chunks oldest first and the open head. Writers and readers synchronize on the
 * series itself; {@link #stale} and {@link #lastTime} are also read without the lock.
 */
final class MemSeries {

  /**
   * Estimated bytes of a series besides its label and chunk contents (64-bit JVM, compressed
   * references): this object (48), its head writer (72), key (24), index entry (40), the array
   * headers of labels, sealed chunks and head buffer (3 × 16), its slot in its target's list (4).
   */
  static final int FIXED_BYTES = 48 + 72 + 24 + 40 + 3 * 16 + 4;

  private static final byte[][] NO_CHUNKS = new byte[0][];

  final long id;
  final Key key;
  private byte[][] sealed = NO_CHUNKS;
  private final Chunk.Writer head = new Chunk.Writer();
  /** Newest time of any point (also read without the lock, for staleness and eviction order). */
  volatile long lastTime = Long.MIN_VALUE;
  volatile boolean stale;
  /** Removed from the store (evicted or expired): a writer holding it must look it up again. */
  boolean removed;
  /** The target that wrote it last. */
  volatile Object owner;

  MemSeries(long id, Key key) {
    this.id = id;
    this.key = key;
  }

  /** The estimated bytes this series occupies (caller holds the lock). */
  long bytes() {
    long b = FIXED_BYTES + 4L * key.labels.length + align(head.capacity()) + 4L * sealed.length;
    for (byte[] chunk : sealed) {
      b += 16 + align(chunk.length);
    }
    return b;
  }

  private static long align(int n) {
    return (n + 7) & ~7L;
  }

  /**
   * Appends a point (caller holds the lock); {@code false} when it is not newer than the last one.
   * Seals the head when it holds {@code maxPoints} points or spans {@code maxSpan} ms.
   *
   * @return the change of {@link #bytes()} (0 when nothing changed, {@code Long.MIN_VALUE} when refused)
   */
  long append(long time, double value, int maxPoints, long maxSpanMillis, int maxChunkBytes) {
    if (time <= lastTime) {
      return Long.MIN_VALUE;
    }
    long before = align(head.capacity()) + 4L * sealed.length;
    long sealedBytes = 0;
    if (head.count() > 0 && (head.count() >= maxPoints || time - head.firstTime() >= maxSpanMillis
        || head.usedBytes() >= maxChunkBytes)) {
      byte[] chunk = head.seal();
      sealed = Arrays.copyOf(sealed, sealed.length + 1);
      sealed[sealed.length - 1] = chunk;
      sealedBytes = 16 + align(chunk.length);
    }
    head.append(time, value);
    lastTime = time;
    return align(head.capacity()) + 4L * sealed.length + sealedBytes - before;
  }

  double lastValue() {
    return head.count() > 0 ? head.lastValue() : Double.NaN;
  }

  boolean isEmpty() {
    return head.count() == 0 && sealed.length == 0;
  }

  /** Drops sealed chunks whose newest point is older than {@code cutoff} (caller holds the lock); bytes freed. */
  long dropBefore(long cutoff) {
    int drop = 0;
    long freed = 0;
    while (drop < sealed.length && Chunk.maxTime(sealed[drop]) < cutoff) {
      freed += 16 + align(sealed[drop].length) + 4;
      drop++;
    }
    if (drop > 0) {
      sealed = drop == sealed.length ? NO_CHUNKS : Arrays.copyOfRange(sealed, drop, sealed.length);
    }
    return freed;
  }

  /** Points in {@code [from, to]} (caller holds the lock), or {@code null} when none. */
  Series points(long from, long to) {
    int capacity = head.count();
    for (byte[] chunk : sealed) {
      if (Chunk.maxTime(chunk) >= from && Chunk.minTime(chunk) <= to) {
        capacity += Chunk.count(chunk);
      }
    }
    long[] times = new long[capacity];
    double[] values = new double[capacity];
    int n = 0;
    for (byte[] chunk : sealed) {
      if (Chunk.maxTime(chunk) >= from && Chunk.minTime(chunk) <= to) {
        n = decode(new Chunk.Reader(chunk), from, to, times, values, n);
      }
    }
    if (head.count() > 0 && head.lastTime() >= from && head.firstTime() <= to) {
      n = decode(head.reader(), from, to, times, values, n);
    }
    if (n == 0) {
      return null;
    }
    return new Series(key.name, key.labelMap(), n == capacity ? times : Arrays.copyOf(times, n),
        n == capacity ? values : Arrays.copyOf(values, n));
  }

  private static int decode(Chunk.Reader reader, long from, long to, long[] times, double[] values, int n) {
    while (reader.next()) {
      long t = reader.time();
      if (t > to) {
        break;
      }
      if (t >= from) {
        times[n] = t;
        values[n] = reader.value();
        n++;
      }
    }
    return n;
  }

  /** Points held (caller holds the lock). */
  long pointCount() {
    long n = head.count();
    for (byte[] chunk : sealed) {
      n += Chunk.count(chunk);
    }
    return n;
  }

  /** Identity of a series: its name and sorted label pairs (names and values interned). */
  static final class Key {
    final String name;
    /** name0, value0, name1, value1 … sorted by name. */
    final String[] labels;
    private final int hash;

    Key(String name, String[] labels) {
      this.name = name;
      this.labels = labels;
      this.hash = 31 * name.hashCode() + Arrays.hashCode(labels);
    }

    /** The label's value, or {@code ""} when absent (as selectors see it). */
    String label(String labelName) {
      for (int i = 0; i < labels.length; i += 2) {
        if (labels[i].equals(labelName)) {
          return labels[i + 1];
        }
      }
      return "";
    }

    Map<String, String> labelMap() {
      Map<String, String> map = new LinkedHashMap<>(labels.length);
      for (int i = 0; i < labels.length; i += 2) {
        map.put(labels[i], labels[i + 1]);
      }
      return map;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.hash == hash && k.name.equals(name) && Arrays.equals(k.labels, labels);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
