package io.meridian.telemetry.impl.trace;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * One line of a trace search: the root span's service and name, when it started (epoch µs), how
 * long it lasted (µs, first start to last end), how many spans, which services, and whether any
 * span reported an error.
 */
public record TraceSummary(String traceId, String rootService, String rootName, long start, long duration,
    int spanCount, List<String> services, boolean error) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("traceId", traceId)
        .put("rootService", rootService)
        .put("rootName", rootName)
        .put("start", start)
        .put("startTime", start == 0 ? null : Instant.ofEpochSecond(start / 1_000_000, (start % 1_000_000) * 1000).toString())
        .put("duration", duration)
        .put("durationMs", duration / 1000.0)
        .put("spanCount", spanCount)
        .put("services", new JsonArray(List.copyOf(services)))
        .put("error", error);
  }
}
