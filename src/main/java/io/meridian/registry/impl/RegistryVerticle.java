package io.meridian.registry.impl;

import io.meridian.common.Addresses;
import io.meridian.common.cluster.Replica;
import io.meridian.common.config.ListenerOptions;
import io.meridian.common.config.RoleNames;
import io.meridian.common.config.RegistryOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.BusService;
import io.meridian.common.verticle.Listeners;
import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.meridian.registry.RegistryClient;
import io.meridian.registry.Scope;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The registry role: owns the instances, serves the registry's bus API on
 * {@link Addresses#REGISTRY}, publishes changes on {@link Addresses#REGISTRY_EVENTS}, runs
 * TTL expiry and active health checks, and serves the Consul-compatible API on
 * {@code consul.port}.
 *
 * <p>Config sections: {@code registry} ({@link RegistryOptions}) and {@code consul} (listener).
 */
public final class RegistryVerticle extends RoleVerticle {

  /** How often TTLs and deregistration deadlines are checked. */
  static final long SWEEP_MILLIS = 250;

  private RegistryService service;
  private Replica replica;
  private HealthChecks checks;
  private MessageConsumer<JsonObject> consumer;
  private HttpServer consulServer;
  private long sweepTimer;
  private long gaugeTimer;

  public RegistryVerticle(RoleContext context) {
    super("registry", context);
  }

  @Override
  protected Future<?> startRole() {
    RegistryOptions options = RegistryOptions.fromJson(config().getJsonObject("registry", new JsonObject()));
    JsonObject consulJson = config().getJsonObject("consul", new JsonObject());
    ListenerOptions consul = new ListenerOptions(consulJson.getString("host", "0.0.0.0"), consulJson.getInteger("port", 8500));
    service = new RegistryService(vertx, roleContext.store(), options, roleContext.meters());
    return service.load().compose(v -> {
      checks = new HealthChecks(vertx, service, options.maxConcurrentChecks());
      service.healthChecks(checks);
      replica = new Replica(vertx, roleContext.store(), RoleNames.REGISTRY, roleContext.membership(), service, Replica.Options.DEFAULT);
      service.replica(replica);
      return replica.start(this::write).compose(x -> replica.settled());
    }).compose(v -> {
      consumer = vertx.eventBus().consumer(Addresses.REGISTRY, BusService.handler(this::dispatch));
      sweepTimer = vertx.setPeriodic(SWEEP_MILLIS, t -> service.sweep());
      gaugeTimer = vertx.setPeriodic(5000, t -> service.refreshInstanceGauge());
      ConsulApi consulApi = new ConsulApi(vertx, service, this::dispatch, roleContext.tokens(), roleContext.nodeId(),
          new ConsulMapping(options), options.maxBodySize());
      consulServer = vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(10).setIdleTimeoutUnit(TimeUnit.MINUTES))
          .requestHandler(consulApi.router());
      return Listeners.listen(consulServer, "consul.port", consul);
    }).onSuccess(server -> {
      boundPort("consul", server.actualPort());
      log.info("registry ready: {} instances, index {}; Consul-compatible API on {}:{}", service.size(), service.index(),
          consul.host(), server.actualPort());
    });
  }

  @Override
  protected Future<?> stopRole() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(gaugeTimer);
    if (service != null) {
      service.releaseWaiters();
    }
    if (checks != null) {
      checks.close();
    }
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    if (replica != null) {
      unregistered = Future.all(unregistered, replica.stop()).mapEmpty();
    }
    Future<Void> closed = consulServer == null ? Future.succeededFuture() : consulServer.shutdown(5, TimeUnit.SECONDS);
    return Future.all(unregistered, closed);
  }

  /** The registry's bus API: writes go to the leader (here or forwarded), reads are answered here. */
  private Future<JsonObject> dispatch(String action, JsonObject body, String by) {
    long since = body.getLong("index", 0L);
    Duration wait = Duration.ofMillis(body.getLong("waitMs", 0L));
    return switch (action) {
      case RegistryClient.REGISTER, RegistryClient.DEREGISTER, RegistryClient.HEARTBEAT ->
          replica.write(action, body, by, this::write);
      case RegistryClient.GET -> Future.succeededFuture(service.get(body.getString("id")));
      case RegistryClient.INSTANCES -> service.instancesQuery(body.getString("tenant"), body.getString("service"),
          body.getString("plane"), body.getString("kind"), since, wait);
      case RegistryClient.SERVICES -> service.servicesQuery(body.getString("tenant"), since, wait);
      case RegistryClient.ENDPOINTS -> service.endpointsQuery(body.getString("service"),
          body.getString("tenant", io.meridian.registry.InstanceSpec.DEFAULT_TENANT), body.getString("plane"),
          body.getString("version"), body.getBoolean("healthy", true), since, wait);
      case RegistryClient.VIEW -> service.viewQuery(Scope.fromJson(body.getJsonObject("scope")), since, wait);
      case RegistryClient.EVENTS -> Future.succeededFuture(service.events(body.getLong("since", -1L)));
      case RegistryClient.PLANES -> Future.succeededFuture(service.planes());
      default -> Future.failedFuture(ApiException.badRequest(Addresses.HEADER_ACTION, "unknown registry action '" + action + "'"));
    };
  }

  /** A write, run on the leader (this node when it leads, or forwarded here by another member). */
  private Future<JsonObject> write(String action, JsonObject body, String by) {
    return switch (action) {
      case RegistryClient.REGISTER -> service.register(body.getString("body"), by);
      case RegistryClient.DEREGISTER -> service.deregister(body.getString("id"),
          body.getString("reason", "deregistered by " + by));
      case RegistryClient.HEARTBEAT -> service.heartbeat(body.getString("id"), body.getString("status"), body.getString("output"));
      default -> Future.failedFuture(ApiException.badRequest(Addresses.HEADER_ACTION, "'" + action + "' is not a registry write"));
    };
  }

  /** This node's part in the registry's replication, for {@code /api/v1/cluster}. */
  @Override
  public JsonObject replication() {
    return replica == null ? null : replica.describe();
  }
}
