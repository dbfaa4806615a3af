package io.meridian.telemetry.impl.query;

import io.meridian.common.error.ApiException;
import io.meridian.common.units.Durations;
import io.meridian.telemetry.impl.series.FederationPage;
import io.meridian.telemetry.impl.series.MemorySeriesStore;
import io.meridian.telemetry.impl.series.SeriesSelector;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The telemetry role's read operations on its store, request body in, answer out (bus actions
 * {@code series.federate}, {@code metrics.service}, {@code graph}); bad input is an
 * {@link ApiException} naming the field. Blocking work: callers run it on a worker.
 */
public final class SeriesQueries {

  /** Default and bounds of {@code window}. */
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(5);
  public static final Duration MIN_WINDOW = Duration.ofMinutes(1);
  public static final Duration MAX_WINDOW = Duration.ofHours(1);
  /** Series per federation page (the HTTP adapter streams pages). */
  public static final int FEDERATE_PAGE = 5000;
  public static final String DEFAULT_TENANT = "default";

  private final MemorySeriesStore store;
  private final LongSupplier clock;

  public SeriesQueries(MemorySeriesStore store, LongSupplier clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * One page of {@code /federate}: body {@code {"match": [selectors], "cursor": {…}?, "limit": n?}};
   * answer {@code {"text": "...", "series": n, "next": cursor|null}}.
   */
  public JsonObject federate(JsonObject body) {
    List<SeriesSelector> selectors = selectors(body.getValue("match"));
    FederationPage.Cursor cursor = null;
    Object c = body.getValue("cursor");
    if (c != null) {
      if (!(c instanceof JsonObject json)) {
        throw ApiException.badRequest("cursor", "must be an object");
      }
      try {
        cursor = FederationPage.Cursor.fromJson(json);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("cursor", e.getMessage());
      }
    }
    int limit = FEDERATE_PAGE;
    Object l = body.getValue("limit");
    if (l != null) {
      if (!(l instanceof Number n) || n.intValue() < 1 || n.intValue() > 100_000) {
        throw ApiException.badRequest("limit", "must be a number from 1 to 100000");
      }
      limit = n.intValue();
    }
    FederationPage page = store.federate(selectors, cursor, limit);
    return new JsonObject()
        .put("text", Federation.render(page))
        .put("series", page.entries().size())
        .put("next", page.next() == null ? null : page.next().toJson());
  }

  /** {@code GET /api/v1/metrics/service}: body {@code {"name", "tenant"?, "window"?}}. */
  public JsonObject service(JsonObject body) {
    String name = string(body, "name", null);
    if (name == null || name.isBlank()) {
      throw ApiException.badRequest("name", "the service's name is required");
    }
    String tenant = tenant(body);
    Duration window = window(body);
    long end = clock.getAsLong();
    long start = end - window.toMillis();
    MeshSeries series = MeshSeries.load(store, Map.of("tenant", tenant, "service", name), start, end);
    return ServiceMetrics.compute(name, tenant, window, end, series);
  }

  /** {@code GET /api/v1/graph}: body {@code {"tenant"?, "window"?}}. */
  public JsonObject graph(JsonObject body) {
    String tenant = tenant(body);
    Duration window = window(body);
    long end = clock.getAsLong();
    long start = end - window.toMillis();
    MeshSeries series = MeshSeries.load(store, Map.of("tenant", tenant), start, end);
    return ServiceGraph.compute(tenant, window, end, series);
  }

  /** The parsed {@code match[]} selectors; 400 naming {@code match[]} when absent or malformed. */
  static List<SeriesSelector> selectors(Object match) {
    if (match == null || (match instanceof JsonArray a && a.isEmpty())) {
      throw ApiException.badRequest("match[]", "at least one series selector is required, e.g. match[]={__name__=~\"meridian_.*\"}");
    }
    if (!(match instanceof JsonArray array)) {
      throw ApiException.badRequest("match[]", "must be a list of series selectors");
    }
    List<SeriesSelector> selectors = new ArrayList<>();
    for (Object item : array) {
      if (!(item instanceof String text)) {
        throw ApiException.badRequest("match[]", "must be a list of series selectors");
      }
      try {
        selectors.add(SeriesSelector.parse(text));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("match[]", "'" + text + "': " + e.getMessage());
      }
    }
    return selectors;
  }

  private static String tenant(JsonObject body) {
    String tenant = string(body, "tenant", DEFAULT_TENANT);
    return tenant.isBlank() ? DEFAULT_TENANT : tenant;
  }

  /** {@code window}: a duration from 1m to 1h, default 5m. */
  static Duration window(JsonObject body) {
    String text = string(body, "window", null);
    if (text == null || text.isBlank()) {
      return DEFAULT_WINDOW;
    }
    Duration window;
    try {
      window = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("window", e.getMessage());
    }
    if (window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
      throw ApiException.badRequest("window", "must be from 1m to 1h, was " + text);
    }
    return window;
  }

  private static String string(JsonObject body, String field, String fallback) {
    Object v = body.getValue(field);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof String s)) {
      throw ApiException.badRequest(field, "must be a string");
    }
    return s;
  }
}
