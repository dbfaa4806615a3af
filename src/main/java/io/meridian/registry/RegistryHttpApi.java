package io.meridian.registry;

import io.meridian.common.Addresses;
import io.meridian.common.auth.Permission;
import io.meridian.common.events.EventFollower;
import io.meridian.common.units.Durations;
import io.meridian.common.error.ApiException;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.meridian.common.json.StrictJson;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The registry's REST resources under {@code /api/v1} (see docs/registry.md), translated to
 * {@link RegistryClient} calls, so they work on any node whatever its roles.
 *
 * <p>Writes need a token that may register ({@code agent}, {@code operator}, {@code admin});
 * reads a token that may read. Queries accept {@code ?index=N&wait=30s} (blocking, Consul
 * semantics) and answer with {@code X-Meridian-Index}.
 */
public final class RegistryHttpApi implements ApiModule {

  /** Response header carrying the registry index a result reflects. */
  public static final String INDEX_HEADER = "X-Meridian-Index";

  static final Duration DEFAULT_WAIT = Duration.ofMinutes(5);
  static final Duration MAX_WAIT = Duration.ofMinutes(10);
  static final long SSE_KEEPALIVE_MILLIS = 15_000;
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  @Override
  public void mount(Router router, Vertx vertx) {
    RegistryClient client = new RegistryClient(vertx);
    Handler<RoutingContext> register = TokenAuth.require(Permission.REGISTER);
    Handler<RoutingContext> read = TokenAuth.require(Permission.READ);

    router.post("/api/v1/instances").handler(register).handler(ctx -> {
      Params.of(ctx);
      client.register(ctx.body().asString(), TokenAuth.principal(ctx)).onSuccess(reply -> {
        JsonObject instance = reply.getJsonObject("instance");
        if (!reply.getJsonArray("warnings").isEmpty()) {
          instance.put("warnings", reply.getJsonArray("warnings"));
        }
        ctx.response().putHeader("Location", "/api/v1/instances/" + instance.getString("id"));
        ApiResponses.json(ctx, reply.getBoolean("created") ? 201 : 200, instance);
      }).onFailure(ctx::fail);
    });
    router.get("/api/v1/instances").handler(read).handler(ctx -> {
      Params p = Params.of(ctx, "tenant", "service", "plane", "kind", "index", "wait");
      String kind = p.string("kind");
      if (kind != null && !InstanceSpec.KINDS.contains(kind)) {
        throw ApiException.badRequest("kind", "must be one of " + String.join(", ", InstanceSpec.KINDS));
      }
      String tenant = p.label("tenant");
      String service = p.label("service");
      String plane = p.label("plane");
      answer(ctx, p, (index, wait) -> client.instances(tenant, service, plane, kind, index, wait));
    });
    router.get("/api/v1/instances/:id").handler(read).handler(ctx -> {
      Params.of(ctx);
      client.get(ctx.pathParam("id")).onSuccess(reply -> {
        ctx.response().putHeader(INDEX_HEADER, String.valueOf(reply.getLong("index")));
        ApiResponses.json(ctx, 200, reply.getJsonObject("instance"));
      }).onFailure(ctx::fail);
    });
    router.delete("/api/v1/instances/:id").handler(register).handler(ctx -> {
      Params.of(ctx);
      client.deregister(ctx.pathParam("id"), TokenAuth.principal(ctx))
          .onSuccess(reply -> ctx.response().setStatusCode(204).end())
          .onFailure(ctx::fail);
    });
    router.put("/api/v1/instances/:id/heartbeat").handler(register).handler(ctx -> {
      Params.of(ctx);
      String status = null;
      String output = null;
      if (ctx.body() != null && ctx.body().length() > 0) {
        JsonObject body = StrictJson.parseObject(ctx.body().asString());
        for (String field : body.fieldNames()) {
          if (!field.equals("status") && !field.equals("output")) {
            throw ApiException.badRequest(field, "unknown field (known here: output, status)");
          }
        }
        if (body.getValue("status") != null && !(body.getValue("status") instanceof String)) {
          throw ApiException.badRequest("status", "expected a string");
        }
        if (body.getValue("output") != null && !(body.getValue("output") instanceof String)) {
          throw ApiException.badRequest("output", "expected a string");
        }
        status = body.getString("status");
        output = body.getString("output");
      }
      client.heartbeat(ctx.pathParam("id"), status, output, TokenAuth.principal(ctx))
          .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
    router.get("/api/v1/services").handler(read).handler(ctx -> {
      Params p = Params.of(ctx, "tenant", "index", "wait");
      String tenant = p.label("tenant");
      answer(ctx, p, (index, wait) -> client.services(tenant, index, wait));
    });
    router.get("/api/v1/services/:name/endpoints").handler(read).handler(ctx -> {
      Params p = Params.of(ctx, "tenant", "plane", "version", "healthy", "index", "wait");
      String name = ctx.pathParam("name");
      if (!LABEL.matcher(name).matches()) {
        throw ApiException.badRequest("name", "'" + name + "' is not a DNS-1123 label");
      }
      String tenant = p.label("tenant") == null ? InstanceSpec.DEFAULT_TENANT : p.label("tenant");
      String plane = p.label("plane");
      String version = p.string("version");
      boolean healthy = p.bool("healthy", true);
      answer(ctx, p, (index, wait) -> client.endpoints(name, tenant, plane, version, healthy, index, wait));
    });
    router.get("/api/v1/registry/view").handler(read).handler(ctx -> {
      Params p = Params.of(ctx, "tenant", "plane", "visibility", "label", "includeShared", "index", "wait");
      Scope scope = p.scope();
      answer(ctx, p, (index, wait) -> client.view(scope, index, wait));
    });
    router.get("/api/v1/registry/planes").handler(read).handler(ctx -> {
      Params.of(ctx);
      client.planes().onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
    router.get("/api/v1/events").handler(read).handler(ctx -> events(ctx, vertx, client));
  }

  /** A query, blocking or not. */
  private interface Query {
    Future<JsonObject> run(long index, Duration wait);
  }

  /**
   * Answers a query; a blocking one is answered at once (non-blocking) when the server shuts
   * down, so a stopping node does not wait for long polls.
   */
  private static void answer(RoutingContext ctx, Params p, Query query) {
    long index = p.index();
    Duration wait = p.waitIfIndexed();
    if (index > 0 && wait != null) {
      ctx.request().connection().shutdownHandler(v -> query.run(0, null).onComplete(ar -> respond(ctx, ar.result(), ar.cause())));
    }
    query.run(index, wait).onComplete(ar -> respond(ctx, ar.result(), ar.cause()));
  }

  private static void respond(RoutingContext ctx, JsonObject body, Throwable failure) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    if (failure != null) {
      ctx.fail(failure);
      return;
    }
    ctx.response().putHeader(INDEX_HEADER, String.valueOf(body.getLong("index")));
    ApiResponses.json(ctx, 200, body);
  }

  /** Server-sent events of registry changes, resumable with {@code Last-Event-ID} or {@code ?index=}. */
  private static void events(RoutingContext ctx, Vertx vertx, RegistryClient client) {
    Params p = Params.of(ctx, "tenant", "service", "index");
    String tenant = p.label("tenant");
    String service = p.label("service");
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    long start;
    try {
      start = lastEventId != null && !lastEventId.isBlank() ? Long.parseLong(lastEventId.trim()) : p.index() > 0 ? p.index() : -1;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("Last-Event-ID", "must be a registry index");
    }
    HttpServerResponse response = ctx.response();
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    EventFollower[] holder = new EventFollower[1];
    EventFollower follower = new EventFollower(vertx, Addresses.REGISTRY_EVENTS, client::events, event -> {
      if ((tenant == null || tenant.equals(event.getString("tenant")))
          && (service == null || event.getJsonArray("services").contains(service))) {
        write(response, "id: " + event.getLong("index") + "\nevent: " + event.getString("type") + "\ndata: " + event.encode() + "\n\n");
      }
    }, current -> {
      write(response, "id: " + current + "\nevent: reset\ndata: " + new JsonObject().put("index", current).encode() + "\n\n");
      holder[0].begin(current);
    });
    holder[0] = follower;
    long keepalive = vertx.setPeriodic(SSE_KEEPALIVE_MILLIS, t -> write(response, ": keepalive\n\n"));
    response.closeHandler(v -> {
      vertx.cancelTimer(keepalive);
      follower.close();
    });
    ctx.request().connection().shutdownHandler(v -> {
      // the node is stopping: end the stream; EventSource clients reconnect with Last-Event-ID
      vertx.cancelTimer(keepalive);
      follower.close();
      if (!response.ended()) {
        response.end();
      }
    });
    follower.ready()
        .compose(v -> start >= 0 ? Future.succeededFuture(start) : client.events(-1).map(r -> r.getLong("index")))
        .onSuccess(position -> {
          write(response, ": following registry events after index " + position + "\n\n");
          follower.begin(position);
        })
        .onFailure(e -> {
          follower.close();
          vertx.cancelTimer(keepalive);
          if (!response.headWritten()) {
            ctx.fail(e);
          } else {
            response.end();
          }
        });
  }

  private static void write(HttpServerResponse response, String chunk) {
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.writeQueueFull()) {
      // a reader this slow resumes with Last-Event-ID instead of growing our memory
      response.reset();
      return;
    }
    response.write(chunk);
  }

  /** Query parameters: only the named ones are allowed; each read is validated. */
  private static final class Params {
    private final MultiMap params;

    private Params(MultiMap params) {
      this.params = params;
    }

    static Params of(RoutingContext ctx, String... allowed) {
      Set<String> known = new HashSet<>(List.of(allowed));
      for (String name : ctx.request().params().names()) {
        if (!known.contains(name) && !ctx.pathParams().containsKey(name)) {
          throw ApiException.badRequest(name, "unknown query parameter" + (allowed.length == 0 ? ""
              : " (known here: " + String.join(", ", allowed) + ")"));
        }
      }
      return new Params(ctx.request().params());
    }

    String string(String name) {
      List<String> values = params.getAll(name);
      if (values.size() > 1) {
        throw ApiException.badRequest(name, "given more than once");
      }
      return values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }

    String label(String name) {
      String value = string(name);
      if (value != null && !LABEL.matcher(value).matches()) {
        throw ApiException.badRequest(name, "'" + value + "' is not a DNS-1123 label");
      }
      return value;
    }

    boolean bool(String name, boolean def) {
      String value = string(name);
      if (value == null) {
        return def;
      }
      return switch (value) {
        case "true", "1" -> true;
        case "false", "0" -> false;
        default -> throw ApiException.badRequest(name, "must be true or false");
      };
    }

    long index() {
      String value = string("index");
      if (value == null) {
        return 0;
      }
      try {
        long index = Long.parseLong(value);
        if (index < 0) {
          throw new NumberFormatException();
        }
        return index;
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("index", "must be a registry index (a whole number >= 0)");
      }
    }

    Duration waitIfIndexed() {
      String value = string("wait");
      if (value == null) {
        return index() > 0 ? DEFAULT_WAIT : null;
      }
      Duration wait;
      try {
        wait = Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("wait", e.getMessage());
      }
      if (wait.compareTo(MAX_WAIT) > 0) {
        throw ApiException.badRequest("wait", "must be at most 10m");
      }
      return wait;
    }

    Scope scope() {
      Set<String> tenants = new HashSet<>();
      for (String t : commaList("tenant")) {
        tenants.add(checkLabel("tenant", t));
      }
      Set<String> planes = new HashSet<>();
      for (String pl : commaList("plane")) {
        planes.add(checkLabel("plane", pl));
      }
      String visibility = string("visibility");
      if (visibility != null && !visibility.equals("internal") && !visibility.equals("external")) {
        throw ApiException.badRequest("visibility", "must be internal or external");
      }
      Map<String, String> labels = new HashMap<>();
      for (String pair : params.getAll("label")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw ApiException.badRequest("label", "must be key=value (got '" + pair + "')");
        }
        labels.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
      return new Scope(tenants, planes, visibility, labels, bool("includeShared", false));
    }

    private List<String> commaList(String name) {
      String value = string(name);
      return value == null ? List.of() : List.of(value.split(","));
    }

    private static String checkLabel(String name, String value) {
      if (!LABEL.matcher(value).matches()) {
        throw ApiException.badRequest(name, "'" + value + "' is not a DNS-1123 label");
      }
      return value;
    }
  }
}
