package io.meridian.telemetry.impl.scrape;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An immutable label set sorted by name, backed by one array of alternating names and values:
 * what every scraped sample carries (compact, cheap to compare and to hash, equal to any
 * {@link Map} with the same entries).
 */
final class LabelMap extends AbstractMap<String, String> {

  static final LabelMap EMPTY = new LabelMap(new String[0]);

  /** name0, value0, name1, value1, … sorted by name, names unique. */
  private final String[] pairs;
  private int hash;

  private LabelMap(String[] pairs) {
    this.pairs = pairs;
  }

  /** A label set from a map (empty values dropped: an empty label is an absent label). */
  static LabelMap of(Map<String, String> labels) {
    String[] pairs = new String[labels.size() * 2];
    int n = 0;
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (!e.getValue().isEmpty()) {
        pairs[n++] = e.getKey();
        pairs[n++] = e.getValue();
      }
    }
    return sorted(pairs, n);
  }

  /** Sorts the first {@code n} entries of {@code pairs} (alternating names and values, names unique). */
  static LabelMap sorted(String[] pairs, int n) {
    for (int i = 2; i < n; i += 2) {
      String name = pairs[i];
      String value = pairs[i + 1];
      int j = i - 2;
      while (j >= 0 && pairs[j].compareTo(name) > 0) {
        pairs[j + 2] = pairs[j];
        pairs[j + 3] = pairs[j + 1];
        j -= 2;
      }
      pairs[j + 2] = name;
      pairs[j + 3] = value;
    }
    return new LabelMap(n == pairs.length ? pairs : Arrays.copyOf(pairs, n));
  }

  int count() {
    return pairs.length / 2;
  }

  String name(int i) {
    return pairs[2 * i];
  }

  String valueAt(int i) {
    return pairs[2 * i + 1];
  }

  private int indexOf(Object name) {
    if (!(name instanceof String s)) {
      return -1;
    }
    int lo = 0;
    int hi = pairs.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = pairs[2 * mid].compareTo(s);
      if (c == 0) {
        return mid;
      }
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return -1;
  }

  @Override
  public String get(Object key) {
    int i = indexOf(key);
    return i < 0 ? null : pairs[2 * i + 1];
  }

  @Override
  public boolean containsKey(Object key) {
    return indexOf(key) >= 0;
  }

  @Override
  public int size() {
    return pairs.length / 2;
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      for (int i = 0; i < pairs.length; i += 2) {
        h += pairs[i].hashCode() ^ pairs[i + 1].hashCode();
      }
      hash = h;
    }
    return h;
  }

  @Override
  public boolean equals(Object o) {
    if (o instanceof LabelMap other) {
      return Arrays.equals(pairs, other.pairs);
    }
    return super.equals(o);
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<String, String>> iterator() {
        return new Iterator<>() {
          private int i;

          @Override
          public boolean hasNext() {
            return i < pairs.length;
          }

          @Override
          public Entry<String, String> next() {
            if (i >= pairs.length) {
              throw new NoSuchElementException();
            }
            Entry<String, String> e = new SimpleImmutableEntry<>(pairs[i], pairs[i + 1]);
            i += 2;
            return e;
          }
        };
      }

      @Override
      public int size() {
        return pairs.length / 2;
      }
    };
  }
}
