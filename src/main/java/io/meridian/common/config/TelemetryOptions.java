package io.meridian.common.config;

import io.vertx.core.json.JsonObject;

/**
 * The telemetry role (docs/telemetry.md).
 *
 * @param zipkin the Zipkin-compatible span intake ({@code telemetry.zipkin.port}, default 9411)
 * @param scrape the scraper: interval, limits, static targets ({@code telemetry.scrape})
 * @param series the in-memory time-series window and its memory cap ({@code telemetry.series})
 * @param traces the in-memory trace store and the intake's limits ({@code telemetry.traces})
 * @param export where spans are exported (OTLP, Zipkin) and the export queue ({@code telemetry.export})
 */
public record TelemetryOptions(ListenerOptions zipkin, ScrapeOptions scrape, SeriesOptions series, TraceOptions traces,
    ExportOptions export) {

  public static final int DEFAULT_ZIPKIN_PORT = 9411;

  static TelemetryOptions read(ConfigReader r) {
    return new TelemetryOptions(
        r.read("zipkin", zipkin -> ListenerOptions.read(zipkin, DEFAULT_ZIPKIN_PORT)),
        r.read("scrape", ScrapeOptions::read),
        r.read("series", SeriesOptions::read),
        r.read("traces", TraceOptions::read),
        r.read("export", ExportOptions::read));
  }

  /** The role's options from its config subtree (unknown keys are an error). */
  public static TelemetryOptions fromJson(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    TelemetryOptions options = read(r);
    r.requireKnownKeys();
    return options;
  }

  /** These options with the listener's host filled in. */
  public TelemetryOptions withDefaultHost(String host) {
    return new TelemetryOptions(zipkin.withDefaultHost(host), scrape, series, traces, export);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("zipkin", zipkin.toJson())
        .put("scrape", scrape.toJson())
        .put("series", series.toJson())
        .put("traces", traces.toJson())
        .put("export", export.toJson());
  }
}
