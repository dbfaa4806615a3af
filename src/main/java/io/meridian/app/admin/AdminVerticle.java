package io.meridian.app.admin;

import io.meridian.app.auth.TokenRegistry;
import io.meridian.common.Addresses;
import io.meridian.common.auth.Permission;
import io.meridian.common.config.AdminOptions;
import io.meridian.common.config.ListenerOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.error.BusErrors;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.Requests;
import io.meridian.common.http.TokenAuth;
import io.meridian.common.verticle.Listeners;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP server every node runs ({@code admin.port}, default 8080): probes, metrics,
 * status, tokens, and the REST API of the roles.
 *
 * <ul>
 *   <li>{@code GET /health}: liveness, 200 while the process serves requests.</li>
 *   <li>{@code GET /ready}: 200 only when every deployed role has started (503 while
 *       starting or stopping).</li>
 *   <li>{@code GET /metrics}: Prometheus text format.</li>
 *   <li>{@code GET /federate}: the telemetry role's series (TelemetryHttpApi); token required
 *       unless {@code admin.public} lists it.</li>
 *   <li>{@code /api/v1/**}: bearer token required (401/403 with the JSON error body):
 *       {@code status}, {@code cluster}, {@code tokens}, {@code auth/whoami} (docs/api.md).</li>
 * </ul>
 * {@code admin.public} chooses which of {@link AdminOptions#OPENABLE} need no token.
 */
public final class AdminVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AdminVerticle.class);

  private final AdminOptions options;
  private final ListenerOptions listener;
  private final NodeView node;
  private final TokenRegistry tokens;
  private final PrometheusMeterRegistry prometheus;
  private final Duration shutdownTimeout;
  private final List<ApiModule> modules;
  private final Consumer<Router> extraRoutes;
  private HttpServer server;
  private volatile int port = -1;

  /**
   * @param listener        resolved listener (host set)
   * @param modules         the rooms' REST modules, mounted under {@code /api/v1}
   * @param extraRoutes     mounts additional routes (tests), or {@code null}
   */
  public AdminVerticle(AdminOptions options, ListenerOptions listener, NodeView node, TokenRegistry tokens,
      PrometheusMeterRegistry prometheus, Duration shutdownTimeout, List<ApiModule> modules, Consumer<Router> extraRoutes) {
    this.options = options;
    this.listener = listener;
    this.node = node;
    this.tokens = tokens;
    this.prometheus = prometheus;
    this.shutdownTimeout = shutdownTimeout;
    this.modules = List.copyOf(modules);
    this.extraRoutes = extraRoutes;
  }

  /** The bound port, or -1 before start. */
  public int port() {
    return port;
  }

  @Override
  public Future<?> start() {
    // tokens are created and revoked on this context: their replica runs here too; the node is
    // not ready until it has caught up, but the admin port serves meanwhile (health, status)
    tokens.start(vertx, node.membership())
        .onFailure(e -> LOG.error("the API tokens cannot replicate: {}", e.toString()));
    Router router = router();
    server = vertx.createHttpServer(new HttpServerOptions()
            .setCompressionSupported(true)
            .setIdleTimeout(120)
            .setIdleTimeoutUnit(TimeUnit.SECONDS))
        .requestHandler(router);
    return Listeners.listen(server, "admin.port", listener).onSuccess(s -> {
      port = s.actualPort();
      LOG.info("admin API listening on http://{}:{}", listener.host(), port);
    });
  }

  @Override
  public Future<?> stop() {
    Future<Void> replica = tokens.stop();
    if (server == null) {
      return replica;
    }
    return Future.join(replica, server.shutdown(Math.max(shutdownTimeout.toMillis(), 1), TimeUnit.MILLISECONDS));
  }

  Router router() {
    Router router = Router.router(vertx);
    Handler<RoutingContext> authenticate = TokenAuth.authenticate(tokens, false);
    Handler<RoutingContext> canRead = TokenAuth.require(Permission.READ);

    protect(router, "/health", authenticate, canRead);
    router.get("/health").handler(ctx -> ApiResponses.json(ctx, 200, new JsonObject().put("status", "up")));

    protect(router, "/ready", authenticate, canRead);
    router.get("/ready").handler(ctx -> {
      JsonObject notReady = node.notReady();
      ApiResponses.json(ctx, notReady == null ? 200 : 503,
          notReady == null ? new JsonObject().put("status", "ready") : notReady);
    });

    protect(router, "/metrics", authenticate, canRead);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(prometheus));

    // answered by the telemetry module (TelemetryHttpApi), guarded here like /metrics
    protect(router, "/federate", authenticate, canRead);

    router.route("/api/v1/*").handler(BodyHandler.create(false).setBodyLimit(options.maxBodySize()));
    router.route("/api/v1/*").handler(authenticate);

    router.get("/api/v1/status").handler(canRead).handler(ctx -> ApiResponses.json(ctx, 200, node.status()));
    router.get("/api/v1/cluster").handler(canRead).handler(this::cluster);
    router.get("/api/v1/auth/whoami").handler(ctx -> {
      var principal = TokenAuth.principal(ctx);
      var permissions = new JsonArray();
      principal.role().permissions().forEach(p -> permissions.add(p.name().toLowerCase(java.util.Locale.ROOT)));
      ApiResponses.json(ctx, 200, principal.toJson().put("permissions", permissions));
    });

    Handler<RoutingContext> administer = TokenAuth.require(Permission.ADMINISTER);
    router.get("/api/v1/tokens").handler(administer).handler(ctx -> ApiResponses.json(ctx, 200, tokens.list()));
    router.post("/api/v1/tokens").handler(administer).handler(ctx -> {
      JsonObject body = Requests.jsonObject(ctx);
      for (String field : body.fieldNames()) {
        if (!field.equals("name") && !field.equals("role")) {
          throw ApiException.badRequest(field, "unknown field (allowed: name, role)");
        }
      }
      tokens.create(body.getValue("name"), body.getValue("role"), TokenAuth.principal(ctx))
          .onSuccess(created -> {
            LOG.info("token '{}' ({}) created by {}", created.getString("name"), created.getString("role"),
                TokenAuth.principal(ctx).name());
            ApiResponses.json(ctx, 201, created);
          })
          .onFailure(ctx::fail);
    });
    router.delete("/api/v1/tokens/:name").handler(administer).handler(ctx -> {
      String name = ctx.pathParam("name");
      tokens.revoke(name)
          .onSuccess(v -> {
            LOG.info("token '{}' revoked by {}", name, TokenAuth.principal(ctx).name());
            ctx.response().setStatusCode(204).end();
          })
          .onFailure(ctx::fail);
    });

    for (ApiModule module : modules) {
      module.mount(router, vertx);
    }
    if (extraRoutes != null) {
      extraRoutes.accept(router);
    }

    router.route().failureHandler(ApiResponses.failureHandler());
    for (int status : new int[] {400, 401, 403, 404, 405, 406, 413, 415, 500}) {
      router.errorHandler(status, ApiResponses.failureHandler());
    }
    return router;
  }

  /** Asks every member for its status over the (clustered) event bus. */
  private void cluster(RoutingContext ctx) {
    List<String> ids = node.memberIds();
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (String id : ids) {
      String address = Addresses.nodeStatus(id);
      answers.add(vertx.eventBus().<JsonObject>request(address, null, new DeliveryOptions().setSendTimeout(3000))
          .map(reply -> reply.body())
          .otherwise(failure -> new JsonObject().put("node", id)
              .mergeIn(BusErrors.toApi(failure, address).toJson())));
    }
    Future.join(answers).onComplete(done -> {
      JsonArray members = new JsonArray();
      answers.forEach(answer -> {
        JsonObject status = answer.result();
        // the member id that "leaders" names (the cluster's, not the node's own id)
        JsonObject cluster = status.getJsonObject("cluster");
        if (cluster != null && cluster.getString("member") != null) {
          status.put("member", cluster.getString("member"));
        }
        members.add(status);
      });
      JsonObject view = node.clusterView();
      ApiResponses.json(ctx, 200, new JsonObject()
          .put("clustered", node.clustered())
          .put("leaders", view.getJsonObject("leaders"))
          .put("quorum", view.getJsonObject("quorum"))
          .put("members", members));
    });
  }

  private void protect(Router router, String path, Handler<RoutingContext> authenticate, Handler<RoutingContext> canRead) {
    if (!options.publicEndpoints().contains(path)) {
      router.route(path).handler(authenticate).handler(canRead);
    }
  }
}
