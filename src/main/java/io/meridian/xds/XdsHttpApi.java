package io.meridian.xds;

import io.meridian.common.auth.Permission;
import io.meridian.common.error.ApiException;
import io.meridian.common.http.ApiModule;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The xDS REST resources (docs/xds.md): {@code GET /api/v1/xds/clients} (connected nodes,
 * their scope, per type the subscription, sent and ACKed versions, NACKs, last push) and
 * {@code GET /api/v1/xds/config_dump?node=ID} (the exact resources that node was sent).
 */
public final class XdsHttpApi implements ApiModule {

  @Override
  public void mount(Router router, Vertx vertx) {
    XdsClient client = new XdsClient(vertx);
    Handler<RoutingContext> read = TokenAuth.require(Permission.READ);
    router.get("/api/v1/xds/clients").handler(read).handler(ctx ->
        client.clients().onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail));
    router.get("/api/v1/xds/config_dump").handler(read).handler(ctx -> {
      String node = ctx.request().getParam("node");
      if (node == null || node.isBlank()) {
        ctx.fail(ApiException.badRequest("node", "query parameter 'node' (the xDS node id) is required"));
        return;
      }
      client.configDump(node).onSuccess(reply -> ApiResponses.json(ctx, 200, reply)).onFailure(ctx::fail);
    });
  }
}
