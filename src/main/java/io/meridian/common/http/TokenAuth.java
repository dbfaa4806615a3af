package io.meridian.common.http;

import io.meridian.common.auth.Permission;
import io.meridian.common.auth.Principal;
import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.error.ApiException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Bearer-token authentication and permission checks for HTTP routes.
 *
 * <p>{@link #authenticate} puts the caller's {@link Principal} on the routing context
 * (401 when the token is missing or unknown); {@link #require} then answers 403 when the
 * principal's role lacks a permission.
 */
public final class TokenAuth {

  /**
   * The only resources that also accept the token as the query parameter
   * {@value #QUERY_TOKEN_PARAM} (GET only): streams a browser opens with {@code EventSource},
   * which cannot set headers. The query string is never logged (logs name the path only).
   */
  public static final java.util.Set<String> QUERY_TOKEN_PATHS = java.util.Set.of("/api/v1/ui/stream");

  /** The query parameter carrying a token on {@link #QUERY_TOKEN_PATHS}. */
  public static final String QUERY_TOKEN_PARAM = "access_token";

  /** Routing-context key of the authenticated {@link Principal}. */
  public static final String PRINCIPAL = "meridian.principal";

  /**
   * Authenticates {@code Authorization: Bearer <token>} (and, when {@code alsoConsulHeader},
   * {@code X-Consul-Token}; on {@link #QUERY_TOKEN_PATHS}, {@code ?access_token=}).
   */
  public static Handler<RoutingContext> authenticate(TokenVerifier verifier, boolean alsoConsulHeader) {
    return ctx -> {
      String token = presentedToken(ctx.request(), alsoConsulHeader);
      if (token == null) {
        ctx.fail(ApiException.unauthorized("missing token: send 'Authorization: Bearer <token>'"));
        return;
      }
      Principal principal = verifier.verify(token);
      if (principal == null) {
        ctx.fail(ApiException.unauthorized("invalid or revoked token"));
        return;
      }
      ctx.put(PRINCIPAL, principal);
      ctx.next();
    };
  }

  /** 403 unless the authenticated principal has {@code permission}. */
  public static Handler<RoutingContext> require(Permission permission) {
    return ctx -> {
      Principal principal = principal(ctx);
      if (principal == null) {
        ctx.fail(ApiException.unauthorized("a valid bearer token is required"));
      } else if (!principal.can(permission)) {
        ctx.fail(ApiException.forbidden("role '" + principal.role().id() + "' may not "
            + permission.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')));
      } else {
        ctx.next();
      }
    };
  }

  /** The authenticated principal, or {@code null}. */
  public static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /**
   * The token a request presents, or {@code null}: {@code Authorization: Bearer}, then (when
   * asked) {@code X-Consul-Token}, then, on {@link #QUERY_TOKEN_PATHS} only, {@code ?access_token=}.
   */
  public static String presentedToken(HttpServerRequest request, boolean alsoConsulHeader) {
    String header = request.getHeader("Authorization");
    if (header != null) {
      String trimmed = header.trim();
      if (trimmed.regionMatches(true, 0, "Bearer ", 0, 7)) {
        String token = trimmed.substring(7).trim();
        return token.isEmpty() ? null : token;
      }
    }
    if (alsoConsulHeader) {
      String consul = request.getHeader("X-Consul-Token");
      if (consul != null && !consul.isBlank()) {
        return consul.trim();
      }
    }
    if (request.method() == io.vertx.core.http.HttpMethod.GET && QUERY_TOKEN_PATHS.contains(request.path())) {
      String query = request.getParam(QUERY_TOKEN_PARAM);
      if (query != null && !query.isBlank()) {
        return query.trim();
      }
    }
    return null;
  }

  private TokenAuth() {
  }
}
