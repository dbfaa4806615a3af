package io.meridian.gateway.impl.route;

import java.util.Map;

/**
 * Services by name, looked up by a region of a string (a segment of the request path) without
 * cutting it out: the hot path allocates nothing to find a service. Immutable.
 */
public final class NameIndex {

  public static final NameIndex EMPTY = new NameIndex(Map.of());

  private final String[] keys;
  private final ServiceRoutes[] values;
  private final int mask;

  public NameIndex(Map<String, ServiceRoutes> byName) {
    int size = Integer.highestOneBit(Math.max(4, byName.size() * 2 + 1) * 2 - 1);
    keys = new String[size];
    values = new ServiceRoutes[size];
    mask = size - 1;
    byName.forEach((k, v) -> {
      int i = hash(k, 0, k.length()) & mask;
      while (keys[i] != null) {
        i = (i + 1) & mask;
      }
      keys[i] = k;
      values[i] = v;
    });
  }

  /** The service named by {@code s[start, end)}, or {@code null}. */
  public ServiceRoutes get(String s, int start, int end) {
    int length = end - start;
    for (int i = hash(s, start, end) & mask; keys[i] != null; i = (i + 1) & mask) {
      String k = keys[i];
      if (k.length() == length && k.regionMatches(0, s, start, length)) {
        return values[i];
      }
    }
    return null;
  }

  public ServiceRoutes get(String name) {
    return get(name, 0, name.length());
  }

  private static int hash(String s, int start, int end) {
    int h = 0;
    for (int i = start; i < end; i++) {
      h = 31 * h + s.charAt(i);
    }
    return h ^ (h >>> 16);
  }
}
