package io.meridian.common.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The admin HTTP server (REST API, UI, probes, metrics).
 *
 * @param listener        where it listens ({@code admin.host}, {@code admin.port}, default 8080)
 * @param token           the admin token ({@code admin.token} / {@code MERIDIAN_ADMIN_TOKEN});
 *                        {@code null} = generated on first start into {@code <data.dir>/admin.token}
 * @param publicEndpoints which of {@code /health}, {@code /ready}, {@code /metrics}, {@code /federate} need no token
 * @param maxBodySize     largest accepted request body (larger → 413)
 */
public record AdminOptions(ListenerOptions listener, String token, List<String> publicEndpoints, long maxBodySize) {

  /** The probe and metrics endpoints that may be opened to callers without a token. */
  public static final List<String> OPENABLE = List.of("/health", "/ready", "/metrics", "/federate");
  /**
   * The endpoints open by default: not {@code /federate}, which re-exposes every scraped
   * series of the mesh with its registry labels.
   */
  public static final List<String> DEFAULT_PUBLIC = List.of("/health", "/ready", "/metrics");
  public static final int DEFAULT_PORT = 8080;
  public static final long DEFAULT_MAX_BODY_SIZE = 1L << 20;
  /** Shortest accepted configured token: shorter secrets are guessable. */
  public static final int MIN_TOKEN_LENGTH = 16;

  public AdminOptions {
    publicEndpoints = List.copyOf(publicEndpoints);
  }

  static AdminOptions read(ConfigReader r) {
    ListenerOptions listener = ListenerOptions.read(r, DEFAULT_PORT);
    String token = r.string("token", null);
    if (token != null && token.isEmpty()) {
      token = null;
    }
    if (token != null) {
      validateToken(r.path("token"), token);
    }
    List<String> open = r.stringList("public", DEFAULT_PUBLIC);
    for (String endpoint : open) {
      if (!OPENABLE.contains(endpoint)) {
        throw new ConfigException(r.path("public"), "'" + endpoint + "' cannot be public (choose from "
            + String.join(", ", OPENABLE) + ")");
      }
    }
    long maxBody = r.size("maxBodySize", DEFAULT_MAX_BODY_SIZE, 1024, 1L << 30);
    return new AdminOptions(listener, token, open, maxBody);
  }

  /** Checks a configured token: 16–512 visible ASCII characters, no spaces. */
  public static void validateToken(String key, String token) {
    if (token.length() < MIN_TOKEN_LENGTH) {
      throw new ConfigException(key, "must be at least " + MIN_TOKEN_LENGTH + " characters long");
    }
    if (token.length() > 512) {
      throw new ConfigException(key, "must be at most 512 characters long");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c > '~') {
        throw new ConfigException(key, "must contain only visible ASCII characters (no spaces)");
      }
    }
  }

  /** JSON form; the token is replaced by {@code "***"} when {@code redact} is set. */
  public JsonObject toJson(boolean redact) {
    return listener.toJson()
        .put("token", token != null && redact ? "***" : token)
        .put("public", new JsonArray(publicEndpoints))
        .put("maxBodySize", maxBodySize);
  }
}
