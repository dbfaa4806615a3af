package io.meridian.common.units;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes: a whole number of bytes, or a number with a unit {@code KB, MB, GB} (powers of
 * 1000) or {@code KiB, MiB, GiB} (powers of 1024), e.g. {@code 1MiB}, {@code 512KB}.
 */
public final class Sizes {

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]i?b|b)?", Pattern.CASE_INSENSITIVE);

  public static long parse(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 1048576, 512KiB, 1MiB, 10MB)");
    }
    long amount = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    long factor = switch (unit) {
      case "kb" -> 1_000L;
      case "kib" -> 1L << 10;
      case "mb" -> 1_000_000L;
      case "mib" -> 1L << 20;
      case "gb" -> 1_000_000_000L;
      case "gib" -> 1L << 30;
      default -> 1L;
    };
    return Math.multiplyExact(amount, factor);
  }

  private Sizes() {
  }
}
