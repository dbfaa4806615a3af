package io.meridian.gateway.impl.route;

import io.meridian.common.units.Durations;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A VirtualService route's {@code corsPolicy}, compiled (Envoy's CORS filter semantics): an origin
 * is allowed when one of {@code allowOrigins} (exact, prefix, regex; an exact {@code *} allows any)
 * or of the older {@code allowOrigin} strings matches it. Preflights from an allowed origin are
 * answered by the gateway; responses to an allowed origin carry {@code Access-Control-Allow-Origin}
 * (the origin itself), credentials and exposed headers; a disallowed origin gets no CORS headers.
 * Immutable.
 */
public final class CorsPolicy {

  private final StringMatch[] origins;
  private final boolean anyOrigin;
  private final String allowMethods;
  private final String allowHeaders;
  private final String exposeHeaders;
  private final String maxAge;
  private final boolean credentials;

  private CorsPolicy(StringMatch[] origins, boolean anyOrigin, String allowMethods, String allowHeaders, String exposeHeaders,
      String maxAge, boolean credentials) {
    this.origins = origins;
    this.anyOrigin = anyOrigin;
    this.allowMethods = allowMethods;
    this.allowHeaders = allowHeaders;
    this.exposeHeaders = exposeHeaders;
    this.maxAge = maxAge;
    this.credentials = credentials;
  }

  /** From a route's {@code corsPolicy} (validated), or {@code null} when it has none. */
  public static CorsPolicy of(JsonObject json) {
    if (json == null) {
      return null;
    }
    List<StringMatch> origins = new ArrayList<>();
    boolean any = false;
    for (Object o : json.getJsonArray("allowOrigins", new JsonArray())) {
      JsonObject m = (JsonObject) o;
      if ("*".equals(m.getString("exact"))) {
        any = true;
      } else {
        origins.add(StringMatch.of(m, false));
      }
    }
    for (Object o : json.getJsonArray("allowOrigin", new JsonArray())) {
      String exact = String.valueOf(o);
      if (exact.equals("*")) {
        any = true;
      } else {
        origins.add(StringMatch.of(new JsonObject().put("exact", exact), false));
      }
    }
    String maxAge = json.getString("maxAge");
    return new CorsPolicy(origins.toArray(StringMatch[]::new), any, join(json, "allowMethods"), join(json, "allowHeaders"),
        join(json, "exposeHeaders"), maxAge == null ? null : Long.toString(Durations.parse(maxAge).toSeconds()),
        json.getBoolean("allowCredentials", false));
  }

  private static String join(JsonObject json, String field) {
    JsonArray a = json.getJsonArray(field);
    if (a == null || a.isEmpty()) {
      return null;
    }
    List<String> parts = new ArrayList<>(a.size());
    a.forEach(v -> parts.add(String.valueOf(v)));
    return String.join(",", parts);
  }

  /** Whether {@code origin} (the request's {@code Origin}) is allowed. */
  public boolean allows(String origin) {
    if (origin == null || origin.isEmpty()) {
      return false;
    }
    if (anyOrigin) {
      return true;
    }
    for (StringMatch m : origins) {
      if (m.test(origin)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a request is a CORS preflight: {@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}. */
  public static boolean isPreflight(String method, String origin, String requestMethod) {
    return "OPTIONS".equals(method) && origin != null && !origin.isEmpty() && requestMethod != null && !requestMethod.isEmpty();
  }

  /** The headers of the gateway's answer to a preflight from the allowed {@code origin}. */
  public void preflightHeaders(HttpHeaders h, String origin) {
    h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if (allowMethods != null) {
      h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, allowMethods);
    }
    if (allowHeaders != null) {
      h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, allowHeaders);
    }
    if (maxAge != null) {
      h.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, maxAge);
    }
    if (credentials) {
      h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    varyOnOrigin(h);
  }

  /** The headers added to a response (from upstream or the gateway) to a request from the allowed {@code origin}. */
  public void responseHeaders(HttpHeaders h, String origin) {
    h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if (credentials) {
      h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    if (exposeHeaders != null) {
      h.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, exposeHeaders);
    }
    varyOnOrigin(h);
  }

  private static void varyOnOrigin(HttpHeaders h) {
    String vary = h.get(HttpHeaderNames.VARY);
    if (vary == null) {
      h.set(HttpHeaderNames.VARY, "Origin");
      return;
    }
    for (String part : vary.split(",")) {
      String p = part.trim().toLowerCase(Locale.ROOT);
      if (p.equals("origin") || p.equals("*")) {
        return;
      }
    }
    h.set(HttpHeaderNames.VARY, vary + ", Origin");
  }
}
