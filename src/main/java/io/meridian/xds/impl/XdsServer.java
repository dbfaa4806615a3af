package io.meridian.xds.impl;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streams of one xDS server and the snapshot they are served from. A change of the model
 * (registry or rules) starts the debounce window; when it closes, one new snapshot is taken
 * and every stream is offered it (each sends only the types whose resources changed for it).
 *
 * <p>Confined to one event loop (the xDS verticle's).
 */
final class XdsServer {

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.xds");

  private final Vertx vertx;
  private final long debounceMillis;
  private final Supplier<Translator.Model> model;
  private final MeterRegistry meters;
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  private final Map<Set<String>, WeakReference<Set<String>>> subscriptions = new WeakHashMap<>();
  private final Timer pushLatency;
  private final Timer snapshotBuild;
  private final Map<String, Counter> pushCounters = new ConcurrentHashMap<>();
  private final Map<String, Counter> nackCounters = new ConcurrentHashMap<>();
  private final Counter withheld;
  private Snapshot snapshot;
  private long generation;
  private long timer = -1;
  private boolean pending;
  private boolean closed;
  private long firstChangeNanos;
  private long streamIds;
  private Consumer<Session> gone = this::close;

  XdsServer(Vertx vertx, Duration debounce, Supplier<Translator.Model> model, MeterRegistry meters) {
    this.vertx = vertx;
    this.debounceMillis = debounce.toMillis();
    this.model = model;
    this.meters = meters;
    Gauge.builder("meridian.xds.streams", sessions, Map::size).description("Connected ADS streams").register(meters);
    this.pushLatency = Timer.builder("meridian.xds.push.latency")
        .description("From a registry or rule change to a client being sent the result")
        .publishPercentileHistogram()
        .register(meters);
    this.snapshotBuild = Timer.builder("meridian.xds.snapshot.build")
        .description("Building a snapshot and offering it to every stream (translation, serialization, sends)")
        .publishPercentileHistogram()
        .register(meters);
    this.withheld = Counter.builder("meridian.xds.withheld")
        .description("Generated resources withheld because a client would reject them")
        .register(meters);
  }

  /** The model is loaded: take the first snapshot and answer the streams that are waiting. */
  void start() {
    firstChangeNanos = System.nanoTime();
    rebuild();
  }

  /** The current snapshot; {@code null} until {@link #start()}: streams wait for it. */
  Snapshot snapshot() {
    return snapshot;
  }

  /**
   * The one immutable copy of a subscription's names: a thousand sidecars subscribed to the same
   * thousand load assignments hold one set, not a thousand (kept while a stream uses it).
   */
  Set<String> intern(Set<String> names) {
    WeakReference<Set<String>> ref = subscriptions.get(names);
    Set<String> canonical = ref == null ? null : ref.get();
    if (canonical == null) {
      canonical = Collections.unmodifiableSet(new TreeSet<>(names));
      subscriptions.put(canonical, new WeakReference<>(canonical));
    }
    return canonical;
  }

  /** The model changed: push after the debounce window (the first change of a burst opens it). */
  void changed() {
    if (pending || snapshot == null) {
      return;
    }
    pending = true;
    firstChangeNanos = System.nanoTime();
    if (debounceMillis <= 0) {
      vertx.runOnContext(v -> rebuild());
    } else {
      timer = vertx.setTimer(debounceMillis, t -> rebuild());
    }
  }

  private void rebuild() {
    if (closed) {
      return;
    }
    pending = false;
    timer = -1;
    long start = System.nanoTime();
    snapshot = new Snapshot(++generation, model.get(), firstChangeNanos);
    for (Session session : sessions.values().toArray(new Session[0])) {
      try {
        session.push(snapshot);
      } catch (IllegalStateException e) {
        LOG.info("xDS stream {} is gone ({}); dropping it", session.id, e.getMessage());
        gone.accept(session);
      } catch (RuntimeException e) {
        LOG.error("xDS push to stream {} failed", session.id, e);
      }
    }
    snapshotBuild.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  /** Who forgets a stream found gone while pushing (the transport that owns it). */
  void onGone(Consumer<Session> handler) {
    this.gone = handler;
  }

  /** Opens a stream: {@code incremental} is null for state of the world, {@code sotw} for incremental. */
  Session open(Consumer<DiscoveryResponse> sotw, Consumer<DeltaDiscoveryResponse> incremental) {
    Session session = new Session(Long.toString(++streamIds), this, sotw, incremental);
    sessions.put(session.id, session);
    return session;
  }

  void close(Session session) {
    if (sessions.remove(session.id) != null && session.node() != null) {
      LOG.info("xDS stream {} of node {} closed", session.id, session.node().id());
    }
  }

  void closeAll() {
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    sessions.clear();
  }

  int streams() {
    return sessions.size();
  }

  // ---- callbacks from sessions -------------------------------------------------------------

  void nacked(Session session, String type, String message) {
    nackCounters.computeIfAbsent(type, t -> Counter.builder("meridian.xds.nacks")
        .description("Responses a client rejected").tag("type", TypeUrls.shortName(t)).register(meters)).increment();
    LOG.warn("node {} (stream {}) rejected {}: {}", session.node().id(), session.id, TypeUrls.shortName(type), message);
  }

  void rejected(Session session, String type, String name, String problem) {
    withheld.increment();
    LOG.error("withheld {} '{}' from node {}: {}", TypeUrls.shortName(type), name, session.node().id(), problem);
  }

  void pushed(Session session, String type, Snapshot from, boolean onChange) {
    pushCounters.computeIfAbsent(type, t -> Counter.builder("meridian.xds.pushes")
        .description("xDS responses sent").tag("type", TypeUrls.shortName(t)).register(meters)).increment();
    if (onChange) {
      pushLatency.record(System.nanoTime() - from.changedAtNanos, TimeUnit.NANOSECONDS);
    }
  }

  // ---- API ----------------------------------------------------------------------------------

  /** Every identified stream's status. */
  JsonArray clients() {
    JsonArray result = new JsonArray();
    for (Session s : sessions.values()) {
      if (s.node() != null) {
        result.add(s.status());
      }
    }
    return result;
  }

  /** What the most recent stream of node {@code id} was sent, or {@code null} when no such node is connected. */
  JsonObject configDump(String nodeId) {
    Session found = null;
    int streams = 0;
    for (Session s : sessions.values()) {
      if (s.node() != null && s.node().id().equals(nodeId)) {
        found = s;
        streams++;
      }
    }
    if (found == null) {
      return null;
    }
    JsonObject configs = new JsonObject();
    for (Map.Entry<String, Map<String, Any>> e : found.lastSent().entrySet()) {
      JsonObject typeJson = found.status().getJsonObject("types").getJsonObject(e.getKey()).copy();
      JsonArray resources = new JsonArray();
      e.getValue().values().forEach(any -> resources.add(ConfigDump.toJson(any)));
      typeJson.put("resources", resources);
      configs.put(e.getKey(), typeJson);
    }
    return new JsonObject()
        .put("node", found.node().toJson())
        .put("stream", found.id)
        .put("streams", streams)
        .put("snapshot", snapshot.generation)
        .put("configs", configs);
  }
}
