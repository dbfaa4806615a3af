package io.meridian.gateway.impl.plugins.auth;

import io.meridian.common.units.Durations;
import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PolicyTarget;
import io.meridian.gateway.impl.route.Endpoint;
import io.meridian.gateway.impl.route.RouteTable;
import io.meridian.gateway.impl.route.ServiceRoutes;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * External authorization from {@code ExternalAuthPolicy} rules (phase {@link Phase#AUTHN}),
 * in the forward-auth style: for each request the gateway asks the policy's auth service
 * ({@code GET authService.path} with the configured {@code forwardHeaders} and
 * {@code X-Forwarded-Method/-Uri/-Host/-Proto}); a 2xx answer lets the request through with the
 * {@code copyResponseHeaders} of the answer set on it, any other answer is passed to the client
 * as it is (status, headers, body) and the upstream is not called. When the auth service cannot
 * be reached in time, {@code failureMode: deny} refuses with {@code 403 ext_authz_error} (Envoy's
 * default status on error), {@code allow} lets the request through. Allowing answers are cached
 * for {@code cacheTTL}, keyed by the forwarded header values.
 *
 * <p>The auth service is a service of the rule's tenant (or {@code name.tenant}), resolved per
 * request from the current route table: one of its healthy endpoints, chosen by its load
 * balancer. A host the registry does not know (a {@code ServiceEntry} host) is connected to
 * directly at {@code authService.port}.
 */
public final class ExtAuthPlugin implements GatewayPlugin {

  private static final Logger LOG = LoggerFactory.getLogger(ExtAuthPlugin.class);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  /** Decisions kept per policy at most (beyond it, expired ones go, then all). */
  static final int CACHE_LIMIT = 10_000;
  /** The largest answer taken from an auth service (its body may be passed to the client). */
  static final int MAX_ANSWER_BYTES = 64 * 1024;
  /** Response headers never copied onto the upstream request. */
  private static final Set<String> NOT_COPIED = Set.of("content-length", "transfer-encoding", "connection", "host",
      "keep-alive", "upgrade", "te", "trailer");

  /** A compiled policy: the auth service, what to send and keep, and its decision cache. */
  record Policy(String name, String pathPrefix, String tenant, String service, String directHost, int port, String path,
      List<String> forwardHeaders,
      List<String> copyHeaders, long timeoutMillis, boolean failOpen, long cacheTtlNanos, DecisionCache cache) {
  }

  /** The policies applying to one service (all must allow), in rule-key order. */
  record Policies(List<Policy> list) {
  }

  /** An allowing decision: the headers to set on the request, and until when it holds. */
  record Decision(List<Map.Entry<String, String>> headers, long expiresNanos) {
  }

  /** Allowing decisions of one policy version, bounded. */
  static final class DecisionCache {
    final String spec;
    final Map<String, Decision> entries = new ConcurrentHashMap<>();

    DecisionCache(String spec) {
      this.spec = spec;
    }

    Decision get(String key, long now) {
      Decision d = entries.get(key);
      return d != null && d.expiresNanos() - now > 0 ? d : null;
    }

    void put(String key, Decision d, long now) {
      if (entries.size() >= CACHE_LIMIT) {
        entries.values().removeIf(e -> e.expiresNanos() - now <= 0);
        if (entries.size() >= CACHE_LIMIT) {
          entries.clear();
        }
      }
      entries.put(key, d);
    }
  }

  private final HttpClient client;
  private final Supplier<RouteTable> routes;
  /** Decision caches by rule ({@code namespace/name}); a changed spec gets a new one. */
  private final Map<String, DecisionCache> caches = new ConcurrentHashMap<>();
  private final PolicyCompiler<Policies> compiler = new PolicyCompiler<>() {
    @Override
    public Set<RuleKind> kinds() {
      return Set.of(RuleKind.EXTERNAL_AUTH_POLICY);
    }

    @Override
    public Policies compile(PolicyTarget target, List<Rule> rules) {
      List<Policy> out = new ArrayList<>();
      for (Rule r : rules) {
        if (target.targets(r)) {
          out.add(policy(r));
        }
      }
      return out.isEmpty() ? null : new Policies(List.copyOf(out));
    }
  };

  /**
   * @param client calls the auth services (created once with the gateway's Vert.x)
   * @param routes the current route table (where auth services' endpoints are found)
   */
  public ExtAuthPlugin(HttpClient client, Supplier<RouteTable> routes) {
    this.client = client;
    this.routes = routes;
  }

  @Override
  public String id() {
    return "ext-authz";
  }

  @Override
  public Phase phase() {
    return Phase.AUTHN;
  }

  @Override
  public PolicyCompiler<Policies> policies() {
    return compiler;
  }

  Policy policy(Rule rule) {
    JsonObject spec = rule.spec();
    JsonObject auth = spec.getJsonObject("authService");
    String host = auth.getString("host").toLowerCase(Locale.ROOT);
    if (host.endsWith(".svc.cluster.local")) {
      host = host.substring(0, host.length() - ".svc.cluster.local".length());
    }
    String[] parts = host.split("\\.");
    String tenant = null;
    String service = null;
    String direct = null;
    if (parts.length == 1) {
      tenant = rule.namespace();
      service = parts[0];
    } else if (parts.length == 2) {
      tenant = parts[1];
      service = parts[0];
      direct = host; // also a DNS name: used when no such service is registered
    } else {
      direct = host;
    }
    List<String> forward = strings(spec.getJsonArray("forwardHeaders"));
    List<String> copy = strings(spec.getJsonArray("copyResponseHeaders"));
    long timeout = spec.getString("timeout") == null ? DEFAULT_TIMEOUT.toMillis() : Durations.parse(spec.getString("timeout")).toMillis();
    long ttl = spec.getString("cacheTTL") == null ? 0 : Durations.parse(spec.getString("cacheTTL")).toNanos();
    String key = rule.namespace() + "/" + rule.name();
    String specText = spec.encode();
    DecisionCache cache = caches.compute(key, (k, old) -> old != null && old.spec.equals(specText) ? old : new DecisionCache(specText));
    return new Policy(key, spec.getJsonObject("targetRef").getString("pathPrefix"), tenant, service, direct, auth.getInteger("port"), auth.getString("path", "/"), forward, copy, timeout,
        "allow".equals(spec.getString("failureMode")), ttl, cache);
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    if (a != null) {
      a.forEach(o -> out.add(String.valueOf(o).toLowerCase(Locale.ROOT)));
    }
    return List.copyOf(out);
  }

  @Override
  public Future<Void> onRequest(Exchange x) {
    Policies policies = x.policy(compiler);
    if (policies == null) {
      return Future.succeededFuture();
    }
    return check(x, policies.list(), 0);
  }

  /** Asks policy {@code i}, then the next ones; on the request's loop. */
  private Future<Void> check(Exchange x, List<Policy> list, int i) {
    if (i == list.size()) {
      return Future.succeededFuture();
    }
    Policy p = list.get(i);
    if (p.pathPrefix() != null && !x.path().startsWith(p.pathPrefix())) {
      return check(x, list, i + 1);
    }
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    StringBuilder key = new StringBuilder();
    for (String name : p.forwardHeaders()) {
      String v = x.requestHeader(name);
      if (v != null) {
        headers.add(name, v);
      }
      key.append(v == null ? "\u0000" : v).append('\n');
    }
    long now = System.nanoTime();
    if (p.cacheTtlNanos() > 0) {
      Decision d = p.cache().get(key.toString(), now);
      if (d != null) {
        apply(x, d);
        return check(x, list, i + 1);
      }
    }
    headers.add("x-forwarded-method", x.method());
    headers.add("x-forwarded-uri", x.uri());
    headers.add("x-forwarded-host", x.host());
    headers.add("x-forwarded-proto", x.secure() ? "https" : "http");
    if (x.requestId() != null) {
      headers.add("x-request-id", x.requestId());
    }
    String host;
    int port;
    Endpoint e = endpoint(p);
    if (e != null) {
      host = e.host;
      port = e.port;
    } else if (p.directHost() != null) {
      host = p.directHost();
      port = p.port();
    } else {
      return unavailable(x, list, i, "no healthy endpoint of auth service " + p.service() + " in " + p.tenant());
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI(p.path())
        .setHeaders(headers).setConnectTimeout(p.timeoutMillis()).setIdleTimeout(p.timeoutMillis());
    Promise<Void> done = Promise.promise();
    client.request(options)
        .compose(req -> req.send().compose(resp -> {
          String length = resp.getHeader("content-length");
          if (length != null && (length.length() > 9 || Long.parseLong(length.trim()) > MAX_ANSWER_BYTES)) {
            return Future.failedFuture("its answer is larger than " + MAX_ANSWER_BYTES + " bytes");
          }
          return resp.body().map(body -> new Answer(resp.statusCode(), resp.headers(), body));
        }))
        .timeout(p.timeoutMillis(), TimeUnit.MILLISECONDS)
        .onComplete(ar -> x.onLoop(() -> {
          if (ar.failed()) {
            unavailable(x, list, i, "auth service " + host + ":" + port + " failed: " + ar.cause().getMessage()).onComplete(done);
            return;
          }
          Answer a = ar.result();
          if (a.status() / 100 != 2) {
            List<Map.Entry<String, String>> out = new ArrayList<>();
            a.headers().forEach(h -> out.add(Map.entry(h.getKey(), h.getValue())));
            done.fail(PluginFailure.answer(a.status(), "ext_authz_denied", out, a.body().getBytes()));
            return;
          }
          List<Map.Entry<String, String>> copy = new ArrayList<>();
          for (String name : p.copyHeaders()) {
            if (!NOT_COPIED.contains(name)) {
              String v = a.headers().get(name);
              copy.add(Map.entry(name, v == null ? "" : v));
            }
          }
          Decision d = new Decision(List.copyOf(copy), System.nanoTime() + p.cacheTtlNanos());
          if (p.cacheTtlNanos() > 0) {
            p.cache().put(key.toString(), d, System.nanoTime());
          }
          apply(x, d);
          check(x, list, i + 1).onComplete(done);
        }));
    return done.future();
  }

  private record Answer(int status, MultiMap headers, Buffer body) {
  }

  /** Sets the copied headers; one the auth service did not send is removed (the client cannot supply it). */
  private static void apply(Exchange x, Decision d) {
    for (Map.Entry<String, String> h : d.headers()) {
      if (h.getValue().isEmpty()) {
        x.removeRequestHeader(h.getKey());
      } else {
        x.setRequestHeader(h.getKey(), h.getValue());
      }
    }
  }

  private Future<Void> unavailable(Exchange x, List<Policy> list, int i, String why) {
    Policy p = list.get(i);
    if (p.failOpen()) {
      LOG.debug("{}: {}; failureMode allow lets the request through", p.name(), why);
      for (String name : p.copyHeaders()) {
        x.removeRequestHeader(name);
      }
      return check(x, list, i + 1);
    }
    LOG.debug("{}: {}; failureMode deny refuses the request", p.name(), why);
    return Future.failedFuture(new PluginFailure(403, "ext_authz_error", "the external authorization service could not be"
        + " asked (" + why + ")"));
  }

  private Endpoint endpoint(Policy p) {
    if (p.service() == null) {
      return null;
    }
    ServiceRoutes s = routes.get().service(p.tenant(), p.service());
    return s == null ? null : s.all().pick(null, null);
  }
}
