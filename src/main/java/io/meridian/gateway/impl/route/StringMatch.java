package io.meridian.gateway.impl.route;

import com.google.re2j.Pattern;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** Istio's StringMatch: {@code exact}, {@code prefix} or {@code regex} (RE2, whole string). */
public final class StringMatch {

  private final String exact;
  private final String prefix;
  private final Pattern regex;
  private final boolean ignoreCase;

  private StringMatch(String exact, String prefix, Pattern regex, boolean ignoreCase) {
    this.exact = exact;
    this.prefix = prefix;
    this.regex = regex;
    this.ignoreCase = ignoreCase;
  }

  /** From the rule's JSON ({@code {"exact": …}} etc.); {@code null} when absent. */
  public static StringMatch of(JsonObject json, boolean ignoreCase) {
    if (json == null) {
      return null;
    }
    String exact = json.getString("exact");
    String prefix = json.getString("prefix");
    String regex = json.getString("regex");
    if (ignoreCase) {
      exact = exact == null ? null : exact.toLowerCase(Locale.ROOT);
      prefix = prefix == null ? null : prefix.toLowerCase(Locale.ROOT);
    }
    return new StringMatch(exact, prefix, regex == null ? null : Pattern.compile(ignoreCase ? "(?i)" + regex : regex),
        ignoreCase);
  }

  /** The {@code prefix} of this match, or {@code null}. */
  public String prefix() {
    return prefix;
  }

  public boolean test(String value) {
    if (value == null) {
      return false;
    }
    if (exact != null) {
      return ignoreCase ? exact.equalsIgnoreCase(value) : exact.equals(value);
    }
    if (prefix != null) {
      return ignoreCase ? value.regionMatches(true, 0, prefix, 0, prefix.length()) : value.startsWith(prefix);
    }
    return regex != null && regex.matches(value);
  }
}
