package io.meridian.telemetry;

import io.meridian.common.Addresses;
import io.meridian.common.error.BusErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The telemetry role's bus API ({@link Addresses#TELEMETRY}), usable from any node. Failures
 * arrive as {@link io.meridian.common.error.ApiException}.
 */
public final class TelemetryClient {

  // --- scraper ---
  /**
   * Action {@code targets}: body {@code {"health": "up|down|unknown", "kind": "registry|static|node"}}
   * (both optional filters); reply {@code {"targets": [{key, kind, url, labels, health, lastScrape,
   * lastError, lastDurationMs, samples, interval, scrapes, failures, skipped}], "scraper": {interval,
   * timeout, maxBodySize, plane, concurrency, inFlight, maxInFlight, queued}}} ({@code scraper} is
   * {@code null} and {@code targets} empty when the scraper does not run).
   */
  public static final String TARGETS = "targets";
  // --- end scraper ---

  // --- series + queries ---
  /**
   * One page of {@code /federate}: {@code {"match": [selectors], "cursor"?, "limit"?}} →
   * {@code {"text": Prometheus text, "series": n, "next": cursor or null}}.
   */
  public static final String FEDERATE = "series.federate";
  /** A service's rate, error ratio and latency: {@code {"name", "tenant"?, "window"?}} (docs/telemetry.md). */
  public static final String SERVICE_METRICS = "metrics.service";
  /** The service graph of a tenant: {@code {"tenant"?, "window"?}} (docs/telemetry.md). */
  public static final String GRAPH = "graph";
  /** The series store's figures: series, points, estimated bytes, evicted, refused, samples ingested. */
  public static final String SERIES_STATS = "series.stats";
  // --- end series + queries ---

  /** How long the role may take to answer. */
  public static final long TIMEOUT_MS = 30_000;

  // --- traces ---
  /**
   * Trace search: body = the query parameters as strings ({@code service}, {@code spanName},
   * {@code minDuration}, {@code maxDuration}, {@code endTs}, {@code lookback}, {@code limit});
   * reply {@code {"traces": [summary…]}}, latest first; 400 naming a bad parameter.
   */
  public static final String TRACES_QUERY = "traces.query";
  /**
   * One trace: body {@code {"traceId": hex}}; reply the trace with {@code roots} (a tree of
   * {@code children}) and the flat {@code spans}, with offsets and durations; 404 when unknown.
   */
  public static final String TRACES_GET = "traces.get";
  // --- end traces ---

  private final Vertx vertx;

  public TelemetryClient(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends {@code action} with {@code body}; the reply's JSON. */
  public Future<JsonObject> request(String action, JsonObject body) {
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_ACTION, action).setSendTimeout(TIMEOUT_MS);
    return vertx.eventBus().<JsonObject>request(Addresses.TELEMETRY, body, options)
        .map(Message::body)
        .recover(failure -> Future.failedFuture(BusErrors.toApi(failure, Addresses.TELEMETRY)));
  }
}
