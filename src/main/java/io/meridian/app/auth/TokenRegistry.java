package io.meridian.app.auth;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.error.ApiException;
import io.meridian.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The API tokens of this node: the admin token plus named tokens created through
 * {@code /api/v1/tokens}, each with a role.
 *
 * <p>Only SHA-256 hashes are stored ({@code auth.tokens} map: name → {@code {name, role,
 * sha256, createdAt, createdBy}}); a secret is shown once, when it is created.
 * {@link #verify} answers from an in-memory map of hash → principal that is replaced
 * atomically on every change, so it is safe on any thread.
 */
public final class TokenRegistry implements TokenVerifier {

  /** Store map of token records. */
  public static final String MAP = "auth.tokens";
  /** Name of the admin token's principal (reserved). */
  public static final String ADMIN_NAME = "admin";

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?");

  private final Store store;
  private final String adminHash;
  private final Set<String> pendingNames = new HashSet<>();
  private volatile Map<String, Principal> byHash;

  private TokenRegistry(Store store, String adminToken) {
    this.store = store;
    this.adminHash = sha256(adminToken);
    reload();
  }

  /** Loads the stored tokens; {@code adminToken} authenticates as {@code admin}/{@code admin}. */
  public static TokenRegistry load(Store store, String adminToken) {
    return new TokenRegistry(store, adminToken);
  }

  @Override
  public Principal verify(String token) {
    if (token == null || token.isEmpty() || token.length() > 1024) {
      return null;
    }
    return byHash.get(sha256(token));
  }

  /** Re-reads the stored tokens (after a change made elsewhere). */
  public synchronized void reload() {
    Map<String, Principal> map = new HashMap<>();
    for (Map.Entry<String, String> e : store.list(MAP, "")) {
      JsonObject record = new JsonObject(e.getValue());
      Role role = Role.fromId(record.getString("role"));
      String hash = record.getString("sha256");
      if (role != null && hash != null) {
        map.put(hash, new Principal(record.getString("name"), role));
      }
    }
    map.put(adminHash, new Principal(ADMIN_NAME, Role.ADMIN));
    byHash = Map.copyOf(map);
  }

  /** Stored token records (without secrets), by name. */
  public JsonArray list() {
    JsonArray result = new JsonArray();
    result.add(new JsonObject().put("name", ADMIN_NAME).put("role", Role.ADMIN.id()).put("builtin", true));
    for (Map.Entry<String, String> e : store.list(MAP, "")) {
      JsonObject record = new JsonObject(e.getValue());
      record.remove("sha256");
      result.add(record.put("builtin", false));
    }
    return result;
  }

  /**
   * Creates a token; the returned document holds the secret ({@code token}), which is never
   * shown again. Fails with 400 (bad name/role) or 409 (name taken).
   */
  public Future<JsonObject> create(Object nameValue, Object roleValue, Principal by) {
    if (!(nameValue instanceof String name) || !NAME.matcher(name).matches()) {
      return Future.failedFuture(ApiException.badRequest("name",
          "name must be 1-63 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit"));
    }
    Role role = roleValue instanceof String id ? Role.fromId(id) : null;
    if (role == null) {
      return Future.failedFuture(ApiException.badRequest("role", "role must be one of admin, operator, agent, viewer"));
    }
    synchronized (this) {
      if (name.equals(ADMIN_NAME) || store.get(MAP, name) != null || !pendingNames.add(name)) {
        return Future.failedFuture(ApiException.conflict("a token named '" + name + "' already exists"));
      }
    }
    String secret = AdminToken.newSecret();
    String createdAt = Instant.now().toString();
    JsonObject record = new JsonObject()
        .put("name", name)
        .put("role", role.id())
        .put("sha256", sha256(secret))
        .put("createdAt", createdAt)
        .put("createdBy", by.name());
    // one chain, so the token verifies by the time the caller sees the result (a second listener
    // on the store's future could run first, on another thread)
    return store.put(MAP, name, record.encode())
        .transform(ar -> {
          synchronized (this) {
            pendingNames.remove(name);
          }
          if (ar.failed()) {
            return Future.failedFuture(ar.cause());
          }
          reload();
          return Future.succeededFuture(new JsonObject().put("name", name).put("role", role.id()).put("token", secret)
              .put("createdAt", createdAt).put("createdBy", by.name()));
        });
  }

  /** Revokes a token by name; 404 when there is none, 400 for the built-in admin token. */
  public Future<Void> revoke(String name) {
    if (ADMIN_NAME.equals(name)) {
      return Future.failedFuture(ApiException.badRequest("name",
          "the admin token cannot be revoked here: change admin.token or delete the token file and restart"));
    }
    if (name == null || store.get(MAP, name) == null) {
      return Future.failedFuture(ApiException.notFound("no token named '" + name + "'"));
    }
    return store.delete(MAP, name).map(v -> {
      reload();
      return null;
    });
  }

  /** Hex SHA-256 of a secret. */
  public static String sha256(String secret) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
