package io.meridian.app;

import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.vertx.core.Future;

/**
 * Stands in for a role whose feature is not built yet: it starts, binds nothing, serves
 * nothing, and says so in {@code /api/v1/status} ({@code "implemented": false}).
 */
final class NotBuiltRole extends RoleVerticle {

  private final String missing;

  NotBuiltRole(String role, RoleContext context, String missing) {
    super(role, context);
    this.missing = missing;
  }

  @Override
  protected Future<?> startRole() {
    detail("not built yet: " + missing + "; this role serves nothing");
    log.warn("role '{}' is not built yet: {}; it serves nothing", role, missing);
    return Future.succeededFuture();
  }

  @Override
  protected boolean implemented() {
    return false;
  }
}
