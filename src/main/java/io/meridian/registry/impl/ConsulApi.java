package io.meridian.registry.impl;

import io.meridian.common.auth.Permission;
import io.meridian.common.auth.Principal;
import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.units.Durations;
import io.meridian.common.error.ApiException;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.meridian.common.json.StrictJson;
import io.meridian.common.verticle.BusService;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.meridian.registry.RegistryClient;
import io.meridian.registry.RegistryEvent;
import io.meridian.registry.ServiceBinding;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The Consul-compatible HTTP API (a subset of Consul's agent, catalog, health and status
 * endpoints) on {@code consul.port}, so existing Consul clients register and discover through
 * Meridian unchanged. Runs inside the registry verticle and calls {@link RegistryService}
 * directly.
 *
 * <p>Tokens: {@code X-Consul-Token} or {@code Authorization: Bearer}; writes need a token that
 * may register ({@code agent}, {@code operator}, {@code admin}), reads one that may read.
 * Namespaces ({@code ?ns=}, {@code Namespace}, {@code X-Consul-Namespace}) are tenants.
 * Meridian extension: {@code ?plane=} restricts catalog and health answers to one plane.
 * Blocking queries: {@code ?index=&wait=} with {@code X-Consul-Index}, as Consul.
 */
final class ConsulApi {

  static final String DATACENTER = "dc1";
  static final Duration DEFAULT_WAIT = Duration.ofMinutes(5);

  private final Vertx vertx;
  private final RegistryService registry;
  private final BusService.Dispatch writes;
  private final TokenVerifier tokens;
  private final String nodeId;
  private final ConsulMapping mapping;
  private final long maxBodySize;

  ConsulApi(Vertx vertx, RegistryService registry, BusService.Dispatch writes, TokenVerifier tokens, String nodeId, ConsulMapping mapping,
      long maxBodySize) {
    this.vertx = vertx;
    this.registry = registry;
    this.writes = writes;
    this.tokens = tokens;
    this.nodeId = nodeId;
    this.mapping = mapping;
    this.maxBodySize = maxBodySize;
  }

  Router router() {
    Router router = Router.router(vertx);
    router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(maxBodySize));
    // like Consul, the status endpoints need no token
    router.get("/v1/status/leader").handler(ctx -> json(ctx.response(), "\"" + self(ctx) + "\""));
    router.get("/v1/status/peers").handler(ctx -> json(ctx.response(), new JsonArray().add(self(ctx))));
    router.route("/v1/*").handler(TokenAuth.authenticate(tokens, true));
    var register = TokenAuth.require(Permission.REGISTER);
    var read = TokenAuth.require(Permission.READ);

    router.put("/v1/agent/service/register").handler(register).handler(this::registerService);
    router.put("/v1/agent/service/deregister/:id").handler(register).handler(ctx ->
        writes.handle(RegistryClient.DEREGISTER, new JsonObject().put("id", ctx.pathParam("id"))
                .put("reason", "deregistered through the Consul API by " + by(ctx)), by(ctx))
            .onSuccess(v -> ok(ctx.response())).onFailure(ctx::fail));
    for (String verb : List.of("pass", "warn", "fail")) {
      String status = verb.equals("pass") ? HealthStatus.PASSING : verb.equals("warn") ? HealthStatus.WARNING : HealthStatus.CRITICAL;
      router.put("/v1/agent/check/" + verb + "/:checkId").handler(register).handler(ctx ->
          updateCheck(ctx, status, ctx.request().getParam("note")));
    }
    router.put("/v1/agent/check/update/:checkId").handler(register).handler(ctx -> {
      JsonObject body = ConsulMapping.canonical(StrictJson.parseObject(ctx.body().asString()), List.of("Status", "Output"), "");
      String status = body.getString("Status");
      if (status == null || !HealthStatus.STATES.contains(status)) {
        throw ApiException.badRequest("Status", "must be one of passing, warning, critical");
      }
      updateCheck(ctx, status, body.getString("Output"));
    });
    router.get("/v1/agent/services").handler(read).handler(this::agentServices);
    router.get("/v1/agent/checks").handler(read).handler(this::agentChecks);
    router.get("/v1/agent/self").handler(read).handler(this::agentSelf);
    router.get("/v1/catalog/services").handler(read).handler(this::catalogServices);
    router.get("/v1/catalog/service/:name").handler(read).handler(ctx -> serviceQuery(ctx, false));
    router.get("/v1/health/service/:name").handler(read).handler(ctx -> serviceQuery(ctx, true));
    router.get("/v1/catalog/datacenters").handler(read).handler(ctx -> json(ctx.response(), new JsonArray().add(DATACENTER)));

