package io.meridian.telemetry;

import io.meridian.common.auth.Permission;
import io.meridian.common.error.ApiException;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

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
  }
}
