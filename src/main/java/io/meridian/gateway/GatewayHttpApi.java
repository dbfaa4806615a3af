package io.meridian.gateway;

import io.meridian.common.auth.Permission;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * The gateway REST resources (docs/gateway.md, Circuit breakers): {@code GET /api/v1/gateway/breakers}
 * (every circuit breaker of every gateway in the cluster: tenant, service, subset, state,
 * requests and failures in its window, when it opened and when it lets trials through) and
 * {@code GET /api/v1/gateway/gateways} (docs/gateway.md, Gateways: every gateway of the cluster
 * with its scope, listeners, TLS, instance count and readiness).
 */
public final class GatewayHttpApi implements ApiModule {

  @Override
  public void mount(Router router, Vertx vertx) {
    GatewayClient client = new GatewayClient(vertx);
    router.get("/api/v1/gateway/breakers").handler(TokenAuth.require(Permission.READ)).handler(ctx ->
        client.breakers().onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail));
    router.get("/api/v1/gateway/gateways").handler(TokenAuth.require(Permission.READ)).handler(ctx ->
        client.gateways().onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail));
  }
}
