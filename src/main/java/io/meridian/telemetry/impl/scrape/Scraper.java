package io.meridian.telemetry.impl.scrape;

import io.meridian.common.config.ScrapeOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.units.Durations;
import io.meridian.common.verticle.ClusterRequests;
import io.meridian.registry.RegistryView;
import io.meridian.registry.Scope;
import io.meridian.telemetry.impl.series.Family;
import io.meridian.telemetry.impl.series.Sample;
import io.meridian.telemetry.impl.series.SeriesStore;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry role's scraper (docs/telemetry.md, Scraper): discovers targets (the registry's
 * service bindings with metrics on the scraper's plane, the configured static targets, every
 * Meridian node over the bus), scrapes each on its own phase of the interval with a little
 * jitter, at most {@link ScrapeOptions#concurrency()} at once (the rest wait in a queue; a target
 * whose previous scrape is still queued or running skips the tick), parses off the event loop and
 * hands every scrape, enriched with the target's labels, to the {@link SeriesStore}.
 *
 * <p>Created, started and stopped on the role's context; every state change happens there.
 * Parsing and store writes run on a small worker pool of their own, one scrape of a target at
 * a time, so the store sees one writer per target.
 */
public final class Scraper {

  /** Target health as {@code /api/v1/telemetry/targets} shows it. */
  public static final List<String> HEALTHS = List.of("up", "down", "unknown");
  /** Target kinds. */
  public static final List<String> KINDS = List.of(ScrapeTarget.REGISTRY, ScrapeTarget.STATIC, ScrapeTarget.NODE);

  static final Family UP = new Family("up", "gauge", "1 if the target's last scrape succeeded, 0 if it failed");
  static final Family DURATION = new Family("scrape_duration_seconds", "gauge", "How long the target's last scrape took");
  static final Family SAMPLES = new Family("scrape_samples_scraped", "gauge", "Samples the target's last scrape exposed");
  /** Registry changes within this window become one re-discovery. */
  static final long REGISTRY_DEBOUNCE_MILLIS = 100;

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.telemetry.scrape");

  private final Vertx vertx;
  private final ScrapeOptions options;
  private final SeriesStore store;
  private final long intervalMs;
  private final long jitterMs;
  private final HttpFetcher http;
  private final WorkerExecutor workers;
  private final ScrapeMeters meters;
  private final Map<String, TargetState> states = new ConcurrentHashMap<>();
  private final ArrayDeque<TargetState> queue = new ArrayDeque<>();
  private int inFlight;
  private int maxInFlight;
  private volatile boolean stopping;
  private RegistryView registry;
  private long registryRetryMillis = 50;
  private long registryTimer = -1;
  private long registrySyncTimer = -1;
  private long nodesTimer = -1;

  /** One target's schedule and last result (mutated on the role's context only). */
  static final class TargetState {
    volatile ScrapeTarget target;
    final long phaseMs;
    final NameCache names = new NameCache();
    long next;
    long timer = -1;
    boolean queued;
    boolean running;
    boolean removed;
    volatile String health = "unknown";
    long lastScrape;
    String lastError;
    long lastDurationMs = -1;
    int samples;
    long scrapes;
    long failures;
    long skipped;

    TargetState(ScrapeTarget target, long intervalMs) {
      this.target = target;
      int h = target.key().hashCode();
      h ^= h >>> 16;
      h *= 0x85ebca6b;
      h ^= h >>> 13;
      this.phaseMs = Math.floorMod(h, intervalMs);
    }
  }

