package io.meridian.registry.impl;

import io.meridian.common.Addresses;
import io.meridian.common.units.Durations;
import io.meridian.common.cluster.Replica;
import io.meridian.common.config.RegistryOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.error.ErrorCode;
import io.meridian.common.json.StrictJson;
import io.meridian.common.store.DurableIndex;
import io.meridian.common.store.Store;
import io.meridian.common.store.WriteBatch;
import io.meridian.registry.HealthPolicy;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.meridian.registry.RegistryEvent;
import io.meridian.registry.Scope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's behaviour: registrations, health, the index and the ordered event stream,
 * blocking queries. Runs on the registry verticle's event loop only.
 *
 * <p>Consistency protocol. Every change takes the next index. A change is applied to memory
 * at once (so later requests see it), written to the store, and published — event on
 * {@link Addresses#REGISTRY_EVENTS}, reply to the caller, wake-up of blocking queries — only
 * once it is durable and every earlier change has been published. Events therefore leave in
 * index order with no gaps, unless a write fails (the store is then broken and the registry
 * refuses further changes). Health transitions are not durable, but take indexes too; the
 * index survives restarts through a persisted ceiling, so it never goes backwards.
 */
final class RegistryService implements Replica.State {

  static final String MAP = "registry.instances";
  static final String META = "registry.meta";
  static final String CEILING_KEY = "index.ceiling";
  static final int EVENTS_PER_REPLY = 1000;
  static final Duration MAX_WAIT = Duration.ofMinutes(10);

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.registry.service");

  private record Pending(RegistryEvent event, Future<Void> durable, Promise<JsonObject> reply, JsonObject replyBody,
      boolean broadcast) {
  }

  private record Waiter(Predicate<RegistryEvent> filter, Runnable answer, long timer) {
  }

  private final Vertx vertx;
  private final Store store;
  private final RegistryOptions options;
  private final InstanceParser parser;
  private final RegistryState state = new RegistryState();
  private final EventRing ring;
  private final Deque<Pending> pipeline = new ArrayDeque<>();
  private final Map<Long, Waiter> waiters = new HashMap<>();
  private final Map<String, Long> ttlDeadlines = new HashMap<>();
  private final Map<String, Long> criticalSince = new HashMap<>();
  private final Map<String, Counter> eventCounters = new HashMap<>();
  private final MeterRegistry meters;
  private final MultiGauge instancesGauge;
  private HealthChecks checks;
  private Replica replica;
  private boolean leading;
  private long waiterSeq;
  private DurableIndex durableIndex;
  private long index;
  private long published;
  private boolean storeFailed;

  RegistryService(Vertx vertx, Store store, RegistryOptions options, MeterRegistry meters) {
    this.vertx = vertx;
    this.store = store;
    this.options = options;
    this.parser = new InstanceParser(options);
    this.ring = new EventRing(options.eventsRetained());
    this.meters = meters;
    Gauge.builder("meridian.registry.index", this, s -> s.published).description("Last published registry index").register(meters);
    Gauge.builder("meridian.registry.watchers", waiters, Map::size).description("Blocking queries waiting").register(meters);
    this.instancesGauge = MultiGauge.builder("meridian.registry.instances")
        .description("Registered instances by tenant, kind and health").register(meters);
  }

  void healthChecks(HealthChecks checks) {
    this.checks = checks;
  }

  /** The replica every change goes through (set before the first change). */
  void replica(Replica replica) {
    this.replica = replica;
  }

  /** Loads the durable registrations, restores the index and persists a new ceiling. */
  Future<Void> load() {
    long maxIndex = 0;
    String now = Instant.now().toString();
    for (Map.Entry<String, String> e : store.list(MAP, "")) {
      Instance stored = Instance.fromJson(new JsonObject(e.getValue()));
      // after a restart every instance is passing until its next heartbeat window or check says otherwise
      Instance loaded = stored.withStatus(new HealthStatus(HealthStatus.PASSING, "registry restarted", now, now), stored.modifyIndex());
      state.put(loaded);
      maxIndex = Math.max(maxIndex, stored.modifyIndex());
    }
    durableIndex = new DurableIndex(store, META, CEILING_KEY, maxIndex);
    index = durableIndex.current();
    published = index;
    refreshInstanceGauge();
    LOG.info("loaded {} instances; registry index {}", state.size(), index);
    return store.write(durableIndex.reserve());
  }

  // ---- replication -------------------------------------------------------------------------

  /**
   * Starts or stops the leader's work: TTL windows (each starts afresh: heartbeats went to the
   * previous leader), deregistration deadlines of critical instances, active checks.
   */
  @Override
  public void leading(boolean lead) {
    leading = lead;
    ttlDeadlines.clear();
    criticalSince.clear();
    if (!lead) {
      if (checks != null) {
        state.all().forEach(i -> checks.cancel(i.id()));
      }
      return;
    }
    long now = System.nanoTime();
    for (Instance i : state.all()) {
      HealthPolicy health = i.spec().health();
      if (health.isTtl()) {
        ttlDeadlines.put(i.id(), now + health.ttl().toNanos());
      }
      trackStatus(i.id(), i.status() == null ? HealthStatus.PASSING : i.status().state());
      if (checks != null && health.isActive()) {
        checks.schedule(i, true);
      }
    }
  }

  @Override
  public JsonObject snapshot() {
    return new JsonObject().put("instances", new JsonArray(state.all().stream().map(Instance::toJson).toList()));
  }

  @Override
  public Future<Void> install(long installed, JsonObject snapshot) {
    WriteBatch batch = new WriteBatch();
    Map<String, Instance> incoming = new HashMap<>();
    for (Object o : snapshot.getJsonArray("instances", new JsonArray())) {
      Instance i = Instance.fromJson((JsonObject) o);
      incoming.put(i.id(), i);
    }
    for (Map.Entry<String, String> e : store.list(MAP, "")) {
      if (!incoming.containsKey(e.getKey())) {
        batch.delete(MAP, e.getKey());
      }
    }
    for (Instance i : List.copyOf(state.all())) {
      state.remove(i.id());
    }
    for (Instance i : incoming.values()) {
      state.put(i);
      batch.put(MAP, i.id(), i.toStoredJson().encode());
    }
    durableIndex.resetTo(installed, batch);
    index = installed;
    published = installed;
    ring.clear();
    releaseWaiters();
    refreshInstanceGauge();
    LOG.info("installed the leader's snapshot: {} instances at index {}", incoming.size(), installed);
    return store.write(batch);
  }

  /** A change the leader made: applied to memory now, durable when the future completes, published here only. */
  @Override
  public Future<Void> apply(long idx, JsonObject entry) {
    RegistryEvent event = RegistryEvent.fromJson(entry);
    WriteBatch batch = new WriteBatch();
    Instance instance = event.instance();
    if (RegistryEvent.DEREGISTERED.equals(event.type())) {
      state.remove(event.id());
      batch.delete(MAP, event.id());
    } else {
      state.put(instance);
      if (!RegistryEvent.HEALTH.equals(event.type())) {
        batch.put(MAP, instance.id(), instance.toStoredJson().encode());
      }
    }
    durableIndex.advanceTo(idx, batch);
    index = idx;
    Future<Void> durable = store.write(batch);
    Promise<Void> done = Promise.promise();
    pipeline.add(new Pending(event, durable, null, null, false));
    durable.onComplete(ar -> {
      drain();
      done.handle(ar);
    });
    return done.future();
  }

  // ---- writes ------------------------------------------------------------------------------

  /** Parses and registers a raw registration document. */
  Future<JsonObject> register(String rawBody, String by) {
    if (rawBody == null) {
      return Future.failedFuture(ApiException.badRequest(null, "request body is empty: expected a JSON object"));
    }
    if (rawBody.getBytes(StandardCharsets.UTF_8).length > options.maxBodySize()) {
      return Future.failedFuture(new ApiException(ErrorCode.PAYLOAD_TOO_LARGE,
          "registration exceeds " + options.maxBodySize() + " bytes (registry.maxBodySize)"));
    }
    try {
      InstanceParser.Parsed parsed = parser.parse(StrictJson.parseObject(rawBody));
      return register(parsed.spec(), parsed.warnings(), by);
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
  }

  InstanceParser parser() {
    return parser;
  }

  /** Registers (or re-registers) a parsed instance: an idempotent upsert by id. */
  Future<JsonObject> register(InstanceSpec spec, List<String> warnings, String by) {
    if (storeFailed) {
      return Future.failedFuture(storeFailure());
    }
    Instance previous = state.get(spec.id());
    if (previous != null && !previous.tenant().equals(spec.tenant())) {
      return Future.failedFuture(ApiException.conflict("instance id '" + spec.id() + "' is registered in tenant '"
          + previous.tenant() + "'; deregister it there first"));
    }
    String now = Instant.now().toString();
    JsonObject reply = new JsonObject().put("warnings", new JsonArray(warnings));
    if (previous != null && previous.spec().equals(spec)) {
      // same registration again: nothing changes, but it counts as a heartbeat
      refreshTtl(previous);
      return Future.succeededFuture(reply.put("instance", previous.toJson()).put("created", false).put("changed", false));
    }
    WriteBatch batch = new WriteBatch();
    long idx = nextIndex(batch);
    HealthStatus status = previous != null && previous.spec().health().equals(spec.health()) ? previous.status()
        : new HealthStatus(spec.health().policy().equals("none") ? HealthStatus.PASSING : spec.health().initialStatus(),
            "registered", now, now);
    Instance instance = new Instance(spec, previous == null ? 1 : previous.revision() + 1,
        previous == null ? idx : previous.createIndex(), idx, now, by, status);
    batch.put(MAP, spec.id(), instance.toStoredJson().encode());
    Future<Void> durable = store.write(batch);

    state.put(instance);
    trackStatus(instance.id(), status.state());
    ttlDeadlines.remove(instance.id());
    refreshTtl(instance);
    boolean healthChanged = previous == null || !previous.spec().health().equals(spec.health());
    if (checks != null && healthChanged) {
      // an unchanged policy keeps its schedule (checks read the instance's current addresses)
      if (spec.health().isActive()) {
        checks.schedule(instance, true);
      } else {
        checks.cancel(instance.id());
      }
    }
    List<String> services = union(previous, instance);
    RegistryEvent event = new RegistryEvent(idx, previous == null ? RegistryEvent.REGISTERED : RegistryEvent.UPDATED, now,
        spec.tenant(), spec.id(), services, instance, "registered by " + by);
    reply.put("instance", instance.toJson()).put("created", previous == null).put("changed", true);
    return enqueue(event, durable, reply);
  }

  /** Deregisters by id; 404 when unknown. */
  Future<JsonObject> deregister(String id, String reason) {
    if (storeFailed) {
      return Future.failedFuture(storeFailure());
    }
    Instance previous = state.get(id);
    if (previous == null) {
      return Future.failedFuture(ApiException.notFound("no instance '" + id + "'"));
    }
    WriteBatch batch = new WriteBatch().delete(MAP, id);
    long idx = nextIndex(batch);
    Future<Void> durable = store.write(batch);
    state.remove(id);
    ttlDeadlines.remove(id);
    criticalSince.remove(id);
    if (checks != null) {
      checks.cancel(id);
    }
    String now = Instant.now().toString();
    RegistryEvent event = new RegistryEvent(idx, RegistryEvent.DEREGISTERED, now, previous.tenant(), id,
        previous.spec().serviceNames(), previous, reason);
    return enqueue(event, durable, new JsonObject().put("instance", previous.toJson()));
  }

  /**
   * A heartbeat (TTL pass) or a Consul check update: refreshes the TTL window and sets the
   * status ({@code passing} unless given). 404 when unknown, 409 when the instance has no TTL.
   */
  Future<JsonObject> heartbeat(String id, String status, String output) {
    Instance instance = state.get(id);
    if (instance == null) {
      return Future.failedFuture(ApiException.notFound("no instance '" + id + "'"));
    }
    if (!instance.spec().health().isTtl()) {
      return Future.failedFuture(ApiException.conflict("instance '" + id + "' has health policy '"
          + instance.spec().health().policy() + "', not ttl: it takes no heartbeats"));
    }
    String desired = status == null ? HealthStatus.PASSING : status;
    if (!HealthStatus.STATES.contains(desired)) {
      return Future.failedFuture(ApiException.badRequest("status", "must be one of " + String.join(", ", HealthStatus.STATES)));
    }
    refreshTtl(instance);
    String text = output != null ? output : desired.equals(HealthStatus.PASSING) ? "heartbeat" : "set to " + desired;
    Instance after = setStatus(instance, desired, text, "heartbeat");
    return Future.succeededFuture(new JsonObject().put("id", id).put("status", after.status().toJson()));
  }

  /** An active check's verdict (from {@link HealthChecks}). */
  void checkResult(String id, String status, String output) {
    Instance instance = state.get(id);
    if (instance != null && leading) {
      setStatus(instance, status, output, "check");
    }
  }

  /** Marks expired TTLs critical and deregisters instances critical for longer than deregisterAfter. */
  void sweep() {
    if (!leading) {
      return;
    }
    long now = System.nanoTime();
    List<String> expired = new ArrayList<>();
    for (Map.Entry<String, Long> e : ttlDeadlines.entrySet()) {
      if (now - e.getValue() > 0) {
        expired.add(e.getKey());
      }
    }
    for (String id : expired) {
      Instance instance = state.get(id);
      ttlDeadlines.remove(id);
      if (instance != null && !HealthStatus.CRITICAL.equals(instance.status().state())) {
        setStatus(instance, HealthStatus.CRITICAL, "TTL of " + Durations.format(instance.spec().health().ttl())
            + " expired: no heartbeat since " + instance.status().checkedAt(), "ttl");
      }
    }
    if (storeFailed) {
      return;
    }
    List<String> deregister = new ArrayList<>();
    for (Map.Entry<String, Long> e : criticalSince.entrySet()) {
      Instance instance = state.get(e.getKey());
      Duration after = instance == null ? null : instance.spec().health().deregisterAfter();
      if (after != null && now - e.getValue() > after.toNanos()) {
        deregister.add(e.getKey());
      }
    }
    for (String id : deregister) {
      Duration after = state.get(id).spec().health().deregisterAfter();
      deregister(id, "critical for longer than deregisterAfter (" + Durations.format(after) + ")")
          .onFailure(e -> LOG.warn("automatic deregistration of {} failed: {}", id, e.getMessage()));
    }
  }

  private Instance setStatus(Instance instance, String desired, String output, String cause) {
    String now = Instant.now().toString();
    HealthStatus current = instance.status();
    if (current != null && current.state().equals(desired)) {
      Instance refreshed = instance.withStatus(new HealthStatus(desired, output, current.since(), now), instance.modifyIndex());
      state.put(refreshed);
      return refreshed;
    }
    // health is not stored (a restart starts every instance passing), but its index is
    WriteBatch batch = new WriteBatch();
    long idx = nextIndex(batch);
    Future<Void> durable = store.write(batch);
    Instance changed = instance.withStatus(new HealthStatus(desired, output, now, now), idx);
    state.put(changed);
    trackStatus(changed.id(), desired);
    String reason = (current == null ? "?" : current.state()) + " -> " + desired + " (" + cause + "): " + output;
    enqueue(new RegistryEvent(idx, RegistryEvent.HEALTH, now, changed.tenant(), changed.id(), changed.spec().serviceNames(),
        changed, reason), durable, null);
    return changed;
  }

  private void trackStatus(String id, String status) {
    if (HealthStatus.CRITICAL.equals(status)) {
      criticalSince.putIfAbsent(id, System.nanoTime());
    } else {
      criticalSince.remove(id);
    }
  }

  private void refreshTtl(Instance instance) {
    HealthPolicy health = instance.spec().health();
    if (health.isTtl()) {
      ttlDeadlines.put(instance.id(), System.nanoTime() + health.ttl().toNanos());
    }
  }

  /** Takes the next index; adds a ceiling bump to {@code batch} when the index reaches the persisted ceiling. */
  private long nextIndex(WriteBatch batch) {
    index = durableIndex.next(batch);
    return index;
  }

  /**
   * Queues a change made here (the leader) for publication: once it is durable here and on
   * every in-sync follower, and every earlier change is published.
   */
  private Future<JsonObject> enqueue(RegistryEvent event, Future<Void> localDurable, JsonObject replyBody) {
    Promise<JsonObject> reply = replyBody == null ? null : Promise.promise();
    Future<Void> durable = replica == null ? localDurable
        : Future.all(localDurable, replica.replicate(event.index(), event.toJson())).mapEmpty();
    pipeline.add(new Pending(event, durable, reply, replyBody, true));
    durable.onComplete(ar -> drain());
    return reply == null ? Future.succeededFuture() : reply.future();
  }

  private void drain() {
    while (!pipeline.isEmpty() && pipeline.peek().durable().isComplete()) {
      Pending p = pipeline.poll();
      if (p.durable().failed() && p.durable().cause() instanceof ApiException refused
          && (refused.code() == ErrorCode.NOT_LEADER || refused.code() == ErrorCode.UNAVAILABLE)) {
        // the replication was refused (this node no longer leads, or lost its quorum): not
        // acknowledged, not published; the leader's snapshot replaces this state when this
        // node follows it
        if (p.reply() != null) {
          p.reply().fail(refused);
        }
        continue;
      }
      if (p.durable().failed()) {
        if (!storeFailed) {
          storeFailed = true;
          LOG.error("registry write failed; the registry refuses changes until restarted: {}", p.durable().cause().getMessage());
        }
        if (p.reply() != null) {
          p.reply().fail(storeFailure());
        }
        continue;
      }
      publish(p.event(), p.broadcast());
      if (p.reply() != null) {
        p.reply().complete(p.replyBody());
      }
    }
  }

  private void publish(RegistryEvent event, boolean broadcast) {
    published = event.index();
    ring.add(event);
    if (broadcast) {
      vertx.eventBus().publish(Addresses.REGISTRY_EVENTS, event.toJson());
    }
    eventCounters.computeIfAbsent(event.type(), t -> Counter.builder("meridian.registry.events")
        .description("Registry change events published").tag("type", t).register(meters)).increment();
    if (!waiters.isEmpty()) {
      Iterator<Map.Entry<Long, Waiter>> it = waiters.entrySet().iterator();
      while (it.hasNext()) {
        Waiter w = it.next().getValue();
        if (w.filter().test(event)) {
          it.remove();
          vertx.cancelTimer(w.timer());
          w.answer().run();
        }
      }
    }
  }

  private static ApiException storeFailure() {
    return new ApiException(ErrorCode.UNAVAILABLE, "the registry's store failed; changes are refused until the node restarts");
  }

  private static List<String> union(Instance previous, Instance current) {
    LinkedHashSet<String> names = new LinkedHashSet<>(current.spec().serviceNames());
    if (previous != null) {
      names.addAll(previous.spec().serviceNames());
    }
    return List.copyOf(names);
  }

  // ---- reads -------------------------------------------------------------------------------

  Instance instance(String id) {
    return state.get(id);
  }

  /** The instance as JSON; 404 when unknown. */
  JsonObject get(String id) {
    Instance instance = state.get(id);
    if (instance == null) {
      throw ApiException.notFound("no instance '" + id + "'");
    }
    return new JsonObject().put("index", index).put("instance", instance.toJson());
  }

  /** Finds the instance whose Consul check id is {@code checkId}, or {@code null}. */
  Instance byCheckId(String checkId) {
    if (checkId.startsWith("service:")) {
      Instance direct = state.get(checkId.substring("service:".length()));
      if (direct != null && direct.spec().health().checkId() == null) {
        return direct;
      }
    }
    for (Instance i : state.all()) {
      if (checkId.equals(i.spec().health().checkId())) {
        return i;
      }
    }
    return null;
  }

  List<Instance> instances(String tenant, String service, String plane, String kind) {
    return state.instances(tenant, service, plane, kind);
  }

  Future<JsonObject> instancesQuery(String tenant, String service, String plane, String kind, long since, Duration wait) {
    return blocking(since, wait, e -> e.concerns(tenant, service), () -> new JsonObject()
        .put("index", index)
        .put("instances", new JsonArray(state.instances(tenant, service, plane, kind).stream().map(Instance::toJson).toList())));
  }

  Future<JsonObject> servicesQuery(String tenant, long since, Duration wait) {
    return blocking(since, wait, e -> e.concerns(tenant, null), () -> new JsonObject()
        .put("index", index).put("services", state.services(tenant)));
  }

  Future<JsonObject> endpointsQuery(String service, String tenant, String plane, String version, boolean healthy,
      long since, Duration wait) {
    List<String> planes = options.effectivePlanes().stream().map(RegistryOptions.Plane::name).toList();
    String effectivePlane = plane;
    if (effectivePlane == null) {
      if (planes.size() != 1) {
        return Future.failedFuture(ApiException.badRequest("plane", "is required: endpoints are resolved for one plane (planes: "
            + String.join(", ", planes) + ")"));
      }
      effectivePlane = planes.get(0);
    }
    String p = effectivePlane;
    return blocking(since, wait, e -> e.concerns(tenant, service), () -> new JsonObject()
        .put("index", index).put("service", service).put("tenant", tenant).put("plane", p)
        .put("endpoints", state.endpoints(service, tenant, p, version, healthy)));
  }

  /** The scoped view: every instance the scope sees, projected. */
  Future<JsonObject> viewQuery(Scope scope, long since, Duration wait) {
    return blocking(since, wait, e -> scope.project(e.instance()) != null, () -> {
      JsonArray instances = new JsonArray();
      for (Instance i : state.instances(null, null, null, null)) {
        Instance projected = scope.project(i);
        if (projected != null) {
          instances.add(projected.toJson());
        }
      }
      return new JsonObject().put("index", index).put("scope", scope.toJson()).put("instances", instances);
    });
  }

  /** The planes in effect, for forms that offer them: {@code {"strictPlanes", "declared", "planes"}}. */
  JsonObject planes() {
    return new JsonObject()
        .put("strictPlanes", options.strictPlanes())
        .put("declared", !options.planes().isEmpty())
        .put("planes", new JsonArray(options.effectivePlanes().stream().map(RegistryOptions.Plane::toJson).toList()));
  }

  /** Published events after {@code since} ({@code reset: true} when they are no longer kept). */
  JsonObject events(long since) {
    if (since < 0) {
      return new JsonObject().put("index", published).put("events", new JsonArray());
    }
    List<RegistryEvent> events = ring.since(since, published, EVENTS_PER_REPLY);
    if (events == null) {
      return new JsonObject().put("index", published).put("reset", true);
    }
    JsonArray array = new JsonArray(events.stream().map(RegistryEvent::toJson).toList());
    boolean more = !events.isEmpty() && events.get(events.size() - 1).index() < published;
    return new JsonObject().put("index", published).put("events", array).put("more", more);
  }

  /**
   * A blocking query: answers {@code query} now, unless {@code since > 0} and nothing matching
   * {@code filter} changed after {@code since}; then when a matching change is published, or
   * after {@code wait} (plus up to wait/16 of jitter, like Consul).
   */
  <T> Future<T> blocking(long since, Duration wait, Predicate<RegistryEvent> filter, Supplier<T> query) {
    if (since <= 0 || wait == null || wait.isZero()) {
      return Future.succeededFuture(query.get());
    }
    if (since < index) {
      Boolean changed = ring.anyAfter(since, filter);
      boolean pendingMatch = pipeline.stream().anyMatch(p -> p.event().index() > since && filter.test(p.event()));
      if ((changed == null || changed) && !pendingMatch) {
        return Future.succeededFuture(query.get());
      }
    }
    Predicate<RegistryEvent> newer = e -> e.index() > since && filter.test(e);
    Duration bounded = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
    long millis = bounded.toMillis() + ThreadLocalRandom.current().nextLong(bounded.toMillis() / 16 + 1);
    Promise<T> promise = Promise.promise();
    Runnable answer = () -> promise.tryComplete(query.get());
    long id = ++waiterSeq;
    long timer = vertx.setTimer(Math.max(1, millis), t -> {
      if (waiters.remove(id) != null) {
        answer.run();
      }
    });
    waiters.put(id, new Waiter(newer, answer, timer));
    return promise.future();
  }

  /** Answers every parked blocking query now (on stop). */
  void releaseWaiters() {
    for (Waiter w : waiters.values()) {
      vertx.cancelTimer(w.timer());
      w.answer().run();
    }
    waiters.clear();
  }

  /** Recomputes the instances-by-tenant/kind/status gauge. */
  void refreshInstanceGauge() {
    Map<List<String>, Integer> counts = new HashMap<>();
    for (Instance i : state.all()) {
      counts.merge(List.of(i.tenant(), i.spec().kind(), i.status() == null ? "unknown" : i.status().state()), 1, Integer::sum);
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach((k, n) -> rows.add(MultiGauge.Row.of(Tags.of("tenant", k.get(0), "kind", k.get(1), "status", k.get(2)), n)));
    instancesGauge.register(rows, true);
  }

  @Override
  public long index() {
    return index;
  }

  @Override
  public long applied() {
    return durableIndex.applied();
  }

  int size() {
    return state.size();
  }
}