    router.route().failureHandler(ApiResponses.failureHandler());
    for (int status : new int[] {400, 401, 403, 404, 405, 413, 500}) {
      router.errorHandler(status, ApiResponses.failureHandler());
    }
    return router;
  }

  private void registerService(RoutingContext ctx) {
    String body = ctx.body().asString();
    JsonObject consul = StrictJson.parseObject(body == null ? "" : body);
    ConsulMapping.Translated translated = mapping.registration(consul, namespace(ctx));
    try {
      // checked here, so that errors name the Consul fields; the leader parses it again
      registry.parser().parse(translated.registration());
    } catch (ApiException e) {
      throw ApiException.badRequest(translated.consulField(e.field()), e.getMessage());
    }
    writes.handle(RegistryClient.REGISTER, new JsonObject().put("body", translated.registration().encode()), by(ctx))
        .onSuccess(v -> ok(ctx.response())).onFailure(ctx::fail);
  }

  private void updateCheck(RoutingContext ctx, String status, String output) {
    String checkId = ctx.pathParam("checkId");
    Instance instance = registry.byCheckId(checkId);
    if (instance == null) {
      ctx.fail(ApiException.notFound("no check '" + checkId + "'"));
      return;
    }
    writes.handle(RegistryClient.HEARTBEAT, new JsonObject().put("id", instance.id()).put("status", status)
        .put("output", output), by(ctx)).onSuccess(v -> ok(ctx.response())).onFailure(ctx::fail);
  }

  private void agentServices(RoutingContext ctx) {
    String tenant = namespace(ctx);
    JsonObject services = new JsonObject();
    for (Instance i : registry.instances(tenant, null, null, null)) {
      for (ServiceBinding s : i.spec().services()) {
        services.put(ConsulMapping.serviceId(i, s), ConsulMapping.agentService(i, s, null, DATACENTER));
      }
    }
    json(ctx.response(), services);
  }

  private void agentChecks(RoutingContext ctx) {
    String tenant = namespace(ctx);
    JsonObject checks = new JsonObject();
    for (Instance i : registry.instances(tenant, null, null, null)) {
      String id = ConsulMapping.checkId(i);
      if (id != null) {
        checks.put(id, ConsulMapping.check(i, i.spec().services().get(0), id));
      }
    }
    json(ctx.response(), checks);
  }

  private void agentSelf(RoutingContext ctx) {
    json(ctx.response(), new JsonObject()
        .put("Config", new JsonObject().put("Datacenter", DATACENTER).put("NodeName", "meridian-" + nodeId)
            .put("NodeID", nodeId).put("Server", true).put("Version", "1.17.0").put("Revision", "meridian"))
        .put("Member", new JsonObject().put("Name", "meridian-" + nodeId).put("Addr", ctx.request().localAddress().hostAddress())
            .put("Port", 8301).put("Status", 1).put("Tags", new JsonObject().put("role", "consul").put("dc", DATACENTER)))
        .put("Meta", new JsonObject().put("meridian", "true")));
  }

  private void catalogServices(RoutingContext ctx) {
    String tenant = namespace(ctx);
    blocking(ctx, e -> e.concerns(tenant, null), () -> {
      TreeMap<String, TreeSet<String>> tags = new TreeMap<>();
      for (Instance i : registry.instances(tenant, null, null, null)) {
        for (ServiceBinding s : i.spec().services()) {
          tags.computeIfAbsent(s.name(), n -> new TreeSet<>()).addAll(i.spec().tags());
        }
      }
      JsonObject result = new JsonObject();
      tags.forEach((name, t) -> result.put(name, new JsonArray(List.copyOf(t))));
      return result.encode();
    });
  }

  private void serviceQuery(RoutingContext ctx, boolean health) {
    String name = ctx.pathParam("name");
    String tenant = namespace(ctx);
    String tag = ctx.request().getParam("tag");
    String plane = ctx.request().getParam("plane");
    boolean passingOnly = health && ctx.request().params().contains("passing")
        && !"false".equalsIgnoreCase(ctx.request().getParam("passing")) && !"0".equals(ctx.request().getParam("passing"));
    blocking(ctx, e -> e.concerns(tenant, name), () -> {
      JsonArray result = new JsonArray();
      for (Instance i : registry.instances(tenant, name, null, null)) {
        ServiceBinding s = i.spec().service(name);
        if (s == null || (tag != null && !i.spec().tags().contains(tag)) || (plane != null && !s.planes().contains(plane))
            || (passingOnly && !i.passing())) {
          continue;
        }
        if (health) {
          String address = i.spec().address(ConsulMapping.servicePlane(s, plane));
          result.add(new JsonObject()
              .put("Node", ConsulMapping.node(i, address, DATACENTER))
              .put("Service", ConsulMapping.agentService(i, s, plane, DATACENTER))
              .put("Checks", ConsulMapping.checks(i, s)));
        } else {
          result.add(ConsulMapping.catalogService(i, s, plane, DATACENTER));
        }
      }
      return result.encode();
    });
  }

  /** Answers now, or — with {@code ?index=} — when something the query watches changes. */
  private void blocking(RoutingContext ctx, Predicate<RegistryEvent> filter, Supplier<String> query) {
    long since = longParam(ctx, "index");
    Duration wait = DEFAULT_WAIT;
    String waitText = ctx.request().getParam("wait");
    if (waitText != null) {
      try {
        wait = Durations.parse(waitText);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("wait", e.getMessage());
      }
    }
    Future<String> answer = registry.blocking(since, wait, filter, query);
    answer.onSuccess(body -> {
      if (!ctx.response().closed()) {
        json(ctx.response(), body);
      }
    }).onFailure(ctx::fail);
  }

  private void json(HttpServerResponse response, Object body) {
    String text = body instanceof String s ? s : body instanceof JsonObject o ? o.encode() : ((JsonArray) body).encode();
    response.putHeader("Content-Type", "application/json")
        .putHeader("X-Consul-Index", Long.toString(Math.max(1, registry.index())))
        .putHeader("X-Consul-KnownLeader", "true")
        .putHeader("X-Consul-LastContact", "0")
        .end(text + "\n");
  }

  private static void ok(HttpServerResponse response) {
    response.putHeader("Content-Type", "application/json").end("");
  }

  /** This API's own address: Meridian has no Raft peers, the registry answers for itself. */
  private static String self(RoutingContext ctx) {
    return ctx.request().localAddress().hostAddress() + ":" + ctx.request().localAddress().port();
  }

  private static String namespace(RoutingContext ctx) {
    String ns = ctx.request().getParam("ns");
    if (ns == null || ns.isEmpty()) {
      ns = ctx.request().getHeader("X-Consul-Namespace");
    }
    return ns == null || ns.isEmpty() ? InstanceSpec.DEFAULT_TENANT : ns;
  }

  private static long longParam(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name, "must be a whole number");
    }
  }

  private static String by(RoutingContext ctx) {
    Principal principal = TokenAuth.principal(ctx);
    return principal == null ? "unknown" : principal.name();
  }
}
