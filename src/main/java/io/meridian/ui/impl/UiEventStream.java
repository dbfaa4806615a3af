package io.meridian.ui.impl;

import io.meridian.common.Addresses;
import io.meridian.telemetry.TelemetryClient;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One browser's event stream (docs/ui.md, Server side): registry and rule changes from their
 * published bus addresses, a telemetry summary every {@link Settings#telemetryMillis} from the
 * telemetry role's bus API, heartbeats, each change type bounded by an {@link EventGate}
 * (coalesced into a {@code resync} event when a burst exceeds it). Everything runs on the
 * admin server's event loop for this connection; nothing here blocks.
 */
public final class UiEventStream {

  /** Event names on the stream. */
  public static final String HELLO = "hello";
  public static final String REGISTRY = "registry";
  public static final String RULES = "rules";
  public static final String TELEMETRY = "telemetry";
  public static final String RESYNC = "resync";
  public static final String HEARTBEAT = "heartbeat";
  public static final String BYE = "bye";

  /**
   * The stream's rates.
   *
   * @param maxEventsPerSecond registry (and rules) events per second passed before coalescing, per type
   * @param heartbeatMillis    how often a heartbeat is sent
   * @param telemetryMillis    how often a telemetry summary is sent
   * @param telemetryWindow    the window of the summary's rates ({@code 1m} … {@code 1h})
   */
  public record Settings(int maxEventsPerSecond, long heartbeatMillis, long telemetryMillis, String telemetryWindow) {
    /** What {@code /api/v1/ui/stream} uses. */
    public static final Settings DEFAULT = new Settings(20, 15_000, 5_000, "1m");
  }

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final Settings settings;
  private final String tenant;
  private final TelemetryClient telemetry;
  private final Map<String, EventGate> gates = new LinkedHashMap<>();
  private final Map<String, Long> resyncTimers = new LinkedHashMap<>();
  private final Map<String, Long> lastIndex = new LinkedHashMap<>();
  private MessageConsumer<JsonObject> registryEvents;
  private MessageConsumer<JsonObject> ruleEvents;
  private long heartbeatTimer = -1;
  private long telemetryTimer = -1;
  private boolean telemetryInFlight;
  private boolean closed;

  private UiEventStream(Vertx vertx, RoutingContext ctx, Settings settings, String tenant) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.response = ctx.response();
    this.settings = settings;
    this.tenant = tenant;
    this.telemetry = new TelemetryClient(vertx);
    gates.put(REGISTRY, new EventGate(settings.maxEventsPerSecond()));
    gates.put(RULES, new EventGate(settings.maxEventsPerSecond()));
  }

  /** Starts streaming to {@code ctx}'s response; the summary is for {@code tenant}. */
  public static void start(Vertx vertx, RoutingContext ctx, Settings settings, String tenant) {
    new UiEventStream(vertx, ctx, settings, tenant).begin();
  }

  private void begin() {
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    response.closeHandler(v -> close(false));
    ctx.request().connection().shutdownHandler(v -> close(true)); // the node is stopping
    registryEvents = vertx.eventBus().consumer(Addresses.REGISTRY_EVENTS, m -> registry(m.body()));
    ruleEvents = vertx.eventBus().consumer(Addresses.RULES_EVENTS, m -> rule(m.body()));
    registryEvents.completion().onComplete(a -> ruleEvents.completion().onComplete(b -> {
      if (closed) {
        return;
      }
      send(HELLO, new JsonObject()
          .put("tenant", tenant)
          .put("maxEventsPerSecond", settings.maxEventsPerSecond())
          .put("heartbeatSeconds", settings.heartbeatMillis() / 1000.0)
          .put("telemetrySeconds", settings.telemetryMillis() / 1000.0)
          .put("telemetryWindow", settings.telemetryWindow()));
      heartbeatTimer = vertx.setPeriodic(settings.heartbeatMillis(),
          t -> send(HEARTBEAT, new JsonObject().put("time", System.currentTimeMillis())));
      summary();
      telemetryTimer = vertx.setPeriodic(settings.telemetryMillis(), t -> summary());
    }));
  }

  private void registry(JsonObject event) {
    JsonObject compact = new JsonObject()
        .put("index", event.getLong("index"))
        .put("type", event.getString("type"))
        .put("time", event.getString("time"))
        .put("tenant", event.getString("tenant"))
        .put("id", event.getString("id"))
        .put("services", event.getJsonArray("services", new JsonArray()))
        .put("reason", event.getString("reason"));
    JsonObject instance = event.getJsonObject("instance");
    if (instance != null) {
      JsonObject status = instance.getJsonObject("status");
      compact.put("kind", instance.getString("kind")).put("health", status == null ? null : status.getString("state"));
    }
    change(REGISTRY, compact);
  }

  private void rule(JsonObject event) {
    change(RULES, new JsonObject()
        .put("index", event.getLong("index"))
        .put("type", event.getString("type"))
        .put("kind", event.getString("kind"))
        .put("namespace", event.getString("namespace"))
        .put("name", event.getString("name"))
        .put("by", event.getString("by")));
  }

  /** A change of {@code type}: sent when its gate allows and the client keeps up, else owed as a resync. */
  private void change(String type, JsonObject data) {
    if (closed) {
      return;
    }
    Long index = data.getLong("index");
    if (index != null) {
      lastIndex.merge(type, index, Math::max);
    }
    EventGate gate = gates.get(type);
    long now = System.currentTimeMillis();
    if (!gate.offer(now)) {
      scheduleResync(type);
    } else if (response.writeQueueFull()) {
      gate.lost();
      scheduleResync(type);
    } else {
      send(type, data);
    }
  }

  private void scheduleResync(String type) {
    if (resyncTimers.containsKey(type)) {
      return;
    }
    long due = gates.get(type).resyncDueAt();
    long delay = Math.max(1, due - System.currentTimeMillis());
    resyncTimers.put(type, vertx.setTimer(delay, t -> {
      resyncTimers.remove(type);
      resync(type);
    }));
  }

  private void resync(String type) {
    if (closed) {
      return;
    }
    EventGate gate = gates.get(type);
    if (response.writeQueueFull()) {
      // the client is still behind: tell it once it has read what is queued
      response.drainHandler(v -> resync(type));
      return;
    }
    long dropped = gate.takeResync(System.currentTimeMillis());
    if (dropped > 0) {
      send(RESYNC, new JsonObject().put("type", type).put("coalesced", dropped).put("index", lastIndex.get(type)));
    } else if (gate.resyncDueAt() >= 0) {
      scheduleResync(type); // its window moved on: due a little later
    }
  }

  /** Per-service gateway traffic of the tenant from the telemetry role's service graph. */
  private void summary() {
    if (closed || telemetryInFlight) {
      return;
    }
    telemetryInFlight = true;
    telemetry.request(TelemetryClient.GRAPH, new JsonObject().put("tenant", tenant).put("window", settings.telemetryWindow()))
        .onComplete(ar -> {
          telemetryInFlight = false;
          if (closed) {
            return;
          }
          JsonObject data = new JsonObject().put("tenant", tenant).put("window", settings.telemetryWindow())
              .put("time", System.currentTimeMillis());
          if (ar.succeeded()) {
            data.put("services", gatewayTraffic(ar.result()));
          } else {
            data.put("error", ar.cause().getMessage());
          }
          if (!response.writeQueueFull()) {
            send(TELEMETRY, data);
          }
        });
  }

  /**
   * The graph's gateway → service edges summed per service: {@code [{"service", "rate",
   * "errorRatio", "p99"}]}, sorted by service (rate-weighted error ratio, the largest p99).
   */
  static JsonArray gatewayTraffic(JsonObject graph) {
    Map<String, double[]> byService = new TreeMap<>(); // rate, errors, p99 (NaN = none), errorRatio known
    for (Object o : graph.getJsonArray("edges", new JsonArray())) {
      JsonObject edge = (JsonObject) o;
      if (!edge.getString("source", "").startsWith("gateway:")) {
        continue;
      }
      double[] acc = byService.computeIfAbsent(edge.getString("destination"), k -> new double[] {0, 0, Double.NaN, 0});
      double rate = edge.getDouble("rate") == null ? 0 : edge.getDouble("rate");
      acc[0] += rate;
      Double ratio = edge.getDouble("errorRatio");
      if (ratio != null) {
        acc[1] += ratio * rate;
        acc[3] = 1;
      }
      Double p99 = edge.getDouble("p99");
      if (p99 != null) {
        acc[2] = Double.isNaN(acc[2]) ? p99 : Math.max(acc[2], p99);
      }
    }
    JsonArray out = new JsonArray();
    byService.forEach((service, acc) -> out.add(new JsonObject()
        .put("service", service)
        .put("rate", acc[0])
        .put("errorRatio", acc[3] == 0 ? null : acc[0] > 0 ? acc[1] / acc[0] : 0.0)
        .put("p99", Double.isNaN(acc[2]) ? null : acc[2])));
    return out;
  }

  private void send(String event, JsonObject data) {
    if (closed || response.ended() || response.closed()) {
      return;
    }
    response.write("event: " + event + "\ndata: " + data.encode() + "\n\n");
  }

  private void close(boolean endResponse) {
    if (closed) {
      return;
    }
    if (endResponse) {
      send(BYE, new JsonObject().put("reason", "node stopping"));
    }
    closed = true;
    vertx.cancelTimer(heartbeatTimer);
    vertx.cancelTimer(telemetryTimer);
    resyncTimers.values().forEach(vertx::cancelTimer);
    resyncTimers.clear();
    registryEvents.unregister();
    ruleEvents.unregister();
    if (endResponse && !response.ended() && !response.closed()) {
      response.end();
    }
  }
}
