package io.meridian.telemetry.impl.series;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Prometheus series selector as {@code /federate}'s {@code match[]} takes it:
 * {@code metric}, {@code metric{a="b",c!="d",e=~"re",f!~"re"}} or {@code {__name__=~"re"}}.
 * Regular expressions are RE2 (linear time), anchored at both ends; an absent label matches as
 * the empty string. Like Prometheus, a selector must have at least one matcher that does not
 * match the empty string (so it cannot select every series by accident).
 *
 * @param matchers every one must match; the metric name is the label {@code __name__}
 */
public record SeriesSelector(List<Matcher> matchers) {

  /** The label the metric name is matched as. */
  public static final String NAME = "__name__";

  /** Matcher operators. */
  public enum Op { EQ, NE, RE, NRE }

  /** One label matcher. */
  public record Matcher(String label, Op op, String value, Pattern pattern) {

    /** Whether {@code actual} (the label's value, {@code ""} when absent) satisfies this matcher. */
    public boolean matches(String actual) {
      return switch (op) {
        case EQ -> actual.equals(value);
        case NE -> !actual.equals(value);
        case RE -> pattern.matches(actual);
        case NRE -> !pattern.matches(actual);
      };
    }
  }

  public SeriesSelector {
    matchers = List.copyOf(matchers);
  }

  /** Whether the metric name alone can still match (name matchers only; other labels not checked). */
  public boolean nameMatches(String name) {
    for (Matcher m : matchers) {
      if (m.label.equals(NAME) && !m.matches(name)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the series {@code key} matches. */
  boolean matches(MemSeries.Key key) {
    for (Matcher m : matchers) {
      String actual = m.label.equals(NAME) ? key.name : key.label(m.label);
      if (!m.matches(actual)) {
        return false;
      }
    }
    return true;
  }

  /** Parses a selector; {@link IllegalArgumentException} says what is wrong and where. */
  public static SeriesSelector parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty selector");
    }
    Parser p = new Parser(text.trim());
    List<Matcher> matchers = new ArrayList<>();
    String name = p.identifier(true);
    if (name != null) {
      matchers.add(new Matcher(NAME, Op.EQ, name, null));
    }
    p.skipSpace();
    if (p.peek('{')) {
      p.pos++;
      p.skipSpace();
      while (!p.peek('}')) {
        String label = p.identifier(false);
        if (label == null) {
          throw p.error("expected a label name");
        }
        p.skipSpace();
        Op op = p.operator();
        p.skipSpace();
        String value = p.string();
        Pattern pattern = null;
        if (op == Op.RE || op == Op.NRE) {
          try {
            pattern = Pattern.compile(value);
          } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("bad regular expression \"" + value + "\": " + e.getDescription());
          }
        }
        if (label.equals(NAME) && name != null) {
          throw new IllegalArgumentException("metric name given twice (before '{' and as __name__)");
        }
        matchers.add(new Matcher(label, op, value, pattern));
        p.skipSpace();
        if (p.peek(',')) {
          p.pos++;
          p.skipSpace();
        } else if (!p.peek('}')) {
          throw p.error("expected ',' or '}'");
        }
      }
      p.pos++;
    }
    p.skipSpace();
    if (p.pos != p.text.length()) {
      throw p.error("unexpected '" + p.text.charAt(p.pos) + "'");
    }
    if (matchers.isEmpty() || matchers.stream().allMatch(m -> m.matches(""))) {
      throw new IllegalArgumentException("a selector needs a metric name or a matcher that does not match the empty string");
    }
    return new SeriesSelector(matchers);
  }

  private static final class Parser {
    final String text;
    int pos;

    Parser(String text) {
      this.text = text;
    }

    boolean peek(char c) {
      return pos < text.length() && text.charAt(pos) == c;
    }

    void skipSpace() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
    }

    IllegalArgumentException error(String message) {
      return new IllegalArgumentException(message + " at position " + (pos + 1) + " of '" + text + "'");
    }

    /** A metric name ({@code [a-zA-Z_:][a-zA-Z0-9_:]*}) or label name (no colons), or {@code null}. */
    String identifier(boolean metric) {
      int start = pos;
      while (pos < text.length()) {
        char c = text.charAt(pos);
        boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (metric && c == ':')
            || (pos > start && c >= '0' && c <= '9');
        if (!ok) {
          break;
        }
        pos++;
      }
      return pos == start ? null : text.substring(start, pos);
    }

    Op operator() {
      if (text.startsWith("=~", pos)) {
        pos += 2;
        return Op.RE;
      }
      if (text.startsWith("!~", pos)) {
        pos += 2;
        return Op.NRE;
      }
      if (text.startsWith("!=", pos)) {
        pos += 2;
        return Op.NE;
      }
      if (peek('=')) {
        pos++;
        return Op.EQ;
      }
      throw error("expected one of =, !=, =~, !~");
    }

    String string() {
      if (pos >= text.length() || (text.charAt(pos) != '"' && text.charAt(pos) != '\'')) {
        throw error("expected a quoted value");
      }
      char quote = text.charAt(pos++);
      StringBuilder b = new StringBuilder();
      while (pos < text.length()) {
        char c = text.charAt(pos++);
        if (c == quote) {
          return b.toString();
        }
        if (c == '\\') {
          if (pos >= text.length()) {
            break;
          }
          char e = text.charAt(pos++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case '\\', '"', '\'' -> b.append(e);
            default -> b.append('\\').append(e); // kept for regular expressions such as \d
          }
        } else {
          b.append(c);
        }
      }
      throw error("unterminated string");
    }
  }
}
