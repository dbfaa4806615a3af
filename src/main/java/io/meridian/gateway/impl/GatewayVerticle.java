package io.meridian.gateway.impl;

import io.meridian.common.Addresses;
import io.meridian.common.config.GatewayOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.BusService;
import io.meridian.common.verticle.ListenException;
import io.meridian.common.verticle.Listeners;
import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.meridian.gateway.GatewayClient;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.common.net.CidrSet;
import io.meridian.gateway.impl.plugins.AccessLogPlugin;
import io.meridian.gateway.impl.plugins.ClientIpPlugin;
import io.meridian.gateway.impl.plugins.authz.AuthorizationPlugin;
import io.meridian.gateway.impl.plugins.MetricsPlugin;
import io.meridian.gateway.impl.plugins.RequestIdPlugin;
import io.meridian.gateway.impl.plugins.auth.ExtAuthPlugin;
import io.meridian.gateway.impl.plugins.auth.JwtPlugin;
import io.meridian.gateway.impl.plugins.breaker.CircuitBreakerPlugin;
import io.meridian.gateway.impl.plugins.ratelimit.RateLimitPlugin;
import io.meridian.gateway.impl.proxy.GatewayRuntime;
import io.meridian.gateway.impl.proxy.GatewayTls;
import io.meridian.gateway.impl.proxy.ProxyServer;
import io.meridian.gateway.impl.proxy.Routing;
import io.meridian.gateway.impl.route.RouteTable;
import io.meridian.gateway.impl.route.RouteTableBuilder;
import io.meridian.gateway.impl.route.ServiceRoutes;
import io.meridian.gateway.impl.tcp.TcpListeners;
import io.meridian.registry.RegistryView;
import io.meridian.registry.Scope;
import io.meridian.rules.RulesView;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.util.concurrent.atomic.AtomicInteger;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway role: the HTTP entry on {@code gateway.port} (a Netty proxy on Vert.x's event
 * loops), routing from its scoped view of the registry and the rules, followed over the bus
 * wherever they run. A change is folded into a new route table within {@link #REBUILD_MILLIS};
 * requests in flight keep the table they started with. Answers on
 * {@link Addresses#gateway(String)} (actions {@code breakers} and {@code describe}). Config section: {@code gateway}
 * ({@link GatewayOptions}).
 */
public final class GatewayVerticle extends RoleVerticle {

  /** Registry and rule changes within this window become one route-table rebuild. */
  static final long REBUILD_MILLIS = 50;

  private GatewayOptions options;
  private GatewayRuntime runtime;
  private ProxyServer server;
  private TcpListeners tcp;
  /** The proxy's own event loops, one per core by default, apart from Vert.x's (a busy proxy does not delay the bus). */
  private EventLoopGroup group;
  private RouteTableBuilder builder;
  private RegistryView registry;
  private RulesView rules;
  private long retryTimer = -1;
  /** The next wait before following again: short at first (roles of one node start together), then backing off. */
  private long retryMillis = 50;
  private long rebuildTimer = -1;
  private boolean stopping;
  private SelfRegistration selfRegistration;
  private List<GatewayPlugin> plugins = List.of();
  private RateLimitPlugin rateLimit;
  private long membersTimer = -1;
  /** How often the cluster's size is read for {@code scope: cluster} rate limits. */
  private static final long CLUSTER_MEMBERS_MILLIS = 5000;
  private CircuitBreakerPlugin breakers;
  private MessageConsumer<JsonObject> consumer;
  /** The auth plugins' HTTP client (JWKS fetches, external auth calls). */
  private io.vertx.core.http.HttpClient authClient;

  public GatewayVerticle(RoleContext context) {
    super("gateway", context);
  }

  @Override
  protected Future<?> startRole() {
    options = GatewayOptions.fromJson(config().getJsonObject("gateway", new JsonObject()));
    // read and checked before anything starts: a bad file is a start-up error naming gateway.tls.*
    io.netty.handler.ssl.SslContext tls = options.tls() == null ? null : GatewayTls.serverContext(options.tls());
    VertxInternal internal = (VertxInternal) vertx;
    runtime = new GatewayRuntime(options, internal.transport().channelFactory(false));
    plugins = new ArrayList<>();
    plugins.add(new RequestIdPlugin());
    plugins.add(new ClientIpPlugin(CidrSet.parse(options.trustedProxies())));
    plugins.add(new io.meridian.gateway.impl.plugins.TracingPlugin(vertx, options.name(), options.traceSampling(),
        roleContext.meters()));
    plugins.add(new MetricsPlugin(roleContext.meters(), options.name()));
    if (options.accessLog()) {
      plugins.add(new AccessLogPlugin());
    }
    // one client for the auth plugins' calls (JWKS, auth services), closed on stop
    authClient = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setKeepAlive(true).setName("meridian-gateway-auth"), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(32));
    plugins.add(new JwtPlugin(authClient, options.name()));
    plugins.add(new ExtAuthPlugin(authClient, () -> runtime.routes()));
    plugins.add(new AuthorizationPlugin());
    rateLimit = new RateLimitPlugin();
    countClusterMembers();
    if (vertx.isClustered()) {
      membersTimer = vertx.setPeriodic(CLUSTER_MEMBERS_MILLIS, t -> countClusterMembers());
    }
    plugins.add(rateLimit);
    plugins.add(new Routing(options));
    breakers = new CircuitBreakerPlugin(roleContext.meters(), options.name());
    plugins.add(breakers); // after routing: decides on the final destination
    runtime.chain(PluginChain.assemble(plugins));
    List<io.meridian.gateway.PolicyCompiler<?>> compilers = new ArrayList<>();
    for (GatewayPlugin p : plugins) {
      if (p.policies() != null) {
        compilers.add(p.policies());
      }
    }
    builder = new RouteTableBuilder(options, compilers);
    Gauge.builder("meridian.gateway.instances", this,
            g -> g.registry == null ? 0 : g.registry.instances().size())
        .description("Instances in this gateway's scoped view of the registry")
        .tag("gateway", options.name()).register(roleContext.meters());
    int loops = options.eventLoops() > 0 ? options.eventLoops() : Runtime.getRuntime().availableProcessors();
    AtomicInteger threads = new AtomicInteger();
    group = internal.transport().eventLoopGroup(Transport.IO_EVENT_LOOP_GROUP, loops, r -> {
      Thread t = new FastThreadLocalThread(r, "meridian-gateway-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, 100);
    server = new ProxyServer(runtime, tls, group, group, internal.transport().serverChannelFactory(false));
    consumer = vertx.eventBus().consumer(Addresses.gateway(roleContext.nodeId()), BusService.handler(this::dispatch));
    waitingFor("the registry and the rules");
    follow();
    String host = options.listener().host();
    int port = options.listener().port();
    tcp = new TcpListeners(options, runtime, group, internal.transport().serverChannelFactory(false),
        internal.transport().channelFactory(false), roleContext.meters());
    return server.listen(host, port)
        .recover(e -> Future.failedFuture(new ListenException("gateway.port", host, port, Listeners.isInUse(e), e)))
        .onSuccess(bound -> {
          boundPort("gateway", bound);
          if (options.advertise() != null) {
            selfRegistration = new SelfRegistration(vertx, options, roleContext.nodeId(), bound);
            selfRegistration.start();
          }
          log.info("gateway {} ({} tier, plane {}, tenants {}) on {}:{} ({})", options.name(), options.tier(), options.plane(),
              options.tenants().isEmpty() ? "all" : options.tenants(), host, bound,
              tls == null ? "HTTP/1.1 and h2c" : "TLS: HTTP/1.1 and HTTP/2 by ALPN");
        })
        .compose(bound -> tcp.start(host))
        .onSuccess(ports -> ports.forEach((name, bound) -> {
          boundPort(name, bound);
          log.info("tcp listener {} on {}:{}", name, host, bound);
        }))
        .recover(e -> stopRole().transform(x -> Future.failedFuture(e)));
  }

  /** The part of the registry this gateway holds: its tenants (plus shared/external services), its plane, its labels. */
  private Scope scope() {
    String visibility = options.visibility().equals("any") ? null : options.visibility();
    return new Scope(Set.copyOf(options.tenants()), Set.of(options.plane()), visibility, Map.copyOf(options.labels()), true);
  }

  private void follow() {
    if (stopping) {
      return;
    }
    Future<RegistryView> r = registry != null ? Future.succeededFuture(registry) : RegistryView.follow(vertx, scope());
    Future<RulesView> q = rules != null ? Future.succeededFuture(rules) : RulesView.follow(vertx);
    Future.join(r, q).onComplete(done -> {
      if (r.succeeded() && registry == null) {
        registry = r.result().onChange(e -> changed()).onReload(i -> changed());
      }
      if (q.succeeded() && rules == null) {
        rules = q.result().onChange(e -> changed());
      }
      if (stopping) {
        closeViews();
      } else if (registry != null && rules != null) {
        rebuild();
        runtime.ready(true);
        waitingFor(null);
        log.info("routing from {} instances and {} rules", registry.instances().size(), rules.rules().size());
      } else {
        Throwable why = r.failed() ? r.cause() : q.cause();
        log.debug("registry or rules not reachable yet ({}); retrying", why == null ? "?" : why.getMessage());
        retryTimer = vertx.setTimer(retryMillis, t -> follow());
        retryMillis = Math.min(2000, retryMillis * 2);
      }
    });
  }

  private void changed() {
    if (rebuildTimer >= 0 || stopping) {
      return;
    }
    rebuildTimer = vertx.setTimer(REBUILD_MILLIS, t -> {
      rebuildTimer = -1;
      rebuild();
    });
  }

  private void rebuild() {
    RouteTable table = builder.build(registry.instances().values(), rules.rules().values());
    runtime.routes(table);
    List<CircuitBreakerPlugin.ServiceBreakers> live = new ArrayList<>();
    for (ServiceRoutes s : table.services().values()) {
      CircuitBreakerPlugin.ServiceBreakers b = s.policy(breakers.policies());
      if (b != null) {
        live.add(b);
      }
    }
    breakers.retain(live);
    log.debug("route table {}: {} instances (index {}), {} rules (index {})", table.generation(), registry.instances().size(),
        registry.index(), rules.rules().size(), rules.index());
  }

  private void countClusterMembers() {
    io.vertx.core.spi.cluster.ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    try {
      rateLimit.clusterMembers(cluster == null ? 1 : cluster.getNodes().size());
    } catch (RuntimeException e) {
      log.debug("cluster members not readable ({}); keeping the last count", e.getMessage());
    }
  }

  @Override
  protected Future<?> stopRole() {
    stopping = true;
    vertx.cancelTimer(retryTimer);
    vertx.cancelTimer(rebuildTimer);
    vertx.cancelTimer(membersTimer);
    // first out of the registry (edges stop sending), then stop accepting
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<Void> deregistered = unregistered.transform(v -> selfRegistration == null ? Future.succeededFuture()
        : selfRegistration.stop());
    Future<Void> closed = deregistered.compose(v -> server == null ? Future.succeededFuture() : server.close());
    return closed.compose(v -> tcp == null ? Future.succeededFuture() : tcp.stop()).andThen(v -> {
      if (runtime != null) {
        runtime.closePools();
      }
    }).compose(v -> closeViews()).andThen(v -> {
      for (GatewayPlugin p : plugins) {
        if (p instanceof AutoCloseable closeable) {
          try {
            closeable.close();
          } catch (Exception e) {
            log.warn("plugin {} did not close cleanly: {}", p.id(), e.getMessage());
          }
        }
      }
    }).compose(v -> authClient == null ? Future.succeededFuture() : authClient.close()).compose(v -> {
      if (group == null) {
        return Future.succeededFuture();
      }
      io.vertx.core.Promise<Void> down = io.vertx.core.Promise.promise();
      group.shutdownGracefully(0, 5, java.util.concurrent.TimeUnit.SECONDS).addListener(f -> down.complete());
      return down.future();
    });
  }

  private Future<JsonObject> dispatch(String action, JsonObject body, String by) {
    if (action.equals(GatewayClient.BREAKERS)) {
      return Future.succeededFuture(new JsonObject().put("node", roleContext.nodeId()).put("gateway", options.name())
          .put("breakers", breakers.describe()));
    }
    if (action.equals(GatewayClient.DESCRIBE)) {
      return Future.succeededFuture(describe());
    }
    return Future.failedFuture(ApiException.badRequest(Addresses.HEADER_ACTION, "unknown gateway action '" + action + "'"));
  }

  /** This gateway as the gateways API shows it: scope, bound listeners, TLS, its view's size, readiness. */
  private JsonObject describe() {
    JsonObject labels = new JsonObject();
    options.labels().forEach(labels::put);
    JsonObject ports = new JsonObject();
    status().ports().forEach(ports::put);
    JsonArray tcpRoutes = new JsonArray();
    options.tcp().forEach(t -> tcpRoutes.add(t.toJson()));
    return new JsonObject()
        .put("node", roleContext.nodeId())
        .put("name", options.name())
        .put("tier", options.tier())
        .put("tenants", new JsonArray(new ArrayList<>(options.tenants())))
        .put("plane", options.plane())
        .put("visibility", options.visibility())
        .put("labels", labels)
        .put("host", options.listener().host())
        .put("ports", ports)
        .put("tcp", tcpRoutes)
        .put("tls", options.tls() != null)
        .put("advertise", options.advertise())
        .put("instances", registry == null ? 0 : registry.instances().size())
        .put("registryIndex", registry == null ? 0 : registry.index())
        .put("ready", runtime != null && runtime.ready());
  }

  private Future<Void> closeViews() {
    Future<Void> a = registry == null ? Future.succeededFuture() : registry.close();
    Future<Void> b = rules == null ? Future.succeededFuture() : rules.close();
    return Future.all(a, b).mapEmpty();
  }
}
