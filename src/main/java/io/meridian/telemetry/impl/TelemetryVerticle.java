package io.meridian.telemetry.impl;

import io.meridian.common.Addresses;
import io.meridian.common.config.TelemetryOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.BusService;
import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.meridian.telemetry.TelemetryClient;
import io.meridian.telemetry.impl.scrape.Scraper;
import io.meridian.telemetry.impl.series.SeriesStore;
import io.meridian.telemetry.impl.trace.Traces;
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
  /**
   * Where scraped series go and queries read from: set by the series block of {@link #startRole()}
   * (the series store); the scraper runs only when there is one.
   */
  SeriesStore store;

  public TelemetryVerticle(RoleContext context) {
    super("telemetry", context);
  }

  @Override
  protected Future<?> startRole() {
    options = TelemetryOptions.fromJson(config().getJsonObject("telemetry", new JsonObject()));
    consumer = vertx.eventBus().consumer(Addresses.TELEMETRY, BusService.handler(this::dispatch));
    List<Future<?>> starting = new ArrayList<>();

    // --- scraper ---
    Scraper scraper = null;
    if (!options.scrape().enabled()) {
      log.info("scraper disabled (telemetry.scrape.enabled: false)");
    } else if (store == null) {
      log.warn("scraper not started: no series store");
    } else {
      scraper = new Scraper(vertx, options.scrape(), store, roleContext.meters());
      scraper.start();
      stops.add(scraper::stop);
    }
    Scraper running = scraper;
    action(TelemetryClient.TARGETS, body -> running == null
        ? Future.succeededFuture(new JsonObject().put("targets", new io.vertx.core.json.JsonArray()).put("scraper", (Object) null))
        : running.targets(body));
    // --- end scraper ---

    // --- traces ---
    Traces traces = new Traces(vertx, options.traces(), options.export(), roleContext.meters());
    action(TelemetryClient.TRACES_QUERY, traces::query);
    action(TelemetryClient.TRACES_GET, traces::get);
    stops.add(traces::stop);
    starting.add(traces.start(Addresses.TELEMETRY_SPANS, options.zipkin()).onSuccess(port -> {
      boundPort("zipkin", port);
      log.info("Zipkin span intake listening on http://{}:{}/api/v2/spans", options.zipkin().host(), port);
    }));
    // --- end traces ---

    return Future.all(starting);
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
