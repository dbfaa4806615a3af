package io.meridian.telemetry.impl.scrape;

import io.meridian.telemetry.impl.series.Family;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A streaming parser of the Prometheus text format 0.0.4 and of OpenMetrics 1.0 text, over the
 * raw bytes of a scrape (one pass, no regular expressions, no per-line strings).
 *
 * <p>What it accepts: {@code # HELP} (escapes {@code \\ \n}, and {@code \"} in OpenMetrics),
 * {@code # TYPE} (a second TYPE or HELP for one name is an error), other comments ignored;
 * samples {@code name{label="value",…} value [timestamp]} with blanks or tabs between tokens,
 * a trailing comma in the label set, label values escaped {@code \\ \" \n} and valid UTF-8,
 * values as decimal or exponent numbers, {@code NaN}, {@code ±Inf}. In OpenMetrics: {@code # UNIT}
 * (ignored), exemplars after {@code #} (ignored), the mandatory final {@code # EOF} (nothing may
 * follow), timestamps in seconds. Timestamps are checked but not kept: every sample is stamped
 * with the scrape's time. Samples named {@code <family>_created} of a counter, histogram, summary
 * or gauge histogram are dropped. Anything else is a {@link ParseException} naming the line: the
 * whole scrape is refused, as Prometheus does.
 */
final class ExpositionParser {

  /** The text formats, chosen by the response's content type. */
  enum Format {
    PROMETHEUS, OPENMETRICS;

    /** OpenMetrics for {@code application/openmetrics-text}, the Prometheus text format otherwise. */
    static Format of(String contentType) {
      if (contentType != null && contentType.trim().toLowerCase(Locale.ROOT).startsWith("application/openmetrics-text")) {
        return OPENMETRICS;
      }
      return PROMETHEUS;
    }
  }

  /** Receives each sample: its name and its scraped labels ({@code n} entries of alternating names and values in {@code pairs}). */
  @FunctionalInterface
  interface SampleSink {
    void sample(String name, String[] pairs, int n, double value);
  }

  /** A scrape that is not valid exposition text. */
  static final class ParseException extends Exception {
    ParseException(int line, String message) {
      super("line " + line + ": " + message, null, false, false);
    }
  }

  private static final int MAX_LABELS = 256;

  private final byte[] buf;
  private final int end;
  private final boolean om;
  private final NameCache names;
  private final SampleSink sink;
  private final Map<String, FamilyState> families = new HashMap<>();
  private final List<FamilyState> order = new ArrayList<>();
  private FamilyState current;
  private String[] pairs = new String[16];
  private int pos;
  private int labelsEnd;
  private int line;
  private boolean eof;

  private static final class FamilyState {
    final String name;
    String type;
    String help;
    boolean declaredType;
    boolean declaredHelp;

    FamilyState(String name) {
      this.name = name;
    }
  }

  private ExpositionParser(byte[] buf, int length, Format format, NameCache names, SampleSink sink) {
    this.buf = buf;
    this.end = length;
    this.om = format == Format.OPENMETRICS;
    this.names = names;
    this.sink = sink;
  }

  /**
   * Parses {@code length} bytes of {@code buf}, handing every sample to {@code sink}; returns the
   * metric families (declared ones and, as {@code untyped}, those of undeclared samples) in order
   * of first appearance.
   */
  static List<Family> parse(byte[] buf, int length, Format format, NameCache names, SampleSink sink) throws ParseException {
    ExpositionParser p = new ExpositionParser(buf, length, format, names, sink);
    p.run();
    List<Family> result = new ArrayList<>(p.order.size());
    for (FamilyState f : p.order) {
      result.add(new Family(f.name, f.type, f.help == null ? "" : f.help));
    }
    return result;
  }

  private void run() throws ParseException {
    while (pos < end) {
      int lineEnd = pos;
      while (lineEnd < end && buf[lineEnd] != '\n') {
        lineEnd++;
      }
      int contentEnd = lineEnd > pos && buf[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
      line++;
      if (eof) {
        throw error("text after '# EOF'");
      }
      parseLine(pos, contentEnd);
      pos = lineEnd + 1;
    }
    if (om && !eof) {
      throw new ParseException(line, "OpenMetrics text must end with '# EOF'");
    }
  }

  private void parseLine(int from, int to) throws ParseException {
    int i = skipBlanks(from, to);
    if (i == to) {
      return;
    }
    if (buf[i] == '#') {
      comment(i + 1, to);
    } else {
      sample(i, to);
    }
  }

  private void comment(int from, int to) throws ParseException {
    int i = skipBlanks(from, to);
    int wordEnd = i;
    while (wordEnd < to && !isBlank(buf[wordEnd])) {
      wordEnd++;
    }
    String keyword = keyword(i, wordEnd);
    if (keyword == null) {
      return; // a plain comment
    }
    if (keyword.equals("EOF")) {
      if (skipBlanks(wordEnd, to) != to) {
        throw error("unexpected text after '# EOF'");
      }
      eof = true;
      return;
    }
    if (wordEnd == to) {
      throw error("'# " + keyword + "' without a metric name");
    }
    int nameStart = skipBlanks(wordEnd, to);
    int nameEnd = metricNameEnd(nameStart, to);
    if (nameEnd == nameStart) {
      throw error("'# " + keyword + "' without a valid metric name");
    }
    if (nameEnd < to && !isBlank(buf[nameEnd])) {
      throw error("invalid character '" + printable(buf[nameEnd]) + "' in metric name");
    }
    String name = names.get(buf, nameStart, nameEnd);
    int rest = nameEnd < to ? nameEnd + 1 : to;
    switch (keyword) {
      case "HELP" -> help(name, rest, to);
      case "TYPE" -> type(name, skipBlanks(rest, to), to);
      default -> { } // UNIT: not kept
    }
  }

  /** HELP and TYPE in both formats, UNIT and EOF in OpenMetrics; {@code null} for any other comment. */
  private String keyword(int from, int to) {
    int n = to - from;
    if (n == 4 && buf[from] == 'H' && buf[from + 1] == 'E' && buf[from + 2] == 'L' && buf[from + 3] == 'P') {
      return "HELP";
    }
    if (n == 4 && buf[from] == 'T' && buf[from + 1] == 'Y' && buf[from + 2] == 'P' && buf[from + 3] == 'E') {
      return "TYPE";
    }
    if (om && n == 4 && buf[from] == 'U' && buf[from + 1] == 'N' && buf[from + 2] == 'I' && buf[from + 3] == 'T') {
      return "UNIT";
    }
    if (om && n == 3 && buf[from] == 'E' && buf[from + 1] == 'O' && buf[from + 2] == 'F') {
      return "EOF";
    }
    return null;
  }

  private void help(String name, int from, int to) throws ParseException {
    FamilyState f = family(name);
    if (f.declaredHelp) {
      throw error("second HELP line for '" + name + "'");
    }
    f.declaredHelp = true;
    StringBuilder text = null;
    int i = from;
    int plainStart = from;
    for (; i < to; i++) {
      if (buf[i] == '\\' && i + 1 < to) {
        byte next = buf[i + 1];
        char c = next == 'n' ? '\n' : next == '\\' ? '\\' : next == '"' && om ? '"' : 0;
        if (c != 0) {
          if (text == null) {
            text = new StringBuilder(to - from);
          }
          text.append(new String(buf, plainStart, i - plainStart, StandardCharsets.UTF_8)).append(c);
          i++;
          plainStart = i + 1;
        }
      }
    }
    String tail = new String(buf, plainStart, to - plainStart, StandardCharsets.UTF_8);
    f.help = text == null ? tail : text.append(tail).toString();
  }

  private void type(String name, int from, int to) throws ParseException {
    int wordEnd = from;
    while (wordEnd < to && !isBlank(buf[wordEnd])) {
      wordEnd++;
    }
    if (skipBlanks(wordEnd, to) != to) {
      throw error("unexpected text after the type of '" + name + "'");
    }
    String declared = new String(buf, from, wordEnd - from, StandardCharsets.ISO_8859_1);
    String type = om ? openMetricsType(declared) : prometheusType(declared);
    if (type == null) {
      throw error("unknown metric type '" + declared + "' for '" + name + "'");
    }
    FamilyState f = family(name);
    if (f.declaredType) {
      throw error("second TYPE line for '" + name + "'");
    }
    f.declaredType = true;
    f.type = type;
    current = f;
  }

  private static String prometheusType(String t) {
    return switch (t) {
      case "counter", "gauge", "histogram", "summary", "untyped" -> t;
      default -> null;
    };
  }

  /** OpenMetrics types onto the stored ones: info and stateset are gauges, unknown and gauge histograms untyped. */
  private static String openMetricsType(String t) {
    return switch (t) {
      case "counter", "gauge", "histogram", "summary" -> t;
      case "info", "stateset" -> "gauge";
      case "unknown", "gaugehistogram" -> "untyped";
      default -> null;
    };
  }

  private FamilyState family(String name) {
    FamilyState f = families.get(name);
    if (f == null) {
      f = new FamilyState(name);
      f.type = "untyped";
      families.put(name, f);
      order.add(f);
    }
    return f;
  }

  private void sample(int from, int to) throws ParseException {
    int nameEnd = metricNameEnd(from, to);
    if (nameEnd == from) {
      throw error("expected a metric name, got '" + printable(buf[from]) + "'");
    }
    String name = names.get(buf, from, nameEnd);
    int i = skipBlanks(nameEnd, to);
    int n = 0;
    if (i < to && buf[i] == '{') {
      n = labels(i + 1, to);
      i = skipBlanks(labelsEnd, to);
    } else if (i == nameEnd && i < to) {
      throw error("invalid character '" + printable(buf[i]) + "' in metric name");
    }
    int valueStart = i;
    while (i < to && !isBlank(buf[i])) {
      i++;
    }
    if (valueStart == i) {
      throw error("no value for '" + name + "'");
    }
    double value = number(valueStart, i, "value");
    i = skipBlanks(i, to);
    if (i < to && buf[i] != '#') {
      int tsStart = i;
      while (i < to && !isBlank(buf[i])) {
        i++;
      }
      if (om) {
        number(tsStart, i, "timestamp");
      } else {
        integer(tsStart, i);
      }
      i = skipBlanks(i, to);
    }
    if (i < to) {
      if (!om || buf[i] != '#') {
        throw error("unexpected text after the value of '" + name + "'");
      }
      // an exemplar: not kept
    }
    if (isCreated(name)) {
      return;
    }
    sink.sample(name, pairs, n, value);
  }

  /** Whether {@code name} is the {@code _created} sample of the current (or a declared) family of a type that has one. */
  private boolean isCreated(String name) {
    if (!name.endsWith("_created")) {
      trackFamily(name);
      return false;
    }
    String base = name.substring(0, name.length() - "_created".length());
    FamilyState f = current != null && current.name.equals(base) ? current : families.get(base);
    if (f != null && f.declaredType && !f.type.equals("gauge")) {
      return true;
    }
    trackFamily(name);
    return false;
  }

  /** Keeps {@link #current} on the family {@code name} belongs to, adding an untyped family for an undeclared sample. */
  private void trackFamily(String name) {
    if (current != null && belongs(name, current.name)) {
      return;
    }
    FamilyState f = families.get(name);
    if (f == null) {
      for (String suffix : SUFFIXES) {
        if (name.endsWith(suffix)) {
          f = families.get(name.substring(0, name.length() - suffix.length()));
          if (f != null) {
            break;
          }
        }
      }
    }
    current = f != null ? f : family(name);
  }

  private static final String[] SUFFIXES = {"_total", "_bucket", "_count", "_sum", "_info", "_gcount", "_gsum"};

  private static boolean belongs(String sample, String family) {
    if (!sample.startsWith(family)) {
      return false;
    }
    int rest = sample.length() - family.length();
    if (rest == 0) {
      return true;
    }
    for (String suffix : SUFFIXES) {
      if (suffix.length() == rest && sample.endsWith(suffix)) {
        return true;
      }
    }
    return false;
  }

  /** Parses labels after '{' up to '}' into {@link #pairs}; returns the count and sets {@link #labelsEnd} after '}'. */
  private int labels(int from, int to) throws ParseException {
    int n = 0;
    int i = skipBlanks(from, to);
    while (true) {
      if (i >= to) {
        throw error("unterminated label set");
      }
      if (buf[i] == '}') {
        labelsEnd = i + 1;
        return n;
      }
      int nameEnd = labelNameEnd(i, to);
      if (nameEnd == i) {
        throw error("expected a label name, got '" + printable(buf[i]) + "'");
      }
      String label = names.get(buf, i, nameEnd);
      i = skipBlanks(nameEnd, to);
      if (i >= to || buf[i] != '=') {
        throw error("expected '=' after label name '" + label + "'");
      }
      i = skipBlanks(i + 1, to);
      if (i >= to || buf[i] != '"') {
        throw error("expected '\"' to start the value of label '" + label + "'");
      }
      int valueEnd = labelValueEnd(i + 1, to, label);
      String value = labelValue(i + 1, valueEnd);
      for (int k = 0; k < n; k++) {
        if (pairs[2 * k].equals(label)) {
          throw error("duplicate label '" + label + "'");
        }
      }
      if (n == MAX_LABELS) {
        throw error("more than " + MAX_LABELS + " labels");
      }
      if (2 * n + 2 > pairs.length) {
        pairs = java.util.Arrays.copyOf(pairs, pairs.length * 2);
      }
      pairs[2 * n] = label;
      pairs[2 * n + 1] = value;
      n++;
      i = skipBlanks(valueEnd + 1, to);
      if (i < to && buf[i] == ',') {
        i = skipBlanks(i + 1, to);
      } else if (i < to && buf[i] != '}') {
        throw error("expected ',' or '}' after the value of label '" + label + "'");
      }
    }
  }

  /** The index of the closing quote of a label value starting at {@code from}. */
  private int labelValueEnd(int from, int to, String label) throws ParseException {
    for (int i = from; i < to; i++) {
      byte b = buf[i];
      if (b == '"') {
        return i;
      }
      if (b == '\\') {
        if (i + 1 >= to) {
          break;
        }
        byte next = buf[i + 1];
        if (next != '\\' && next != '"' && next != 'n') {
          throw error("invalid escape '\\" + printable(next) + "' in the value of label '" + label + "'");
        }
        i++;
      }
    }
    throw error("unterminated value of label '" + label + "'");
  }

  private String labelValue(int from, int to) throws ParseException {
    boolean plain = true;
    for (int i = from; i < to; i++) {
      if (buf[i] < 0x20 || buf[i] == '\\') { // negative: a non-ASCII byte
        plain = false;
        break;
      }
    }
    if (plain) {
      return names.get(buf, from, to);
    }
    byte[] bytes = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      byte b = buf[i];
      if (b == '\\') {
        byte next = buf[++i];
        bytes[n++] = next == 'n' ? (byte) '\n' : next;
      } else {
        bytes[n++] = b;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, n)).toString();
    } catch (CharacterCodingException e) {
      throw error("label value is not valid UTF-8");
    }
  }

  /** A float: decimal or exponent notation, {@code NaN}, {@code Inf}, {@code +Inf}, {@code -Inf} (any case). */
  private double number(int from, int to, String what) throws ParseException {
    int i = from;
    boolean negative = false;
    if (buf[i] == '+' || buf[i] == '-') {
      negative = buf[i] == '-';
      i++;
    }
    long digits = 0;
    int j = i;
    while (j < to && j - i < 18 && buf[j] >= '0' && buf[j] <= '9') {
      digits = digits * 10 + (buf[j] - '0');
      j++;
    }
    if (j == to && j > i) {
      return negative ? -digits : digits;
    }
    String text = new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    String word = text.toLowerCase(Locale.ROOT);
    switch (word) {
      case "nan", "+nan", "-nan":
        return Double.NaN;
      case "inf", "+inf", "infinity", "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf", "-infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        break;
    }
    boolean digit = false;
    for (int k = from; k < to; k++) {
      byte b = buf[k];
      if (b >= '0' && b <= '9') {
        digit = true;
      } else if (b != '.' && b != 'e' && b != 'E' && b != '+' && b != '-') {
        throw error("invalid " + what + " '" + clip(text) + "'");
      }
    }
    if (!digit) {
      throw error("invalid " + what + " '" + clip(text) + "'");
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw error("invalid " + what + " '" + clip(text) + "'");
    }
  }

  /** A Prometheus text timestamp: integer milliseconds. */
  private void integer(int from, int to) throws ParseException {
    int i = buf[from] == '-' || buf[from] == '+' ? from + 1 : from;
    if (i == to || to - i > 19) {
      throw error("invalid timestamp '" + clip(new String(buf, from, to - from, StandardCharsets.ISO_8859_1)) + "'");
    }
    for (; i < to; i++) {
      if (buf[i] < '0' || buf[i] > '9') {
        throw error("invalid timestamp '" + clip(new String(buf, from, to - from, StandardCharsets.ISO_8859_1)) + "'");
      }
    }
  }

  private int metricNameEnd(int from, int to) {
    int i = from;
    if (i < to && (isLetter(buf[i]) || buf[i] == '_' || buf[i] == ':')) {
      i++;
      while (i < to && (isLetter(buf[i]) || isDigit(buf[i]) || buf[i] == '_' || buf[i] == ':')) {
        i++;
      }
    }
    return i;
  }

  private int labelNameEnd(int from, int to) {
    int i = from;
    if (i < to && (isLetter(buf[i]) || buf[i] == '_')) {
      i++;
      while (i < to && (isLetter(buf[i]) || isDigit(buf[i]) || buf[i] == '_')) {
        i++;
      }
    }
    return i;
  }

  private int skipBlanks(int from, int to) {
    int i = from;
    while (i < to && isBlank(buf[i])) {
      i++;
    }
    return i;
  }

  private static boolean isBlank(byte b) {
    return b == ' ' || b == '\t';
  }

  private static boolean isLetter(byte b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
  }

  private static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  private static String printable(byte b) {
    return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
  }

  private static String clip(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }

  private ParseException error(String message) {
    return new ParseException(line, message);
  }
}
