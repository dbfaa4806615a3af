package io.meridian.telemetry;

import io.meridian.common.auth.Permission;
import io.meridian.common.error.ApiException;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The telemetry REST resources (docs/telemetry.md), answered by the telemetry role over the bus
 * wherever it runs.
 *
 * <p>Scraper: {@code GET /api/v1/telemetry/targets?health=up|down|unknown&kind=registry|static|node}
 * (READ): every scrape target with its labels and health.
 *
 * <p>Traces: {@code GET /api/v1/traces} (search) and {@code GET /api/v1/traces/{traceId}}
 * (one trace as a tree), both with the READ permission.
 */
public final class TelemetryHttpApi implements ApiModule {

  /** Content type of {@code /federate} (Prometheus text format 0.0.4). */
  public static final String FEDERATE_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  @Override
  public void mount(Router router, Vertx vertx) {
    TelemetryClient client = new TelemetryClient(vertx);

    // --- scraper ---
    router.get("/api/v1/telemetry/targets").handler(TokenAuth.require(Permission.READ)).handler(ctx -> {
      JsonObject query = new JsonObject();
      for (String name : ctx.queryParams().names()) {
        if (!name.equals("health") && !name.equals("kind")) {
          throw ApiException.badRequest(name, "unknown query parameter (known: health, kind)");
        }
        query.put(name, ctx.queryParams().get(name));
      }
      client.request(TelemetryClient.TARGETS, query).onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
    // --- end scraper ---

    // --- traces ---
    router.get("/api/v1/traces").handler(TokenAuth.require(Permission.READ)).handler(ctx -> {
      JsonObject params = new JsonObject();
      ctx.queryParams().forEach(e -> params.put(e.getKey(), e.getValue()));
      client.request(TelemetryClient.TRACES_QUERY, params)
          .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
    router.get("/api/v1/traces/:traceId").handler(TokenAuth.require(Permission.READ)).handler(ctx ->
        client.request(TelemetryClient.TRACES_GET, new JsonObject().put("traceId", ctx.pathParam("traceId")))
            .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail));
    // --- end traces ---

    // --- series + queries ---
    // GET /federate sits outside /api/v1: the admin server checks the token on it (read
    // permission) unless admin.public lists it, like /metrics.
    router.get("/federate").handler(ctx -> federate(ctx, client));
    router.get("/api/v1/metrics/service").handler(TokenAuth.require(Permission.READ)).handler(ctx -> {
      JsonObject body = new JsonObject()
          .put("name", ctx.request().getParam("name"))
          .put("tenant", ctx.request().getParam("tenant"))
          .put("window", ctx.request().getParam("window"));
      client.request(TelemetryClient.SERVICE_METRICS, body)
          .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
    router.get("/api/v1/graph").handler(TokenAuth.require(Permission.READ)).handler(ctx -> {
      JsonObject body = new JsonObject()
          .put("tenant", ctx.request().getParam("tenant"))
          .put("window", ctx.request().getParam("window"));
      client.request(TelemetryClient.GRAPH, body)
          .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
    router.get("/api/v1/telemetry/series").handler(TokenAuth.require(Permission.READ)).handler(ctx ->
        client.request(TelemetryClient.SERIES_STATS, new JsonObject())
            .onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail));
    // --- end series + queries ---
  }

  /**
   * Streams the role's federation pages: the first page decides the status (an error is the
   * JSON error document); later pages are written as they come, each asked for once the
   * previous one is written (a failure then cuts the connection, as the status is sent).
   */
  private static void federate(RoutingContext ctx, TelemetryClient client) {
    JsonArray match = new JsonArray(ctx.queryParam("match[]"));
    JsonObject first = new JsonObject().put("match", match);
    client.request(TelemetryClient.FEDERATE, first).onSuccess(page -> {
      HttpServerResponse response = ctx.response()
          .putHeader("Content-Type", FEDERATE_CONTENT_TYPE)
          .setChunked(true);
      writePages(response, client, match, page);
    }).onFailure(ctx::fail);
  }

  private static void writePages(HttpServerResponse response, TelemetryClient client, JsonArray match, JsonObject page) {
    JsonObject next = page.getJsonObject("next");
    Future<Void> written = response.write(Buffer.buffer(page.getString("text", "")));
    if (next == null) {
      written.onComplete(x -> response.end());
      return;
    }
    written
        .compose(x -> client.request(TelemetryClient.FEDERATE, new JsonObject().put("match", match).put("cursor", next)))
        .onSuccess(following -> writePages(response, client, match, following))
        .onFailure(failure -> response.reset());
  }
}
