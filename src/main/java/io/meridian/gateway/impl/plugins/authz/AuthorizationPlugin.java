package io.meridian.gateway.impl.plugins.authz;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.PolicyCompiler;
import io.vertx.core.Future;

/**
 * Istio {@code AuthorizationPolicy} at the gateway (phase {@link Phase#AUTHZ}): a request that a
 * {@code DENY} policy of its service matches is refused with 403 {@code forbidden}; so is one that
 * no {@code ALLOW} policy matches when the service has any; everything else passes. Policies are
 * compiled once per route table by {@link AuthorizationCompiler}.
 */
public final class AuthorizationPlugin implements GatewayPlugin {

  private final AuthorizationCompiler compiler = new AuthorizationCompiler();

  @Override
  public String id() {
    return "authorization";
  }

  @Override
  public Phase phase() {
    return Phase.AUTHZ;
  }

  @Override
  public PolicyCompiler<?> policies() {
    return compiler;
  }

  @Override
  public Future<Void> onRequest(Exchange exchange) {
    AuthorizationPolicies policies = exchange.policy(compiler);
    if (policies == null) {
      return Future.succeededFuture();
    }
    String denial = policies.decide(new AuthzRequest(exchange));
    return denial == null ? Future.succeededFuture() : Future.failedFuture(new PluginFailure(403, "forbidden", denial));
  }
}
