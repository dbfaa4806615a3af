package io.meridian.gateway.impl.route;

import io.meridian.gateway.PolicyCompiler;
import java.util.Map;
import java.util.Set;

/**
 * Everything the gateway knows about one service it may route to: its endpoints (all, per
 * pinned version, per DestinationRule subset), its compiled routes and how its gateway prefix
 * maps to the upstream path. Immutable.
 *
 * @param tenant      the service's tenant
 * @param name        the service's name
 * @param kind        {@code mesh}, {@code shared} or {@code external} (of its instances)
 * @param pathPrefix  the custom gateway path prefix of its binding ({@code path}), or {@code null}
 * @param stripPrefix whether the gateway prefix that selected the service is removed before forwarding
 * @param all         every healthy endpoint, with the service's traffic policy
 * @param versions    clusters per binding version ({@code /api/{service}/v1/…} pins one)
 * @param routes      compiled VirtualService routes, or the one implicit route to {@code all}
 * @param policies    the plugins' compiled policies for this service, by compiler (identity)
 * @param matchHeaders the request headers (lower case) its routes match on: a plugin that changes
 *                    one makes the gateway match the route again
 */
public record ServiceRoutes(String tenant, String name, String kind, String pathPrefix, boolean stripPrefix, Cluster all,
    Map<String, Cluster> versions, HttpRoute[] routes, Map<PolicyCompiler<?>, Object> policies, Set<String> matchHeaders) {

  /** The compiled policy of {@code compiler} for this service, or {@code null}. */
  @SuppressWarnings("unchecked")
  public <T> T policy(PolicyCompiler<T> compiler) {
    return policies.isEmpty() ? null : (T) policies.get(compiler);
  }

  /** Whether any instance declares a version (then {@code /api/{service}/v{n}/} is a version pin). */
  public boolean versioned() {
    return !versions.isEmpty();
  }

  /** The first route whose matches apply, or {@code null}. */
  public HttpRoute route(Match.Request request) {
    for (HttpRoute r : routes) {
      if (r.matches(request)) {
        return r;
      }
    }
    return null;
  }
}