  public Scraper(Vertx vertx, ScrapeOptions options, SeriesStore store, MeterRegistry registry) {
    this.vertx = vertx;
    this.options = options;
    this.store = store;
    this.intervalMs = options.interval().toMillis();
    this.jitterMs = Math.max(1, Math.min(intervalMs / 100, 1000));
    this.http = new HttpFetcher(vertx, options.interval(), options.timeout(), options.maxBodySize(), options.concurrency());
    int workerThreads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), Math.min(4, options.concurrency())));
    this.workers = vertx.createSharedWorkerExecutor("meridian-scrape-" + System.identityHashCode(this), workerThreads, 5, TimeUnit.MINUTES);
    this.meters = new ScrapeMeters(registry, states.values());
  }

  /** Starts discovery and scraping (on the role's context). */
  public void start() {
    sync(ScrapeTarget.STATIC, TargetSources.statics(options.targets()));
    followRegistry();
    if (options.nodes()) {
      refreshNodes();
    }
    LOG.info("scraping every {} (timeout {}, {} at once, bodies up to {} bytes, plane {}, {} static targets{})",
        Durations.format(options.interval()), Durations.format(options.timeout()), options.concurrency(), options.maxBodySize(),
        options.plane(), options.targets().size(), options.nodes() ? ", every node" : "");
  }

  /** Stops scraping: timers cancelled, requests in flight aborted, the registry no longer followed. */
  public Future<Void> stop() {
    stopping = true;
    for (long timer : new long[] {registryTimer, registrySyncTimer, nodesTimer}) {
      vertx.cancelTimer(timer);
    }
    states.values().forEach(s -> vertx.cancelTimer(s.timer));
    queue.clear();
    meters.remove();
    Future<Void> view = registry == null ? Future.succeededFuture() : registry.close();
    return Future.join(view, http.close(), workers.close()).mapEmpty();
  }

  // --- discovery ---

  private void followRegistry() {
    if (stopping) {
      return;
    }
    RegistryView.follow(vertx, Scope.ALL).onComplete(ar -> {
      if (stopping) {
        if (ar.succeeded()) {
          ar.result().close();
        }
      } else if (ar.succeeded()) {
        registry = ar.result().onChange(e -> registryChanged()).onReload(i -> registryChanged());
        syncRegistry();
        LOG.info("following the registry: {} targets from {} instances", count(ScrapeTarget.REGISTRY), registry.instances().size());
      } else {
        LOG.debug("registry not reachable yet ({}); retrying", ar.cause().getMessage());
        registryTimer = vertx.setTimer(registryRetryMillis, t -> followRegistry());
        registryRetryMillis = Math.min(5000, registryRetryMillis * 2);
      }
    });
  }

  private void registryChanged() {
    if (registrySyncTimer >= 0 || stopping) {
      return;
    }
    registrySyncTimer = vertx.setTimer(REGISTRY_DEBOUNCE_MILLIS, t -> {
      registrySyncTimer = -1;
      syncRegistry();
    });
  }

  private void syncRegistry() {
    if (!stopping) {
      sync(ScrapeTarget.REGISTRY, TargetSources.registry(registry.instances().values(), options.plane()));
    }
  }

  private void refreshNodes() {
    if (stopping) {
      return;
    }
    ClusterRequests.members(vertx).onComplete(ar -> {
      if (ar.succeeded()) {
        sync(ScrapeTarget.NODE, TargetSources.nodes(ar.result()));
      } else {
        LOG.debug("cluster members not readable ({}); keeping the node targets", ar.cause().getMessage());
      }
      if (!stopping) {
        nodesTimer = vertx.setTimer(Math.max(1000, Math.min(intervalMs, 15_000)), t -> refreshNodes());
      }
    });
  }

  /** Makes the targets of {@code kind} exactly {@code wanted}: new ones scheduled, changed ones updated, missing ones dropped. */
  void sync(String kind, List<ScrapeTarget> wanted) {
    if (stopping) {
      return;
    }
    Set<String> keys = new HashSet<>();
    for (ScrapeTarget target : wanted) {
      keys.add(target.key());
      TargetState s = states.get(target.key());
      if (s == null) {
        s = new TargetState(target, intervalMs);
        states.put(target.key(), s);
        schedule(s, System.currentTimeMillis());
      } else {
        s.target = target; // the next scrape uses it
        if (s.removed) {
          s.removed = false;
          schedule(s, System.currentTimeMillis());
        }
      }
    }
    for (TargetState s : List.copyOf(states.values())) {
      if (s.target.kind().equals(kind) && !s.removed && !keys.contains(s.target.key())) {
        remove(s);
      }
    }
  }

  private void remove(TargetState s) {
    s.removed = true;
    vertx.cancelTimer(s.timer);
    s.timer = -1;
    if (s.queued) {
      queue.remove(s);
      s.queued = false;
    }
    if (!s.running) {
      forget(s); // else when its scrape ends, so the store hears of it after the scrape's ingest
    }
  }

  private void forget(TargetState s) {
    states.remove(s.target.key());
    store.dropTarget(s.target.key());
  }

  // --- scheduling ---

  /** Sets the timer of the target's next scrape: the first at its phase within one interval, then every interval, jittered. */
  private void schedule(TargetState s, long now) {
    long after = s.timer < 0 ? now - 1 : Math.max(s.next, now);
    s.next = after + 1 + Math.floorMod(s.phaseMs - (after + 1), intervalMs);
    long delay = s.next - now + ThreadLocalRandom.current().nextLong(jitterMs + 1);
    s.timer = vertx.setTimer(Math.max(1, delay), t -> tick(s));
  }

  private void tick(TargetState s) {
    if (stopping || s.removed) {
      return;
    }
    schedule(s, System.currentTimeMillis());
    if (s.queued || s.running) {
      s.skipped++;
      meters.skipped();
      return;
    }
    s.queued = true;
    queue.add(s);
    drain();
  }

  private void drain() {
    while (inFlight < options.concurrency() && !queue.isEmpty() && !stopping) {
      TargetState s = queue.poll();
      s.queued = false;
      scrape(s);
    }
  }

  // --- scraping ---

  private void scrape(TargetState s) {
    s.running = true;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    ScrapeTarget target = s.target;
    long time = System.currentTimeMillis();
    long started = System.nanoTime();
    Future<Body> body = target.overBus() ? fetchNode(target.url()) : http.fetch(target.url());
    body.transform(fetched -> {
      long fetchNanos = System.nanoTime() - started;
      return workers.executeBlocking(() -> process(s, target, fetched, time, fetchNanos), false);
    }).onComplete(outcome -> finished(s, target, time, System.nanoTime() - started, outcome));
  }

  private Future<Body> fetchNode(String address) {
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(options.timeout().toMillis());
    return vertx.eventBus().<Object>request(address, null, delivery).transform(ar -> {
      if (ar.failed()) {
        String why = ar.cause() instanceof io.vertx.core.eventbus.ReplyException r && r.failureType()
            == io.vertx.core.eventbus.ReplyFailure.TIMEOUT ? ScrapeFailure.TIMEOUT : ScrapeFailure.ERROR;
        return Future.failedFuture(new ScrapeFailure(why, ar.cause().getMessage()));
      }
      Object reply = ar.result().body();
      byte[] bytes = reply instanceof io.vertx.core.buffer.Buffer b ? b.getBytes() : String.valueOf(reply).getBytes(StandardCharsets.UTF_8);
      if (bytes.length > options.maxBodySize()) {
        return Future.failedFuture(new ScrapeFailure(ScrapeFailure.TOO_LARGE, "body exceeds " + options.maxBodySize() + " bytes"));
      }
      return Future.succeededFuture(new Body(bytes, bytes.length, "text/plain; version=0.0.4"));
    });
  }

  /** What a finished scrape found: the samples exposed, or why it failed. */
  private record Outcome(int samples, ScrapeFailure failure) {
  }

  /** On a worker: parses the body, enriches every sample, writes the store (only {@code up 0} on failure). */
  private Outcome process(TargetState s, ScrapeTarget target, AsyncResult<Body> fetched, long time, long fetchNanos) {
    Enrichment enrichment = new Enrichment(target.labels(), s.names);
    ScrapeFailure failure = fetched.failed() ? asFailure(fetched.cause()) : null;
    List<Sample> samples = new ArrayList<>(Math.max(16, s.samples + 3));
    Collection<Family> families = List.of(UP);
    if (failure == null) {
      Body body = fetched.result();
      try {
        List<Family> parsed = ExpositionParser.parse(body.bytes(), body.length(), ExpositionParser.Format.of(body.contentType()),
            s.names, (name, pairs, n, value) -> samples.add(enrichment.sample(name, pairs, n, value)));
        int scraped = samples.size();
        samples.add(enrichment.targetSample(UP.name(), 1));
        samples.add(enrichment.targetSample(DURATION.name(), fetchNanos / 1e9));
        samples.add(enrichment.targetSample(SAMPLES.name(), scraped));
        List<Family> all = new ArrayList<>(parsed.size() + 3);
        all.addAll(parsed);
        all.add(UP);
        all.add(DURATION);
        all.add(SAMPLES);
        if (!stopping) {
          store.ingest(target.key(), time, samples, all);
        }
        return new Outcome(scraped, null);
      } catch (ExpositionParser.ParseException e) {
        failure = new ScrapeFailure(ScrapeFailure.PARSE_ERROR, "parse error: " + e.getMessage());
        samples.clear();
      }
    }
    samples.add(enrichment.targetSample(UP.name(), 0));
    if (!stopping) {
      store.ingest(target.key(), time, samples, families);
    }
    return new Outcome(0, failure);
  }

  private static ScrapeFailure asFailure(Throwable e) {
    return e instanceof ScrapeFailure f ? f : new ScrapeFailure(ScrapeFailure.ERROR, String.valueOf(e.getMessage()));
  }

  private void finished(TargetState s, ScrapeTarget target, long time, long nanos, AsyncResult<Outcome> outcome) {
    s.running = false;
    inFlight--;
    ScrapeFailure failure = outcome.failed() ? asFailure(outcome.cause()) : outcome.result().failure();
    s.scrapes++;
    s.lastScrape = time;
    s.lastDurationMs = TimeUnit.NANOSECONDS.toMillis(nanos);
    if (failure == null) {
      s.health = "up";
      s.lastError = null;
      s.samples = outcome.result().samples();
    } else {
      s.health = "down";
      s.lastError = failure.getMessage();
      s.failures++;
      s.samples = 0;
      LOG.debug("scrape of {} failed: {}", target.key(), failure.getMessage());
    }
    meters.scraped(failure == null ? "ok" : failure.result, target.kind(), nanos);
    if (s.removed && !stopping) {
      forget(s);
    }
    drain();
  }

  // --- the targets API ---

  /**
   * The targets answer ({@code GET /api/v1/telemetry/targets}): every target sorted by key, filtered
   * by {@code health} and {@code kind} when given, and the scraper's settings and load.
   */
  public Future<JsonObject> targets(JsonObject query) {
    String health = query.getString("health");
    String kind = query.getString("kind");
    if (health != null && !HEALTHS.contains(health)) {
      return Future.failedFuture(ApiException.badRequest("health", "must be one of " + String.join(", ", HEALTHS)));
    }
    if (kind != null && !KINDS.contains(kind)) {
      return Future.failedFuture(ApiException.badRequest("kind", "must be one of " + String.join(", ", KINDS)));
    }
    JsonArray targets = new JsonArray();
    for (TargetState s : new TreeMap<>(states).values()) {
      ScrapeTarget t = s.target;
      if (s.removed || (health != null && !health.equals(s.health)) || (kind != null && !kind.equals(t.kind()))) {
        continue;
      }
      JsonObject labels = new JsonObject();
      t.labels().forEach(labels::put);
      targets.add(new JsonObject()
          .put("key", t.key())
          .put("kind", t.kind())
          .put("url", t.url())
          .put("labels", labels)
          .put("health", s.health)
          .put("lastScrape", s.lastScrape == 0 ? null : Instant.ofEpochMilli(s.lastScrape).toString())
          .put("lastError", s.lastError)
          .put("lastDurationMs", s.lastDurationMs < 0 ? null : s.lastDurationMs)
          .put("samples", s.samples)
          .put("interval", Durations.format(options.interval()))
          .put("scrapes", s.scrapes)
          .put("failures", s.failures)
          .put("skipped", s.skipped));
    }
    JsonObject scraper = new JsonObject()
        .put("interval", Durations.format(options.interval()))
        .put("timeout", Durations.format(options.timeout()))
        .put("maxBodySize", options.maxBodySize())
        .put("plane", options.plane())
        .put("concurrency", options.concurrency())
        .put("inFlight", inFlight)
        .put("maxInFlight", maxInFlight)
        .put("queued", queue.size());
    return Future.succeededFuture(new JsonObject().put("targets", targets).put("scraper", scraper));
  }

  private long count(String kind) {
    return states.values().stream().filter(s -> s.target.kind().equals(kind) && !s.removed).count();
  }
}
