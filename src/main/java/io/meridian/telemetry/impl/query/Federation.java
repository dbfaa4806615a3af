package io.meridian.telemetry.impl.query;

import io.meridian.telemetry.impl.series.FederationPage;
import java.util.Map;

/**
 * Renders {@code /federate} pages in the Prometheus text format 0.0.4: one {@code # TYPE} line
 * per family (before its first series, also across pages), then
 * {@code name{label="value",…} value timestamp_ms} per series.
 */
public final class Federation {

  private Federation() {
  }

  /** The text of one page. */
  public static String render(FederationPage page) {
    StringBuilder out = new StringBuilder(page.entries().size() * 160);
    String family = page.after() == null ? null : page.after().family();
    for (FederationPage.Entry e : page.entries()) {
      if (!e.family().equals(family)) {
        family = e.family();
        out.append("# TYPE ").append(family).append(' ').append(e.type()).append('\n');
      }
      out.append(e.name());
      if (!e.labels().isEmpty()) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, String> label : e.labels().entrySet()) {
          if (!first) {
            out.append(',');
          }
          first = false;
          out.append(label.getKey()).append("=\"");
          escape(label.getValue(), out);
          out.append('"');
        }
        out.append('}');
      }
      out.append(' ');
      value(e.value(), out);
      out.append(' ').append(e.time()).append('\n');
    }
    return out.toString();
  }

  /** A label value with {@code \}, {@code "} and line feeds escaped. */
  static void escape(String value, StringBuilder out) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  /** A sample value as Prometheus parses it: {@code NaN}, {@code +Inf}, {@code -Inf}, integers without a fraction. */
  static void value(double v, StringBuilder out) {
    if (Double.isNaN(v)) {
      out.append("NaN");
    } else if (v == Double.POSITIVE_INFINITY) {
      out.append("+Inf");
    } else if (v == Double.NEGATIVE_INFINITY) {
      out.append("-Inf");
    } else if (v == Math.rint(v) && Math.abs(v) < 1e15 && !(v == 0 && 1 / v < 0)) {
      out.append((long) v);
    } else {
      out.append(v);
    }
  }
}
