package io.meridian.gateway.impl.plugins.authz;

import java.util.List;
import java.util.Locale;

/**
 * A list of Istio authorization strings, any of which may match: {@code *} (any non-empty
 * value), {@code prefix*}, {@code *suffix} or an exact value. Immutable.
 */
final class IstioStrings {

  private final String[] exact;
  private final String[] prefixes;
  private final String[] suffixes;
  private final boolean any;
  private final boolean ignoreCase;

  private IstioStrings(List<String> values, boolean ignoreCase) {
    this.ignoreCase = ignoreCase;
    List<String> e = new java.util.ArrayList<>();
    List<String> p = new java.util.ArrayList<>();
    List<String> s = new java.util.ArrayList<>();
    boolean a = false;
    for (String v : values) {
      String value = ignoreCase ? v.toLowerCase(Locale.ROOT) : v;
      if (value.equals("*")) {
        a = true;
      } else if (value.startsWith("*")) {
        s.add(value.substring(1));
      } else if (value.endsWith("*")) {
        p.add(value.substring(0, value.length() - 1));
      } else {
        e.add(value);
      }
    }
    this.exact = e.toArray(String[]::new);
    this.prefixes = p.toArray(String[]::new);
    this.suffixes = s.toArray(String[]::new);
    this.any = a;
  }

  static IstioStrings of(List<String> values) {
    return new IstioStrings(values, false);
  }

  static IstioStrings ignoringCase(List<String> values) {
    return new IstioStrings(values, true);
  }

  /** Whether {@code value} matches one of the strings ({@code false} for {@code null}: nothing to match). */
  boolean matches(String value) {
    if (value == null) {
      return false;
    }
    if (any && !value.isEmpty()) {
      return true;
    }
    String v = ignoreCase ? value.toLowerCase(Locale.ROOT) : value;
    for (String x : exact) {
      if (x.equals(v)) {
        return true;
      }
    }
    for (String x : prefixes) {
      if (v.startsWith(x)) {
        return true;
      }
    }
    for (String x : suffixes) {
      if (v.endsWith(x)) {
        return true;
      }
    }
    return false;
  }
}
