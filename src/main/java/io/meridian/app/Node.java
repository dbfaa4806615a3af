package io.meridian.app;

import io.meridian.app.admin.AdminVerticle;
import io.meridian.app.admin.NodeView;
import io.meridian.app.auth.AdminToken;
import io.meridian.app.auth.TokenRegistry;
import io.meridian.app.cluster.HazelcastMembership;
import io.meridian.app.cluster.HazelcastSetup;
import io.meridian.common.cluster.LocalMembership;
import io.meridian.common.cluster.Membership;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.meridian.common.Addresses;
import io.meridian.common.config.MeridianConfig;
import io.meridian.common.config.RoleNames;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleState;
import io.meridian.common.verticle.RoleStatus;
import io.meridian.common.verticle.RoleVerticle;
import io.meridian.ui.impl.UiSite;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Meridian process: the store, tokens, Vert.x (clustered or not), the admin
 * server and the role verticles named by {@code roles}.
 *
 * <p>{@link #start} blocks until everything listens (or cleans up and throws);
 * {@link #stop} is graceful and idempotent: readiness turns 503; roles stop in reverse order
 * (each stops accepting, finishes in-flight work and answers its long polls); the admin
 * server then finishes its in-flight requests (streams end when it signals shutdown); then
 * Vert.x and the store close.
 */
public final class Node implements NodeView {

  /** The contract names of listeners, in the order {@code /api/v1/status} shows them. */
  static final List<String> PORT_NAMES = List.of("admin", "consul", "xds", "gateway", "zipkin");

  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  private final MeridianConfig config;
  private final Instant startedAt = Instant.now();
  private final long startNanos = System.nanoTime();
  private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  // read by event loops (status, readiness) while start-up adds to them
  private final List<RoleVerticle> roles = new CopyOnWriteArrayList<>();
  private final List<String> roleDeployments = new CopyOnWriteArrayList<>();
  private String nodeId;
  private EmbeddedStore store;
  private AdminToken adminToken;
  private TokenRegistry tokens;
  private Vertx vertx;
  private ClusterManager clusterManager;
  private Membership membership;
  private AdminVerticle admin;
  private String adminDeployment;
  private volatile boolean ready;
  private volatile boolean stopping;
  private boolean stopped;

  private Node(MeridianConfig config) {
    this.config = config.resolved();
  }

  /**
   * Starts a node and waits until it serves (or has failed and released everything).
   *
   * @param extraAdminRoutes extra routes on the admin router, or {@code null}
   */
  public static Node start(MeridianConfig config, Consumer<Router> extraAdminRoutes) throws Exception {
    Node node = new Node(config);
    try {
      node.boot(extraAdminRoutes);
      return node;
    } catch (Exception | Error e) {
      node.stop();
      throw e;
    }
  }

  private void boot(Consumer<Router> extraAdminRoutes) throws Exception {
    Duration timeout = Duration.ofSeconds(60);
    bindProcessMeters();
    Path dataDir = Path.of(config.data().dir());
    store = EmbeddedStore.open(dataDir, meters);
    adminToken = AdminToken.resolve(config.admin().token(), dataDir);
    tokens = TokenRegistry.load(store, adminToken.token());

    VertxOptions options = new VertxOptions()
        .setPreferNativeTransport(true) // epoll when available: cheaper I/O for every server, the gateway above all
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(false));
    VertxBuilder builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(meters));
    if (config.cluster().enabled()) {
      options.getEventBusOptions()
          .setHost(config.cluster().host())
          .setPort(config.cluster().busPort())
          .setClusterPublicHost(config.cluster().host());
      HazelcastClusterManager hazelcast = HazelcastSetup.clusterManager(config.cluster(), config.roles());
      clusterManager = hazelcast;
      vertx = await(builder.with(options).withClusterManager(clusterManager).buildClustered(), timeout);
      nodeId = clusterManager.getNodeId();
      membership = new HazelcastMembership(hazelcast.getHazelcastInstance(), config.cluster().quorumSize());
      LOG.info("joined cluster '{}' as member {} (node {}) with {} member(s)", config.cluster().name(), membership.nodeId(),
          nodeId, membership.members().size());
    } else {
      vertx = builder.build();
      nodeId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
      membership = LocalMembership.single(nodeId, Set.copyOf(config.roles()));
    }
    vertx.eventBus().<JsonObject>consumer(Addresses.nodeStatus(nodeId), msg -> msg.reply(status()));
    // the node's own meters for the telemetry role's scraper, rendered off the event loop
    vertx.eventBus().<Object>consumer(Addresses.nodeMetrics(nodeId), msg -> vertx.executeBlocking(meters::scrape, false)
        .onComplete(text -> {
          if (text.succeeded()) {
            msg.reply(text.result());
          } else {
            msg.fail(500, String.valueOf(text.cause()));
          }
        }));
    vertx.eventBus().<JsonObject>localConsumer(Addresses.MEMBERS,
        msg -> msg.reply(new JsonObject().put("members", new JsonArray(memberIds()))));

    admin = new AdminVerticle(config.admin(), config.listeners().get("admin"), this, tokens, meters,
        config.shutdownTimeout(), Roles.apiModules(), siteRoutes(extraAdminRoutes));
    adminDeployment = await(vertx.deployVerticle(admin), timeout);
    logToken();

    RoleContext context = new RoleContext(nodeId, store, tokens, meters, membership);
    JsonObject resolved = config.toJson(true);
    List<Future<String>> deployments = new ArrayList<>();
    for (RoleDescriptor descriptor : Roles.select(config.roles())) {
      RoleVerticle verticle = descriptor.factory().apply(context);
      JsonObject section = new JsonObject();
      descriptor.sections().forEach(name -> section.put(name, resolved.getValue(name)));
      roles.add(verticle);
      Gauge.builder("meridian.role.started", verticle, v -> v.status().state() == RoleState.STARTED ? 1 : 0)
          .description("1 when the role has started in this process")
          .tags(Tags.of("role", descriptor.name(), "implemented", String.valueOf(verticle.status().implemented())))
          .register(meters);
      deployments.add(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(section))
          .onSuccess(roleDeployments::add));
    }
    await(Future.all(deployments), timeout);
    ready = true;
    LOG.info("Meridian {} started in {} ms: node {}, roles {}{}", Version.current().version(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), nodeId, config.roles(),
        config.cluster().enabled() ? ", cluster '" + config.cluster().name() + "'" : "");
  }

  /**
   * The extra routes plus, on a node running the {@code ui} role, the web UI's files: mounted
   * last, so every API path keeps its answer (docs/ui.md).
   */
  private Consumer<Router> siteRoutes(Consumer<Router> extraAdminRoutes) {
    if (!config.roles().contains(RoleNames.UI)) {
      return extraAdminRoutes;
    }
    UiSite site = UiSite.packed();
    return router -> {
      if (extraAdminRoutes != null) {
        extraAdminRoutes.accept(router);
      }
      site.mount(router);
    };
  }

  private void logToken() {
    switch (adminToken.source()) {
      case "generated" -> LOG.info("generated the admin token into {} (read it from there; it is not logged)",
          adminToken.file().toAbsolutePath());
      case "file" -> LOG.info("admin token: {}", adminToken.file().toAbsolutePath());
      default -> LOG.info("admin token: from admin.token (config or MERIDIAN_ADMIN_TOKEN)");
    }
  }

  private void bindProcessMeters() {
    new JvmMemoryMetrics().bindTo(meters);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(meters);
    closeables.add(gc);
    new JvmThreadMetrics().bindTo(meters);
    new ClassLoaderMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
    new FileDescriptorMetrics().bindTo(meters);
    Gauge.builder("meridian.build.info", () -> 1)
        .description("Meridian build; the value is always 1")
        .tags("version", Version.current().version())
        .register(meters);
    Gauge.builder("meridian.node.ready", this, n -> n.notReady() == null ? 1 : 0)
        .description("1 when every deployed role has started")
        .register(meters);
  }

  /** Stops gracefully; safe to call more than once and from a shutdown hook. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    stopping = true;
    Duration timeout = config.shutdownTimeout().plusSeconds(5);
    if (vertx != null) {
      if (ready) {
        LOG.info("stopping: finishing in-flight requests (up to {} s)", config.shutdownTimeout().toSeconds());
      } else {
        LOG.info("start-up failed: releasing what was started");
      }
      // roles first: they answer their long polls (blocking queries) as they stop, so the admin
      // server's in-flight requests finish quickly; then the admin server drains and closes
      List<String> reversed = new ArrayList<>(roleDeployments);
      java.util.Collections.reverse(reversed);
      for (String id : reversed) {
        quietly("role " + id, () -> await(vertx.undeploy(id), timeout));
      }
      if (adminDeployment != null) {
        quietly("admin server", () -> await(vertx.undeploy(adminDeployment), timeout));
      }
      quietly("vert.x", () -> await(vertx.close(), timeout));
    }
    if (store != null) {
      quietly("store", () -> {
        store.close();
        return null;
      });
    }
    for (AutoCloseable closeable : closeables) {
      quietly("meters", () -> {
        closeable.close();
        return null;
      });
    }
    meters.close();
    LOG.info("stopped");
  }

  @Override
  public JsonObject status() {
    JsonArray roleArray = new JsonArray();
    Map<String, Integer> ports = new LinkedHashMap<>();
    PORT_NAMES.forEach(name -> ports.put(name, null));
    if (admin != null && admin.port() > 0) {
      ports.put("admin", admin.port());
    }
    for (RoleVerticle role : roles) {
      RoleStatus status = role.status();
      roleArray.add(status.toJson());
      ports.putAll(status.ports());
    }
    JsonObject portsJson = new JsonObject();
    ports.forEach(portsJson::put);
    JsonObject cluster = new JsonObject().put("enabled", config.cluster().enabled());
    if (clusterManager != null) {
      cluster.put("name", config.cluster().name()).put("member", membership.nodeId())
          .put("members", new JsonArray(clusterManager.getNodes()));
    }
    JsonObject replication = new JsonObject();
    if (tokens != null && tokens.replication() != null) {
      replication.put(io.meridian.common.cluster.Member.TOKENS, tokens.replication());
    }
    for (RoleVerticle role : roles) {
      JsonObject state = role.replication();
      if (state != null) {
        replication.put(role.role(), state);
      }
    }
    return new JsonObject()
        .put("version", Version.current().version())
        .put("built", Version.current().built())
        .put("node", nodeId)
        .put("startedAt", startedAt.toString())
        .put("uptimeSeconds", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos))
        .put("ready", notReady() == null)
        .put("roles", roleArray)
        .put("ports", portsJson)
        .put("cluster", cluster)
        .put("replication", replication)
        .put("dataDir", Path.of(config.data().dir()).toAbsolutePath().toString());
  }

  @Override
  public JsonObject notReady() {
    if (stopping) {
      return new JsonObject().put("status", "stopping");
    }
    JsonObject waiting = new JsonObject();
    for (RoleVerticle role : roles) {
      RoleStatus status = role.status();
      if (status.state() != RoleState.STARTED) {
        waiting.put(status.name(), status.state().id());
      } else if (status.waiting()) {
        waiting.put(status.name(), "waiting for " + status.detail());
      }
    }
    if (tokens != null && !tokens.settled()) {
      waiting.put(io.meridian.common.cluster.Member.TOKENS, "waiting for the tokens' leader");
    }
    if (ready && waiting.isEmpty()) {
      return null;
    }
    return new JsonObject().put("status", "starting").put("roles", waiting);
  }

  @Override
  public List<String> memberIds() {
    return clusterManager == null ? List.of(nodeId) : List.copyOf(clusterManager.getNodes());
  }

  @Override
  public JsonObject clusterView() {
    JsonArray members = new JsonArray();
    JsonObject leaders = new JsonObject();
    List<io.meridian.common.cluster.Member> list = membership.members();
    list.forEach(m -> members.add(m.toJson()));
    for (String role : RoleNames.ALL) {
      membership.leader(role).ifPresent(m -> leaders.put(role, m.id()));
    }
    io.meridian.common.cluster.Member.EVERY_MEMBER
        .forEach(service -> membership.leader(service).ifPresent(m -> leaders.put(service, m.id())));
    return new JsonObject()
        .put("members", members)
        .put("leaders", leaders)
        .put("quorum", new JsonObject().put("size", membership.quorumSize()).put("present", list.size())
            .put("ok", membership.quorum()));
  }

  @Override
  public boolean clustered() {
    return clusterManager != null;
  }

  @Override
  public Membership membership() {
    return membership;
  }

  /** The Vert.x instance (tests and embedding). */
  public Vertx vertx() {
    return vertx;
  }

  /** The node's id (the cluster member id in clustered mode). */
  public String nodeId() {
    return nodeId;
  }

  /** The bound admin port. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** Where the admin token comes from. */
  public AdminToken adminToken() {
    return adminToken;
  }

  private static <T> T await(Future<T> future, Duration timeout) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw e;
    } catch (java.util.concurrent.TimeoutException e) {
      throw new java.util.concurrent.TimeoutException("gave up waiting after " + timeout.toSeconds() + " s");
    }
  }

  private interface Step {
    Object run() throws Exception;
  }

  private static void quietly(String what, Step step) {
    try {
      step.run();
    } catch (Exception e) {
      LOG.warn("stopping {} failed: {}", what, e.toString());
    }
  }
}
