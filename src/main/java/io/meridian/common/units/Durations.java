package io.meridian.common.units;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them in Meridian's config and in Istio rules: a decimal
 * number with a unit, {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code 1h}, {@code 250us},
 * or compound forms such as {@code 1m30s}. Bare numbers are refused (ambiguous unit).
 */
public final class Durations {

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h|d)");

  /** Parses {@code text}; throws {@link IllegalArgumentException} with a readable message. */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("expected a duration such as 500ms, 10s or 2m");
    }
    String s = text.trim();
    Matcher m = PART.matcher(s);
    int pos = 0;
    long nanos = 0;
    while (pos < s.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw new IllegalArgumentException("'" + text + "' is not a duration (use a unit: ms, s, m, h, e.g. 500ms or 1.5s)");
      }
      double amount = Double.parseDouble(m.group(1));
      double unitNanos = switch (m.group(2)) {
        case "ns" -> 1;
        case "us", "µs" -> 1_000;
        case "ms" -> 1_000_000;
        case "s" -> 1_000_000_000d;
        case "m" -> 60 * 1_000_000_000d;
        case "h" -> 3600 * 1_000_000_000d;
        default -> 86400 * 1_000_000_000d;
      };
      double add = amount * unitNanos;
      if (add > Long.MAX_VALUE - nanos) {
        throw new IllegalArgumentException("'" + text + "' is too long a duration");
      }
      nanos += (long) add;
      pos = m.end();
    }
    return Duration.ofNanos(nanos);
  }

  /** Renders a duration in the shortest exact form {@link #parse} accepts (e.g. {@code 10s}, {@code 1500ms}). */
  public static String format(Duration d) {
    long nanos = d.toNanos();
    if (nanos == 0) {
      return "0s";
    }
    long[] units = {86400_000_000_000L, 3600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L};
    String[] names = {"d", "h", "m", "s", "ms", "us", "ns"};
    for (int i = 0; i < units.length; i++) {
      if (nanos % units[i] == 0) {
        return (nanos / units[i]) + names[i];
      }
    }
    return nanos + "ns";
  }

  private Durations() {
  }
}
