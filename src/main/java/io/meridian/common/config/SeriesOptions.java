package io.meridian.common.config;

import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The telemetry role's in-memory time series ({@code telemetry.series}): how long samples are
 * kept, and the cap on what they may take (series beyond it are refused and counted, the
 * stalest series are evicted first).
 *
 * @param retention how long a sample is kept
 * @param maxSeries the most series held at once
 * @param maxBytes  the memory budget of all samples and labels (estimated)
 */
public record SeriesOptions(Duration retention, int maxSeries, long maxBytes) {

  static SeriesOptions read(ConfigReader r) {
    return new SeriesOptions(
        r.duration("retention", Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofDays(1)),
        r.intValue("maxSeries", 1_000_000, 1, 100_000_000),
        r.size("maxBytes", 512L * 1024 * 1024, 1024 * 1024, 1L << 40));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("retention", io.meridian.common.units.Durations.format(retention))
        .put("maxSeries", maxSeries)
        .put("maxBytes", maxBytes);
  }
}
