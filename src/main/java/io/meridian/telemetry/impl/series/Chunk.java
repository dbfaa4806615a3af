package io.meridian.telemetry.impl.series;

import java.util.Arrays;

/**
 * Gorilla-style compression of one series' points (timestamps as delta-of-delta, values as the
 * XOR with the previous value), in chunks: an open head {@link Writer} appends bit by bit into a
 * reused buffer; {@link Writer#seal()} copies it into an exact-size immutable byte array with a
 * small header (point count, newest time), read back by {@link Reader}.
 *
 * <p>Stream: the first point as 64-bit time and 64-bit value bits; then per point
 * <ul>
 *   <li>time: delta-of-delta {@code d = (t - tPrev) - deltaPrev} as {@code 0} (d = 0),
 *       {@code 10}+7 bits, {@code 110}+9 bits, {@code 1110}+12 bits, or {@code 1111}+64 bits
 *       (two's complement);</li>
 *   <li>value: {@code x = bits ^ bitsPrev} as {@code 0} (equal), {@code 10}+the meaningful bits
 *       when they fit the previous leading/trailing-zero window, else {@code 11}+5 bits leading
 *       zeros+6 bits (length-1)+the meaningful bits.</li>
 * </ul>
 * Values round-trip bit for bit ({@code NaN} payloads, infinities, {@code -0.0}).
 */
final class Chunk {

  /** Sealed layout: count (2 bytes), newest time (8 bytes), then the bit stream. */
  static final int HEADER = 10;

  private Chunk() {
  }

  static int count(byte[] sealed) {
    return ((sealed[0] & 0xff) << 8) | (sealed[1] & 0xff);
  }

  static long maxTime(byte[] sealed) {
    long t = 0;
    for (int i = 2; i < HEADER; i++) {
      t = (t << 8) | (sealed[i] & 0xff);
    }
    return t;
  }

  /** The oldest time of a sealed chunk (the stream's first 64 bits). */
  static long minTime(byte[] sealed) {
    long t = 0;
    for (int i = HEADER; i < HEADER + 8; i++) {
      t = (t << 8) | (sealed[i] & 0xff);
    }
    return t;
  }

  /**
   * The open head of a series: appends points; not thread-safe (the series guards it). Its
   * buffer grows in small steps, so the head wastes at most {@value #STEP} bytes.
   */
  static final class Writer {
    static final int INITIAL = 24;
    static final int STEP = 16;

    private byte[] buf = new byte[INITIAL];
    private long bits;
    private int count;
    private long firstTime;
    private long lastTime;
    private long lastDelta;
    private long lastValue;
    private int leading = -1;
    private int trailing;

    int count() {
      return count;
    }

    long firstTime() {
      return firstTime;
    }

    long lastTime() {
      return lastTime;
    }

    double lastValue() {
      return Double.longBitsToDouble(lastValue);
    }

    /** Bytes of the buffer (its capacity: what it occupies). */
    int capacity() {
      return buf.length;
    }

    /** Bytes used by the stream so far. */
    int usedBytes() {
      return (int) ((bits + 7) >>> 3);
    }

    void append(long time, double value) {
      long v = Double.doubleToRawLongBits(value);
      ensure(16 + 2);
      if (count == 0) {
        write(time, 64);
        write(v, 64);
        firstTime = time;
        lastDelta = 0;
      } else {
        long delta = time - lastTime;
        long dod = delta - lastDelta;
        if (dod == 0) {
          write(0, 1);
        } else if (fits(dod, 7)) {
          write(0b10, 2);
          write(dod, 7);
        } else if (fits(dod, 9)) {
          write(0b110, 3);
          write(dod, 9);
        } else if (fits(dod, 12)) {
          write(0b1110, 4);
          write(dod, 12);
        } else {
          write(0b1111, 4);
          write(dod, 64);
        }
        lastDelta = delta;
        long xor = v ^ lastValue;
        if (xor == 0) {
          write(0, 1);
        } else {
          int lead = Math.min(Long.numberOfLeadingZeros(xor), 31);
          int trail = Long.numberOfTrailingZeros(xor);
          if (leading >= 0 && lead >= leading && trail >= trailing) {
            write(0b10, 2);
            write(xor >>> trailing, 64 - leading - trailing);
          } else {
            int length = 64 - lead - trail;
            write(0b11, 2);
            write(lead, 5);
            write(length - 1, 6);
            write(xor >>> trail, length);
            leading = lead;
            trailing = trail;
          }
        }
      }
      lastTime = time;
      lastValue = v;
      count++;
    }

