package io.meridian.common.http;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * A room's REST resources under {@code /api/v1}, mounted on the admin server of every node.
 *
 * <p>Modules are thin adapters: they check permissions ({@link TokenAuth#require}), translate
 * the request into a call on the owning role's bus API, and render the reply or the error.
 * Requests reach the router already authenticated ({@link TokenAuth#principal}) and with
 * their body read.
 */
public interface ApiModule {

  /** Adds this module's routes. */
  void mount(Router router, Vertx vertx);
}
