package io.meridian.telemetry.impl;

import io.meridian.common.Addresses;
import io.meridian.common.config.TelemetryOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.BusService;
import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.meridian.telemetry.TelemetryClient;
import io.meridian.common.cluster.Replica;
import io.meridian.common.config.RoleNames;
import io.meridian.telemetry.impl.scrape.Scraper;
import io.meridian.telemetry.impl.trace.ZipkinJson;
import io.meridian.telemetry.impl.trace.Traces;

import io.meridian.telemetry.impl.query.SeriesQueries;
import io.meridian.telemetry.impl.series.MemorySeriesStore;
import io.meridian.telemetry.impl.series.SeriesStore;
import io.meridian.telemetry.impl.series.SeriesStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The telemetry role (docs/telemetry.md). Config section {@code telemetry}
 * ({@link TelemetryOptions}); bus service on {@link Addresses#TELEMETRY}.
 */
public final class TelemetryVerticle extends RoleVerticle {

  private TelemetryOptions options;
  private final Map<String, Function<JsonObject, Future<JsonObject>>> actions = new HashMap<>();
  /** Stopped in reverse order of start. */
  private final List<java.util.function.Supplier<Future<?>>> stops = new ArrayList<>();
  private MessageConsumer<JsonObject> consumer;
  private Replica replica;
  private volatile Scraper scraper;
  /** Action: spans another telemetry node passes to the leader ({@code {"spans": [Zipkin v2 …]}}). */
  static final String SPANS = "spans";
  /** The time series (docs/telemetry.md): the scraper writes, the queries and /federate read. */
  private MemorySeriesStore seriesStore;
  /** How often the series store applies its retention. */
  static final long MAINTENANCE_MILLIS = 30_000;

  public TelemetryVerticle(RoleContext context) {
    super("telemetry", context);
  }

  @Override
  protected Future<?> startRole() {
    options = TelemetryOptions.fromJson(config().getJsonObject("telemetry", new JsonObject()));

    // --- series + queries ---
    seriesStore = new MemorySeriesStore(options.series(), System::currentTimeMillis,
        task -> vertx.executeBlocking(() -> {
          task.run();
          return null;
        }, false), roleContext.meters());
    SeriesQueries queries = new SeriesQueries(seriesStore, System::currentTimeMillis);
    action(TelemetryClient.FEDERATE, body -> vertx.executeBlocking(() -> queries.federate(body), false));
    action(TelemetryClient.SERVICE_METRICS, body -> vertx.executeBlocking(() -> queries.service(body), false));
    action(TelemetryClient.GRAPH, body -> vertx.executeBlocking(() -> queries.graph(body), false));
    action(TelemetryClient.SERIES_STATS, body -> vertx.executeBlocking(() -> statsJson(seriesStore.stats()), false));
    long maintenance = vertx.setPeriodic(MAINTENANCE_MILLIS, id -> vertx.executeBlocking(() -> {
      seriesStore.maintain();
      return null;
    }, false));
    stops.add(() -> {
      vertx.cancelTimer(maintenance);
      seriesStore.closeMeters();
      return Future.succeededFuture();
    });
    // --- end series + queries ---

    List<Future<?>> starting = new ArrayList<>();

    // --- scraper: on the telemetry leader only (started and stopped by leading(), below) ---
    if (!options.scrape().enabled()) {
      log.info("scraper disabled (telemetry.scrape.enabled: false)");
    }
    action(TelemetryClient.TARGETS, body -> scraper == null
        ? Future.succeededFuture(new JsonObject().put("targets", new io.vertx.core.json.JsonArray()).put("scraper", (Object) null))
        : scraper.targets(body));
    stops.add(() -> scraper == null ? Future.succeededFuture() : scraper.stop());
    // --- end scraper ---

    // --- traces ---
    Traces traces = new Traces(vertx, options.traces(), options.export(), roleContext.meters());
    action(TelemetryClient.TRACES_QUERY, traces::query);
    action(TelemetryClient.TRACES_GET, traces::get);
    action(SPANS, body -> {
      traces.intake().fromBus(body.getJsonArray("spans", new io.vertx.core.json.JsonArray()));
      return Future.succeededFuture(new JsonObject());
    });
    // spans reaching a node that does not lead go to the leader, which holds the traces
    traces.intake().forwardWhen(spans -> {
      if (replica == null || replica.leading()) {
        return false;
      }
      replica.atLeader(SPANS, new JsonObject().put("spans", new io.vertx.core.json.JsonArray(ZipkinJson.encode(spans))),
          "telemetry", this::dispatch).onFailure(e -> log.warn("{} spans not passed to the telemetry leader: {}",
          spans.size(), e.getMessage()));
      return true;
    });
    stops.add(traces::stop);
    starting.add(traces.start(Addresses.TELEMETRY_SPANS, options.zipkin()).onSuccess(port -> {
      boundPort("zipkin", port);
      log.info("Zipkin span intake listening on http://{}:{}/api/v2/spans", options.zipkin().host(), port);
    }));
    // --- end traces ---

    // --- the leader: one telemetry node scrapes and holds the series and traces; the others pass on ---
    replica = new Replica(vertx, roleContext.store(), RoleNames.TELEMETRY, roleContext.membership(), new Leadership(),
        Replica.Options.DEFAULT);
    starting.add(replica.start(this::dispatch).compose(v -> replica.settled()).onSuccess(v ->
        consumer = vertx.eventBus().consumer(Addresses.TELEMETRY, BusService.handler((action, body, by) ->
            replica.atLeader(action, body, by, this::dispatch)))));
    stops.add(() -> replica.stop());
    return Future.all(starting);
  }

  /**
   * The telemetry role replicates nothing: its series and traces live on its leader, and a new
   * leader starts afresh. Leading means scraping.
   */
  private final class Leadership implements Replica.State {
    @Override
    public long index() {
      return 0;
    }

    @Override
    public JsonObject snapshot() {
      return new JsonObject();
    }

    @Override
    public Future<Void> install(long index, JsonObject snapshot) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> apply(long index, JsonObject entry) {
      return Future.succeededFuture();
    }

    @Override
    public void leading(boolean leading) {
      if (leading && scraper == null && options.scrape().enabled()) {
        scraper = new Scraper(vertx, options.scrape(), seriesStore, roleContext.meters());
        scraper.start();
        log.info("leading the telemetry role: scraping");
      } else if (!leading && scraper != null) {
        Scraper stopping = scraper;
        scraper = null;
        stopping.stop();
        log.info("no longer leading the telemetry role: scraping stopped");
      }
    }
  }

  @Override
  public JsonObject replication() {
    return replica == null ? null : replica.describe();
  }

  /** The role's series store (created first in {@link #startRole()}); {@code null} before start. */
  SeriesStore seriesStore() {
    return seriesStore;
  }

  private static JsonObject statsJson(MemorySeriesStore.Stats stats) {
    double perPoint = stats.bytesPerPoint();
    return new JsonObject()
        .put("series", stats.series())
        .put("points", stats.points())
        .put("bytes", stats.bytes())
        .put("maxBytes", stats.maxBytes())
        .put("bytesPerPoint", Double.isNaN(perPoint) ? null : Math.round(perPoint * 100) / 100.0)
        .put("evicted", stats.evicted())
        .put("refused", stats.refused())
        .put("samplesIngested", stats.samplesIngested());
  }

  /** Adds an operation of the role's bus service. */
  private void action(String name, Function<JsonObject, Future<JsonObject>> operation) {
    actions.put(name, operation);
  }

  private Future<JsonObject> dispatch(String action, JsonObject body, String by) {
    Function<JsonObject, Future<JsonObject>> operation = actions.get(action);
    if (operation == null) {
      return Future.failedFuture(ApiException.badRequest(Addresses.HEADER_ACTION, "unknown telemetry action '" + action + "'"));
    }
    return operation.apply(body);
  }

  @Override
  protected Future<?> stopRole() {
    Future<?> done = consumer == null ? Future.succeededFuture() : consumer.unregister();
    for (int i = stops.size() - 1; i >= 0; i--) {
      var stop = stops.get(i);
      done = done.transform(x -> stop.get());
    }
    return done;
  }
}
