package io.meridian.telemetry.impl.scrape;

/**
 * Strings for short ASCII byte ranges that repeat from one scrape to the next (metric names,
 * label names, common label values), so a target's scrapes share one {@code String} per name
 * instead of allocating it for every sample. Fixed size (a direct-mapped table: a collision
 * replaces the slot); one per target, used by one thread at a time.
 */
final class NameCache {

  static final int MAX_LENGTH = 64;
  private static final int SLOTS = 2048;

  private final String[] slots = new String[SLOTS];

  /** The string of the ASCII bytes {@code [from, to)}. */
  String get(byte[] buf, int from, int to) {
    int length = to - from;
    if (length > MAX_LENGTH) {
      return new String(buf, from, length, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
    int h = length;
    for (int i = from; i < to; i++) {
      h = 31 * h + buf[i];
    }
    h ^= h >>> 16;
    int slot = h & (SLOTS - 1);
    String cached = slots[slot];
    if (cached != null && matches(cached, buf, from, length)) {
      return cached;
    }
    String s = new String(buf, from, length, java.nio.charset.StandardCharsets.ISO_8859_1);
    slots[slot] = s;
    return s;
  }

  private static boolean matches(String s, byte[] buf, int from, int length) {
    if (s.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (s.charAt(i) != (char) (buf[from + i] & 0xff)) {
        return false;
      }
    }
    return true;
  }
}
