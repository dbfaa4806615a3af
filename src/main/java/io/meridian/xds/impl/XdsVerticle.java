package io.meridian.xds.impl;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meridian.common.Addresses;
import io.meridian.common.config.XdsOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.BusService;
import io.meridian.common.verticle.Listeners;
import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.meridian.registry.RegistryView;
import io.meridian.registry.Scope;
import io.meridian.rules.RulesView;
import io.meridian.xds.XdsClient;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The xds role: an Envoy ADS server (state of the world and incremental) on {@code xds.port},
 * fed from the registry and the rules, wherever they run (it follows both over the bus). Until
 * both have been loaded, streams are accepted but answered with nothing (an empty answer
 * would tell clients to drop their config). Its streams are visible on
 * {@link Addresses#xds(String)}. Config section: {@code xds} ({@link XdsOptions}).
 */
public final class XdsVerticle extends RoleVerticle {

  static final ServiceName ADS = ServiceName.create("envoy.service.discovery.v3", "AggregatedDiscoveryService");
  static final ServiceMethod<DiscoveryRequest, DiscoveryResponse> SOTW = ServiceMethod.server(ADS,
      "StreamAggregatedResources", GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(DiscoveryRequest.getDefaultInstance()));
  static final ServiceMethod<DeltaDiscoveryRequest, DeltaDiscoveryResponse> DELTA = ServiceMethod.server(ADS,
      "DeltaAggregatedResources", GrpcMessageEncoder.encoder(),
      GrpcMessageDecoder.decoder(DeltaDiscoveryRequest.getDefaultInstance()));

  /** Largest request accepted (an incremental reconnect lists every resource it has). */
  static final long MAX_MESSAGE_SIZE = 16L << 20;

  /** An open stream: its response and the HTTP/2 connection carrying it. */
  private record Stream(GrpcServerResponse<?, ?> response, HttpConnection connection) {
  }

  private final Map<Session, Stream> streams = new LinkedHashMap<>();
  private final Map<HttpConnection, Set<Session>> byConnection = new HashMap<>();
  private XdsServer server;
  private HttpServer http;
  private MessageConsumer<JsonObject> consumer;
  private RegistryView registry;
  private RulesView rules;
  private long retryTimer = -1;
  /** The next wait before trying again: short at first (roles of one node start together), then backing off. */
  private long retryMillis = 50;
  private boolean stopping;

  public XdsVerticle(RoleContext context) {
    super("xds", context);
  }

  @Override
  protected Future<?> startRole() {
    XdsOptions options = XdsOptions.fromJson(config().getJsonObject("xds", new JsonObject()));
    server = new XdsServer(vertx, options.debounce(), this::model, roleContext.meters());
    server.onGone(this::closed);
    GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(MAX_MESSAGE_SIZE));
    grpc.callHandler(SOTW, this::stateOfTheWorld);
    grpc.callHandler(DELTA, this::incremental);
    http = vertx.createHttpServer(new HttpServerOptions()).requestHandler(grpc);
    consumer = vertx.eventBus().consumer(Addresses.xds(roleContext.nodeId()), BusService.handler(this::dispatch));
    waitingFor("the registry and the rules");
    follow();
    return Listeners.listen(http, "xds.port", options.listener()).onSuccess(s -> {
      boundPort("xds", s.actualPort());
      log.info("xDS (ADS) server on {}:{}, debounce {} ms", options.listener().host(), s.actualPort(),
          options.debounce().toMillis());
    });
  }

  /** Follows the registry and the rules (they may start later or on another node): retries until both load. */
  private void follow() {
    if (stopping) {
      return;
    }
    Future<RegistryView> r = registry != null ? Future.succeededFuture(registry) : RegistryView.follow(vertx, Scope.ALL);
    Future<RulesView> q = rules != null ? Future.succeededFuture(rules) : RulesView.follow(vertx);
    Future.join(r, q).onComplete(done -> {
      if (r.succeeded() && registry == null) {
        registry = r.result().onChange(e -> server.changed()).onReload(i -> server.changed());
      }
      if (q.succeeded() && rules == null) {
        rules = q.result().onChange(e -> server.changed());
      }
      if (stopping) {
        closeViews();
      } else if (registry != null && rules != null) {
        waitingFor(null);
        log.info("serving xDS from {} instances and {} rules", registry.instances().size(), rules.rules().size());
        server.start();
      } else {
        Throwable why = r.failed() ? r.cause() : q.cause();
        log.debug("registry or rules not reachable yet ({}); retrying", why.getMessage());
        retryTimer = vertx.setTimer(retryMillis, t -> follow());
        retryMillis = Math.min(2000, retryMillis * 2);
      }
    });
  }

  private Translator.Model model() {
    return new Translator.Model(List.copyOf(registry.instances().values()), List.copyOf(rules.rules().values()));
  }

  private void stateOfTheWorld(GrpcServerRequest<DiscoveryRequest, DiscoveryResponse> request) {
    GrpcServerResponse<DiscoveryRequest, DiscoveryResponse> response = request.response();
    Session session = server.open(response::write, null);
    track(session, request, response);
    request.handler(message -> {
      try {
        session.onRequest(message);
      } catch (IllegalArgumentException e) {
        reject(session, response, e.getMessage());
      }
    });
    wireClose(session, request, response);
  }

  private void incremental(GrpcServerRequest<DeltaDiscoveryRequest, DeltaDiscoveryResponse> request) {
    GrpcServerResponse<DeltaDiscoveryRequest, DeltaDiscoveryResponse> response = request.response();
    Session session = server.open(null, response::write);
    track(session, request, response);
    request.handler(message -> {
      try {
        session.onDeltaRequest(message);
      } catch (IllegalArgumentException e) {
        reject(session, response, e.getMessage());
      }
    });
    wireClose(session, request, response);
  }

  /**
   * A stream ends when the client half-closes it, cancels or resets it, or its connection goes
   * (one close handler per connection, shared by its streams).
   */
  private void track(Session session, GrpcServerRequest<?, ?> request, GrpcServerResponse<?, ?> response) {
    HttpConnection connection = request.connection();
    streams.put(session, new Stream(response, connection));
    byConnection.computeIfAbsent(connection, c -> {
      c.closeHandler(v -> {
        Set<Session> sessions = byConnection.remove(c);
        if (sessions != null) {
          new ArrayList<>(sessions).forEach(this::closed);
        }
      });
      return new HashSet<>();
    }).add(session);
  }

  private void wireClose(Session session, GrpcServerRequest<?, ?> request, GrpcServerResponse<?, ?> response) {
    request.endHandler(v -> {
      closed(session);
      response.end();
    });
    request.errorHandler(error -> closed(session));
    request.exceptionHandler(e -> closed(session));
    response.exceptionHandler(e -> closed(session));
  }

  private void reject(Session session, GrpcServerResponse<?, ?> response, String message) {
    log.warn("xDS stream {} refused: {}", session.id, message);
    closed(session);
    response.status(GrpcStatus.INVALID_ARGUMENT).statusMessage(message).end();
  }

  private void closed(Session session) {
    Stream stream = streams.remove(session);
    if (stream != null) {
      Set<Session> sessions = byConnection.get(stream.connection());
      if (sessions != null) {
        sessions.remove(session);
      }
    }
    server.close(session);
  }

  @Override
  protected Future<?> stopRole() {
    stopping = true;
    vertx.cancelTimer(retryTimer);
    // tell every client to go elsewhere (or come back): streams never end on their own
    for (Stream stream : new ArrayList<>(streams.values())) {
      try {
        stream.response().status(GrpcStatus.UNAVAILABLE).statusMessage("Meridian xDS server stopping").end();
      } catch (RuntimeException e) {
        // already gone
      }
    }
    streams.clear();
    byConnection.clear();
    if (server != null) {
      server.closeAll();
    }
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<Void> closed = http == null ? Future.succeededFuture() : http.close();
    return Future.all(unregistered, closed, closeViews());
  }

  private Future<Void> closeViews() {
    Future<Void> a = registry == null ? Future.succeededFuture() : registry.close();
    Future<Void> b = rules == null ? Future.succeededFuture() : rules.close();
    return Future.all(a, b).mapEmpty();
  }

  private Future<JsonObject> dispatch(String action, JsonObject body, String by) {
    return switch (action) {
      case XdsClient.CLIENTS -> Future.succeededFuture(new JsonObject()
          .put("node", roleContext.nodeId())
          .put("synced", server.snapshot() != null)
          .put("clients", server.clients()));
      case XdsClient.CONFIG_DUMP -> {
        String node = body.getString("node");
        if (node == null || node.isEmpty()) {
          throw ApiException.badRequest("node", "the id of a connected xDS node is required");
        }
        JsonObject dump = server.configDump(node);
        if (dump == null) {
          throw ApiException.notFound("no xDS client with node id '" + node + "' is connected to this server");
        }
        yield Future.succeededFuture(dump.put("server", roleContext.nodeId()));
      }
      default -> Future.failedFuture(ApiException.badRequest(Addresses.HEADER_ACTION, "unknown xds action '" + action + "'"));
    };
  }
}
