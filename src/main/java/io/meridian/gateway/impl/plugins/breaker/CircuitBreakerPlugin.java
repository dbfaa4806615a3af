package io.meridian.gateway.impl.plugins.breaker;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PolicyTarget;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Circuit breakers per upstream service and subset, configured by {@code CircuitBreakerPolicy}
 * rules (docs/gateway.md, Circuit breakers). Runs in {@link Phase#ROUTE} after the routing step, so it
 * decides on the final destination (a plugin that changed headers may have re-routed the
 * request): an open breaker refuses with 503 {@code circuit_open} and {@code Retry-After}
 * without touching the upstream. The exchange's final outcome (after retries) feeds the breaker
 * that admitted it.
 *
 * <p>Breakers outlive route tables: they are kept by tenant, service and subset, and a rebuild
 * reuses a breaker while its rule (name and settings) is the same; {@link #retain} drops those
 * no table uses any more.
 */
public final class CircuitBreakerPlugin implements GatewayPlugin {

  private static final Logger LOG = LoggerFactory.getLogger(CircuitBreakerPlugin.class);

  /** The answer's error code when a breaker refuses a request. */
  public static final String CIRCUIT_OPEN = "circuit_open";

  private static final Exchange.Key<Slot> ADMITTED_BY = new Exchange.Key<>("breaker.slot");
  private static final Exchange.Key<CircuitBreaker.Period> PERMIT = new Exchange.Key<>("breaker.permit");
  private static final Exchange.Key<Slot> REFUSED_BY = new Exchange.Key<>("breaker.refused");

  /** A breaker's identity; {@code subset} is empty for a policy on the whole service. */
  public record BreakerKey(String tenant, String service, String subset) {
  }

  /** One breaker with the rule it came from and its meters. */
  static final class Slot {
    final BreakerKey key;
    final String policy;
    final CircuitBreaker breaker;
    final Counter rejections;

    Slot(BreakerKey key, String policy, CircuitBreaker breaker, Counter rejections) {
      this.key = key;
      this.policy = policy;
      this.breaker = breaker;
      this.rejections = rejections;
    }
  }

  /** The compiled policy for one service: its breaker and its subsets' breakers. */
  public static final class ServiceBreakers {
    final Slot whole;
    final Map<String, Slot> subsets;

    ServiceBreakers(Slot whole, Map<String, Slot> subsets) {
      this.whole = whole;
      this.subsets = subsets;
    }

    /** The breaker for a request routed to {@code version}: its subset's, else the service's, else {@code null}. */
    Slot forVersion(String version) {
      if (version != null && !subsets.isEmpty()) {
        Slot s = subsets.get(version);
        if (s != null) {
          return s;
        }
      }
      return whole;
    }
  }

  private final MeterRegistry meters;
  private final String gateway;
  private final LongSupplier clock;
  private final Map<BreakerKey, Slot> slots = new ConcurrentHashMap<>();
  private final Map<BreakerKey, List<io.micrometer.core.instrument.Meter.Id>> meterIds = new ConcurrentHashMap<>();
  private final Compiler compiler = new Compiler();

  public CircuitBreakerPlugin(MeterRegistry meters, String gateway) {
    this(meters, gateway, System::nanoTime);
  }

  CircuitBreakerPlugin(MeterRegistry meters, String gateway, LongSupplier clock) {
    this.meters = meters;
    this.gateway = gateway;
    this.clock = clock;
  }

  @Override
  public String id() {
    return "circuit-breaker";
  }

  @Override
  public Phase phase() {
    return Phase.ROUTE;
  }

  @Override
  public PolicyCompiler<ServiceBreakers> policies() {
    return compiler;
  }

  @Override
  public Future<Void> onRequest(Exchange x) {
    ServiceBreakers breakers = x.policy(compiler);
    if (breakers == null) {
      return Future.succeededFuture();
    }
    Slot slot = breakers.forVersion(x.version());
    if (slot == null) {
      return Future.succeededFuture();
    }
    CircuitBreaker.Period permit = slot.breaker.allow();
    if (permit == null) {
      slot.rejections.increment();
      x.put(REFUSED_BY, slot);
      BreakerKey k = slot.key;
      return Future.failedFuture(new PluginFailure(503, CIRCUIT_OPEN, "the circuit breaker of service '" + k.service()
          + "'" + (k.subset().isEmpty() ? "" : " subset '" + k.subset() + "'") + " in tenant '" + k.tenant()
          + "' is " + (slot.breaker.state() == CircuitBreaker.State.OPEN ? "open" : "half-open with every trial request taken")
          + " (CircuitBreakerPolicy " + slot.policy + "); retry after " + retryAfterSeconds(slot) + " s"));
    }
    x.put(ADMITTED_BY, slot);
    x.put(PERMIT, permit);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> onResponse(Exchange x) {
    Slot refused = x.get(REFUSED_BY);
    if (refused != null && CIRCUIT_OPEN.equals(x.errorCode())) {
      x.setResponseHeader("Retry-After", Long.toString(retryAfterSeconds(refused)));
    }
    return Future.succeededFuture();
  }

  @Override
  public void onComplete(Exchange x) {
    Slot slot = x.get(ADMITTED_BY);
    if (slot != null) {
      slot.breaker.record(x.get(PERMIT), outcome(x));
    }
  }

  /**
   * What the exchange's final outcome means to a breaker: an upstream 5xx, a connect failure, a
   * reset or a timeout fail; any other upstream answer succeeds; an exchange that never reached
   * an upstream (another plugin refused it, no healthy endpoint, a direct response, the client
   * left) does not count.
   */
  static CircuitBreaker.Outcome outcome(Exchange x) {
    String error = x.errorCode();
    if (error == null) {
      if (x.upstream() == null) {
        return CircuitBreaker.Outcome.IGNORED;
      }
      return x.status() >= 500 ? CircuitBreaker.Outcome.FAILURE : CircuitBreaker.Outcome.SUCCESS;
    }
    return switch (error) {
      case "upstream_connect_failed", "upstream_reset", "upstream_timeout" -> CircuitBreaker.Outcome.FAILURE;
      default -> CircuitBreaker.Outcome.IGNORED;
    };
  }

  private static long retryAfterSeconds(Slot slot) {
    long nanos = slot.breaker.retryAfterNanos();
    return Math.max(1, (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
  }

  /**
   * Keeps only the breakers {@code live} (the policies of the current route table's services)
   * use: a breaker whose rule or service is gone is dropped with its meters. Called after each
   * route-table build, on the gateway's role context.
   */
  public void retain(Collection<ServiceBreakers> live) {
    Set<Slot> used = Collections.newSetFromMap(new IdentityHashMap<>());
    for (ServiceBreakers b : live) {
      if (b.whole != null) {
        used.add(b.whole);
      }
      used.addAll(b.subsets.values());
    }
    slots.values().removeIf(s -> !used.contains(s));
    meterIds.entrySet().removeIf(e -> {
      if (slots.containsKey(e.getKey())) {
        return false;
      }
      e.getValue().forEach(meters::remove);
      return true;
    });
  }

  /** Every breaker's state, for {@code GET /api/v1/gateway/breakers}; times as epoch milliseconds. */
  public JsonArray describe() {
    long nowNanos = clock.getAsLong();
    long nowMillis = System.currentTimeMillis();
    JsonArray out = new JsonArray();
    slots.values().stream()
        .sorted(Comparator.comparing((Slot s) -> s.key.tenant()).thenComparing(s -> s.key.service())
            .thenComparing(s -> s.key.subset()))
        .forEach(s -> {
          CircuitBreaker.Snapshot snap = s.breaker.snapshot();
          JsonObject b = new JsonObject()
              .put("gateway", gateway)
              .put("tenant", s.key.tenant())
              .put("service", s.key.service())
              .put("subset", s.key.subset().isEmpty() ? null : s.key.subset())
              .put("policy", s.policy)
              .put("state", snap.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
              .put("requests", snap.requests())
              .put("failures", snap.failures())
              .put("consecutiveFailures", snap.consecutiveFailures())
              .put("rejected", (long) s.rejections.count());
          if (snap.state() != CircuitBreaker.State.CLOSED) {
            b.put("openedAt", nowMillis - TimeUnit.NANOSECONDS.toMillis(nowNanos - snap.since()));
          }
          if (snap.state() == CircuitBreaker.State.OPEN) {
            b.put("retryAt", nowMillis + TimeUnit.NANOSECONDS.toMillis(Math.max(0, snap.retryAt() - nowNanos)));
          }
          out.add(b);
        });
    return out;
  }

  /** The breaker for {@code key} ({@code null} if none); for tests. */
  CircuitBreaker breaker(BreakerKey key) {
    Slot s = slots.get(key);
    return s == null ? null : s.breaker;
  }

  private Slot slot(BreakerKey key, String policy, BreakerSettings settings) {
    Slot existing = slots.get(key);
    if (existing != null && existing.policy.equals(policy) && existing.breaker.settings().equals(settings)) {
      return existing;
    }
    String subset = key.subset();
    Counter rejections = Counter.builder("meridian.gateway.breaker.rejections")
        .description("Requests a circuit breaker refused (503 circuit_open)")
        .tag("gateway", gateway).tag("tenant", key.tenant()).tag("service", key.service()).tag("subset", subset)
        .register(meters);
    Slot slot = new Slot(key, policy, new CircuitBreaker(settings, clock), rejections);
    slots.put(key, slot);
    meterIds.computeIfAbsent(key, k -> {
      Gauge state = Gauge.builder("meridian.gateway.breaker.state", slots, m -> {
            Slot s = m.get(k);
            return s == null ? Double.NaN : s.breaker.state().code;
          })
          .description("Circuit breaker state: 0 closed, 1 open, 2 half-open")
          .tag("gateway", gateway).tag("tenant", k.tenant()).tag("service", k.service()).tag("subset", subset)
          .register(meters);
      return List.of(state.getId(), rejections.getId());
    });
    if (existing != null) {
      LOG.info("circuit breaker {}/{}{} replaced: CircuitBreakerPolicy {} changed", key.tenant(), key.service(),
          subset.isEmpty() ? "" : "/" + subset, policy);
    }
    return slot;
  }

  private final class Compiler implements PolicyCompiler<ServiceBreakers> {

    @Override
    public Set<RuleKind> kinds() {
      return Set.of(RuleKind.CIRCUIT_BREAKER_POLICY);
    }

    @Override
    public ServiceBreakers compile(PolicyTarget target, List<Rule> rules) {
      Map<String, BreakerSettings> settings = new HashMap<>();
      Map<String, String> names = new HashMap<>();
      for (Rule rule : rules) {
        if (!target.targets(rule)) {
          continue;
        }
        JsonObject ref = rule.spec().getJsonObject("targetRef");
        String subset = ref == null ? "" : ref.getString("subset", "");
        if (names.containsKey(subset)) {
          LOG.warn("CircuitBreakerPolicy {}/{} ignored: {} already sets the breaker of {}/{}{}", rule.namespace(),
              rule.name(), names.get(subset), target.tenant(), target.service(), subset.isEmpty() ? "" : "/" + subset);
          continue;
        }
        settings.put(subset, BreakerSettings.fromSpec(rule.spec()));
        names.put(subset, rule.name());
      }
      if (settings.isEmpty()) {
        return null;
      }
      Slot whole = null;
      Map<String, Slot> subsets = new HashMap<>();
      for (Map.Entry<String, BreakerSettings> e : settings.entrySet()) {
        Slot s = slot(new BreakerKey(target.tenant(), target.service(), e.getKey()), names.get(e.getKey()), e.getValue());
        if (e.getKey().isEmpty()) {
          whole = s;
        } else {
          subsets.put(e.getKey(), s);
        }
      }
      return new ServiceBreakers(whole, Map.copyOf(subsets));
    }
  }
}
