package io.meridian.gateway.impl.plugins.ratelimit;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PolicyTarget;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate limiting by {@code RateLimitPolicy} rules ({@link Phase#LIMIT}): token buckets per policy
 * and key value. Every policy of the service whose {@code pathPrefix} (if any) the path starts
 * with applies, longest prefix first; a request every one allows goes on, the first without a
 * token refuses it with 429 {@code rate_limited} and {@code Retry-After}. Allowed and refused
 * responses carry {@code X-RateLimit-Limit}, {@code -Remaining} and {@code -Reset} of the most
 * restrictive applying policy. See docs/gateway.md, Rate limiting.
 */
public final class RateLimitPlugin implements GatewayPlugin {

  /** Buckets kept per policy and service before eviction. */
  public static final int MAX_BUCKETS = 100_000;

  static final Exchange.Key<Decision> DECISION = new Exchange.Key<>("ratelimit.decision");
  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.gateway");

  /** The policies that apply to one service (in rule key order). */
  record Limits(List<Limiter> limiters) {
  }

  private final LongSupplier clock;
  private final int maxBuckets;
  private volatile int clusterMembers = 1;
  private final Compiler compiler = new Compiler();
  private boolean clusterScopeSeen;
  private boolean loggedClusterApproximation;

  /** With the system clock and {@link #MAX_BUCKETS}. */
  public RateLimitPlugin() {
    this(System::nanoTime, MAX_BUCKETS);
  }

  RateLimitPlugin(LongSupplier clock, int maxBuckets) {
    this.clock = clock;
    this.maxBuckets = maxBuckets;
  }

  /**
   * The number of gateway nodes sharing {@code scope: cluster} limits (the cluster's members; 1
   * when not clustered): each node allows {@code rate / members}. Called periodically, on the
   * same context as the compiler.
   */
  public void clusterMembers(int members) {
    this.clusterMembers = Math.max(1, members);
    logClusterApproximation();
  }

  /** Says once (when a cluster-scope policy meets a cluster of several members) what cluster scope does. */
  private void logClusterApproximation() {
    if (clusterScopeSeen && clusterMembers > 1 && !loggedClusterApproximation) {
      loggedClusterApproximation = true;
      LOG.info("RateLimitPolicy scope: cluster is approximated: each gateway node limits to rate / cluster members ({} now)",
          clusterMembers);
    }
  }

  int clusterMembers() {
    return clusterMembers;
  }

  @Override
  public String id() {
    return "rate-limit";
  }

  @Override
  public Phase phase() {
    return Phase.LIMIT;
  }

  @Override
  public PolicyCompiler<Limits> policies() {
    return compiler;
  }

  @Override
  public Future<Void> onRequest(Exchange exchange) {
    Limits limits = exchange.policy(compiler);
    if (limits == null) {
      return Future.succeededFuture();
    }
    Decision shown = null;
    String path = exchange.path();
    for (Limiter limiter : limits.limiters()) {
      if (!limiter.applies(path, exchange.tenant())) {
        continue;
      }
      Decision d = limiter.take(limiter.key.of(exchange));
      if (!d.allowed()) {
        exchange.put(DECISION, d);
        return Future.failedFuture(new PluginFailure(429, "rate_limited", "rate limit of " + limiter.policy
            + " exceeded; retry in " + d.retryAfterSeconds() + " s"));
      }
      if (shown == null || d.remaining() < shown.remaining()) {
        shown = d;
      }
    }
    if (shown != null) {
      exchange.put(DECISION, shown);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> onResponse(Exchange exchange) {
    Decision d = exchange.get(DECISION);
    if (d != null) {
      exchange.setResponseHeader("x-ratelimit-limit", Integer.toString(d.limiter().burst));
      exchange.setResponseHeader("x-ratelimit-remaining", Long.toString(d.remaining()));
      exchange.setResponseHeader("x-ratelimit-reset", Long.toString(d.resetSeconds()));
      if (!d.allowed()) {
        exchange.setResponseHeader("retry-after", Long.toString(d.retryAfterSeconds()));
      }
    }
    return Future.succeededFuture();
  }

  /**
   * Compiles the policies of a service into limiters. A limiter (and its buckets) lives as long
   * as a route table uses it: a rebuild with an unchanged rule reuses it (buckets keep their
   * state), a changed rule gets new buckets (all full).
   */
  final class Compiler implements PolicyCompiler<Limits> {

    private final Map<String, WeakReference<Limiter>> live = new HashMap<>();

    @Override
    public Set<RuleKind> kinds() {
      return Set.of(RuleKind.RATE_LIMIT_POLICY);
    }

    @Override
    public Limits compile(PolicyTarget target, List<Rule> rules) {
      live.values().removeIf(r -> r.get() == null);
      List<Limiter> limiters = new ArrayList<>();
      for (Rule rule : rules) {
        if (target.targets(rule)) {
          limiters.add(limiter(target, rule));
        }
      }
      // the most specific first: a request refused by a path's own limit is not charged to the service-wide one
      limiters.sort(java.util.Comparator.comparingInt((Limiter l) -> l.pathPrefix == null ? 0 : l.pathPrefix.length()).reversed());
      return limiters.isEmpty() ? null : new Limits(List.copyOf(limiters));
    }

    private Limiter limiter(PolicyTarget target, Rule rule) {
      JsonObject spec = rule.spec();
      String identity = target.tenant() + "/" + target.service() + "/" + rule.name() + "/" + spec.encode();
      WeakReference<Limiter> ref = live.get(identity);
      Limiter existing = ref == null ? null : ref.get();
      if (existing != null) {
        return existing;
      }
      KeySource key = KeySource.parse(spec.getString("key"));
      Number rateValue = spec.getNumber("rate");
      double rate = rateValue == null ? 0 : rateValue.doubleValue();
      if (!(rate > 0) || Double.isInfinite(rate)) {
        throw new IllegalArgumentException("RateLimitPolicy " + rule.name() + ": rate must be positive");
      }
      int burst = spec.getInteger("burst", (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(rate))));
      if (burst < 1) {
        throw new IllegalArgumentException("RateLimitPolicy " + rule.name() + ": burst must be at least 1");
      }
      boolean cluster = "cluster".equals(spec.getString("scope"));
      if (cluster) {
        clusterScopeSeen = true;
        logClusterApproximation();
      }
      JsonObject ref2 = spec.getJsonObject("targetRef");
      String prefix = ref2 == null ? null : ref2.getString("pathPrefix");
      Limiter limiter = new Limiter(rule.namespace() + "/" + rule.name(), prefix, key, rate, burst, cluster, maxBuckets,
          clock, RateLimitPlugin.this::clusterMembers);
      live.put(identity, new WeakReference<>(limiter));
      return limiter;
    }
  }
}
