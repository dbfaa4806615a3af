package io.meridian.gateway;

import io.vertx.core.Future;

/**
 * A step of the gateway's plugin chain. Plugins are built once from their typed config when
 * the chain is assembled (never per request) and must be thread-safe: one instance serves
 * every event loop. Hooks run on the request's event loop; a hook that finishes at once
 * returns a completed future (the chain then continues without a hop), an asynchronous one
 * returns its future (the chain resumes on the request's event loop when it completes). A
 * failed future refuses the request: a {@link PluginFailure} with its status, anything else
 * with 500.
 */
public interface GatewayPlugin {

  /** The plugin's id, as in the configuration ({@code request-id}, {@code metrics}, …). */
  String id();

  Phase phase();

  /** Before the request goes upstream, in phase order. */
  default Future<Void> onRequest(Exchange exchange) {
    return Future.succeededFuture();
  }

  /** When the upstream's response head arrived (or the gateway made one), in reverse phase order. */
  default Future<Void> onResponse(Exchange exchange) {
    return Future.succeededFuture();
  }

  /**
   * The compiler of the rules that configure this plugin per service (read with
   * {@link Exchange#policy(PolicyCompiler)}), or {@code null} for a plugin no rule configures.
   */
  default PolicyCompiler<?> policies() {
    return null;
  }

  /** After the response was sent or the exchange failed, in reverse phase order; must not throw. */
  default void onComplete(Exchange exchange) {
  }
}
