package io.meridian.ui.impl;

import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.vertx.core.Future;

/**
 * The {@code ui} role: the node's admin server serves the web UI ({@link UiSite}, mounted by
 * the launcher because the admin server belongs to the node), and this verticle reports it in
 * {@code /api/v1/status}. The browser talks to the REST API of the same server, which reaches
 * every role over the event bus.
 */
public final class UiVerticle extends RoleVerticle {

  private final UiSite site;

  /** @param site the files the node's admin server serves */
  public UiVerticle(RoleContext context, UiSite site) {
    super("ui", context);
    this.site = site;
  }

  @Override
  protected Future<?> startRole() {
    detail("web UI at / on the admin port (" + site.paths().size() + " files)");
    return Future.succeededFuture();
  }
}