    /** The head as an immutable sealed chunk (header + stream); the writer is reset and keeps its buffer. */
    byte[] seal() {
      int used = usedBytes();
      byte[] sealed = new byte[HEADER + used];
      sealed[0] = (byte) (count >>> 8);
      sealed[1] = (byte) count;
      for (int i = 0; i < 8; i++) {
        sealed[2 + i] = (byte) (lastTime >>> (56 - 8 * i));
      }
      System.arraycopy(buf, 0, sealed, HEADER, used);
      buf = new byte[INITIAL];
      bits = 0;
      count = 0;
      leading = -1;
      trailing = 0;
      return sealed;
    }

    /** A reader over a copy of the open head (callers hold the series' lock while copying). */
    Reader reader() {
      return new Reader(Arrays.copyOf(buf, usedBytes()), 0, count);
    }

    private static boolean fits(long value, int bitCount) {
      long min = -(1L << (bitCount - 1));
      long max = (1L << (bitCount - 1)) - 1;
      return value >= min && value <= max;
    }

    /** Makes room for {@code moreBytes} more bytes (a point takes at most 2 + 1 + 8 + 8). */
    private void ensure(int moreBytes) {
      int need = usedBytes() + moreBytes + 1;
      if (need > buf.length) {
        buf = Arrays.copyOf(buf, need + STEP);
      }
    }

    private void write(long value, int n) {
      // most significant of the n bits first
      int remaining = n;
      while (remaining > 0) {
        int byteIndex = (int) (bits >>> 3);
        int bitInByte = (int) (bits & 7);
        int free = 8 - bitInByte;
        int take = Math.min(free, remaining);
        int chunk = (int) ((value >>> (remaining - take)) & ((1L << take) - 1));
        buf[byteIndex] |= (byte) (chunk << (free - take));
        bits += take;
        remaining -= take;
      }
    }
  }

  /** Decodes a chunk's points in order. */
  static final class Reader {
    private final byte[] data;
    private long pos;
    private int left;
    private final int total;
    private long time;
    private long delta;
    private long value;
    private int leading;
    private int trailing;

    /** Over a sealed chunk. */
    Reader(byte[] sealed) {
      this(sealed, (long) HEADER * 8, count(sealed));
    }

    private Reader(byte[] data, long startBit, int count) {
      this.data = data;
      this.pos = startBit;
      this.left = count;
      this.total = count;
    }

    boolean next() {
      if (left == 0) {
        return false;
      }
      if (left == total) {
        time = read(64);
        value = read(64);
      } else {
        long dod;
        if (read(1) == 0) {
          dod = 0;
        } else if (read(1) == 0) {
          dod = signed(read(7), 7);
        } else if (read(1) == 0) {
          dod = signed(read(9), 9);
        } else if (read(1) == 0) {
          dod = signed(read(12), 12);
        } else {
          dod = read(64);
        }
        delta += dod;
        time += delta;
        if (read(1) == 1) {
          if (read(1) == 1) {
            leading = (int) read(5);
            int length = (int) read(6) + 1;
            trailing = 64 - leading - length;
          }
          int length = 64 - leading - trailing;
          value ^= read(length) << trailing;
        }
      }
      left--;
      return true;
    }

    long time() {
      return time;
    }

    double value() {
      return Double.longBitsToDouble(value);
    }

    private static long signed(long raw, int n) {
      return (raw << (64 - n)) >> (64 - n);
    }

    private long read(int n) {
      long result = 0;
      int remaining = n;
      while (remaining > 0) {
        int byteIndex = (int) (pos >>> 3);
        int bitInByte = (int) (pos & 7);
        int avail = 8 - bitInByte;
        int take = Math.min(avail, remaining);
        int b = data[byteIndex] & 0xff;
        int chunk = (b >>> (avail - take)) & ((1 << take) - 1);
        result = (result << take) | chunk;
        pos += take;
        remaining -= take;
      }
      return result;
    }
  }
}
