package io.meridian.telemetry.impl.series;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One page of {@code /federate}'s answer: newest samples ordered by family, metric name and
 * series, so a family's series are contiguous across pages.
 *
 * @param entries the samples of this page
 * @param next    where the next page starts (the last entry here), {@code null} when this is the last page
 * @param after   where this page started ({@code null} for the first)
 */
public record FederationPage(List<Entry> entries, Cursor next, Cursor after) {

  /**
   * One series' newest sample.
   *
   * @param family the family ({@code # TYPE} line) it belongs to
   * @param type   {@code counter}, {@code gauge}, {@code histogram}, {@code summary} or {@code untyped}
   */
  public record Entry(String family, String type, String name, Map<String, String> labels, long time, double value) {
  }

  /** The last entry of a page: (family, name, series id). */
  public record Cursor(String family, String name, long id) {

    public JsonObject toJson() {
      return new JsonObject().put("family", family).put("name", name).put("id", id);
    }

    /** The cursor of {@link #toJson()}; {@link IllegalArgumentException} when malformed. */
    public static Cursor fromJson(JsonObject json) {
      try {
        String family = json.getString("family");
        String name = json.getString("name");
        Long id = json.getLong("id");
        if (family == null || name == null || id == null) {
          throw new IllegalArgumentException("cursor needs family, name and id");
        }
        return new Cursor(family, name, id);
      } catch (ClassCastException e) {
        throw new IllegalArgumentException("malformed cursor");
      }
    }
  }

  /** A scraped family type in the text format 0.0.4's words (OpenMetrics' extra types become gauge or untyped). */
  public static String type(String scraped) {
    String t = scraped == null ? "" : scraped.toLowerCase(Locale.ROOT);
    return switch (t) {
      case "counter", "gauge", "histogram", "summary" -> t;
      case "gaugehistogram", "stateset", "info" -> "gauge";
      default -> "untyped";
    };
  }
}
