package io.meridian.gateway.impl.plugins.ratelimit;

import io.meridian.gateway.Attributes;
import io.meridian.gateway.Exchange;
import java.net.InetSocketAddress;
import java.util.Map;

/** What a policy's buckets are keyed by: {@code client-ip}, {@code route}, {@code header:NAME} or {@code claim:NAME}
 * ({@code NAME} may be a dotted path into nested claims, e.g. {@code claim:org.tier}). */
record KeySource(Kind kind, String name) {

  enum Kind { CLIENT_IP, ROUTE, HEADER, CLAIM }

  /** Bucket of requests without the header. */
  static final String NO_HEADER = "none";
  /** Bucket of requests without the claim (no verified JWT, or a JWT without it). */
  static final String ANONYMOUS = "anonymous";
  /** Bucket of requests whose route has no name. */
  static final String DEFAULT_ROUTE = "default";

  static KeySource parse(String key) {
    if (key == null) {
      throw new IllegalArgumentException("a rate-limit key is required");
    }
    if (key.equals("client-ip")) {
      return new KeySource(Kind.CLIENT_IP, null);
    }
    if (key.equals("route")) {
      return new KeySource(Kind.ROUTE, null);
    }
    if (key.startsWith("header:") && key.length() > "header:".length()) {
      return new KeySource(Kind.HEADER, key.substring("header:".length()));
    }
    if (key.startsWith("claim:") && key.length() > "claim:".length()) {
      return new KeySource(Kind.CLAIM, key.substring("claim:".length()));
    }
    throw new IllegalArgumentException("unknown rate-limit key '" + key + "' (client-ip, route, header:NAME or claim:NAME)");
  }

  /** The key value of {@code exchange}. */
  String of(Exchange exchange) {
    switch (kind) {
      case CLIENT_IP -> {
        String trusted = exchange.get(Attributes.CLIENT_IP);
        if (trusted != null) {
          return trusted;
        }
        InetSocketAddress peer = exchange.clientAddress();
        if (peer == null) {
          return NO_HEADER;
        }
        return peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
      }
      case ROUTE -> {
        String route = exchange.route();
        return route != null ? route : DEFAULT_ROUTE;
      }
      case HEADER -> {
        String value = exchange.requestHeader(name);
        return value != null ? value : NO_HEADER;
      }
      default -> {
        Object value = claim(exchange.get(Attributes.JWT_CLAIMS), name);
        if (value instanceof java.util.List<?> list) {
          return list.isEmpty() ? ANONYMOUS : String.join(",", list.stream().map(String::valueOf).toList());
        }
        return value != null && !(value instanceof Map) ? value.toString() : ANONYMOUS;
      }
    }
  }

  /**
   * The claim {@code name}: the top-level claim of that name, else, for a dotted name, the nested
   * claim along the path ({@code realm.tier} → {@code {"realm": {"tier": …}}}); {@code null} if absent.
   */
  static Object claim(Map<String, Object> claims, String name) {
    if (claims == null) {
      return null;
    }
    Object value = claims.get(name);
    if (value == null && name.indexOf('.') > 0) {
      Object at = claims;
      for (String part : name.split("\\.")) {
        at = at instanceof Map<?, ?> m ? m.get(part) : null;
      }
      value = at;
    }
    return value;
  }
}
