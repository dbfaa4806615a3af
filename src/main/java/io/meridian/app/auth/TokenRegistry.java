package io.meridian.app.auth;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.cluster.Member;
import io.meridian.common.cluster.Membership;
import io.meridian.common.cluster.Replica;
import io.meridian.common.error.ApiException;
import io.meridian.common.store.DurableIndex;
import io.meridian.common.store.Store;
import io.meridian.common.store.WriteBatch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The API tokens: this node's admin token plus named tokens created through
 * {@code /api/v1/tokens}, each with a role.
 *
 * <p>Only SHA-256 hashes are stored ({@code auth.tokens} map: name → {@code {name, role,
 * sha256, createdAt, createdBy}}); a secret is shown once, when it is created, and never
 * leaves the node that created it (other members receive its hash).
 * {@link #verify} answers from an in-memory map of hash → principal that is replaced
 * atomically on every change, so it is safe on any thread.
 *
 * <p>Named tokens are the same on every member of a cluster: once {@linkplain #start started},
 * they replicate as the {@value Member#TOKENS} service, which every member runs (docs/cluster.md):
 * creating and revoking happen at its leader and reach every member before they are
 * acknowledged. The admin token stays per node (its configuration or token file).
 */
public final class TokenRegistry implements TokenVerifier, Replica.State {

  /** Store map of token records. */
  public static final String MAP = "auth.tokens";
  /** Store map of the tokens' index. */
  static final String META = "auth.meta";
  /** Name of the admin token's principal (reserved). */
  public static final String ADMIN_NAME = "admin";

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?");

  private final Store store;
  private final String adminHash;
  private final DurableIndex durableIndex;
  /** the records by name, as of {@link #index()} (changes enter before they are durable) */
  private final Map<String, JsonObject> records = new TreeMap<>();
  private volatile Map<String, Principal> byHash;
  private Replica replica;

  private TokenRegistry(Store store, String adminToken) {
    this.store = store;
    this.adminHash = sha256(adminToken);
    for (Map.Entry<String, String> e : store.list(MAP, "")) {
      records.put(e.getKey(), new JsonObject(e.getValue()));
    }
    this.durableIndex = new DurableIndex(store, META, "index.ceiling", 0);
    rebuild();
  }

  /** Loads the stored tokens; {@code adminToken} authenticates as {@code admin}/{@code admin}. */
  public static TokenRegistry load(Store store, String adminToken) {
    return new TokenRegistry(store, adminToken);
  }

  /**
   * Replicates the tokens across the cluster from now on; call on the context that creates
   * and revokes tokens (the admin server's). Unstarted, changes are made here only.
   */
  public Future<Void> start(Vertx vertx, Membership membership) {
    Future<Void> reserved = store.write(durableIndex.reserve());
    replica = new Replica(vertx, store, Member.TOKENS, membership, this, Replica.Options.DEFAULT);
    return reserved.compose(v -> replica.start(this::atLeader));
  }

  public Future<Void> stop() {
    return replica == null ? Future.succeededFuture() : replica.stop();
  }

  /** Whether the tokens have caught up with the cluster (always, unstarted). */
  public boolean settled() {
    return replica == null || replica.settled().isComplete();
  }

  /** The replication state for {@code /api/v1/status}, or {@code null} unstarted. */
  public JsonObject replication() {
    return replica == null ? null : replica.describe();
  }

  @Override
  public Principal verify(String token) {
    if (token == null || token.isEmpty() || token.length() > 1024) {
      return null;
    }
    return byHash.get(sha256(token));
  }

  /** Stored token records (without secrets), by name. */
  public synchronized JsonArray list() {
    JsonArray result = new JsonArray();
    result.add(new JsonObject().put("name", ADMIN_NAME).put("role", Role.ADMIN.id()).put("builtin", true));
    for (JsonObject record : records.values()) {
      JsonObject shown = record.copy();
      shown.remove("sha256");
      result.add(shown.put("builtin", false));
    }
    return result;
  }

  /**
   * Creates a token; the returned document holds the secret ({@code token}), which is never
   * shown again. Fails with 400 (bad name/role), 409 (name taken) or 503 (no quorum).
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
    if (name.equals(ADMIN_NAME)) {
      return Future.failedFuture(taken(name));
    }
    String secret = AdminToken.newSecret();
    JsonObject record = new JsonObject()
        .put("name", name)
        .put("role", role.id())
        .put("sha256", sha256(secret))
        .put("createdAt", Instant.now().toString())
        .put("createdBy", by.name());
    // the secret stays here: the leader and the other members get its hash
    return write("create", new JsonObject().put("record", record), by.name())
        .map(done -> new JsonObject().put("name", name).put("role", role.id()).put("token", secret)
            .put("createdAt", record.getString("createdAt")).put("createdBy", by.name()));
  }

  /** Revokes a token by name; 404 when there is none, 400 for the built-in admin token. */
  public Future<Void> revoke(String name) {
    if (ADMIN_NAME.equals(name)) {
      return Future.failedFuture(ApiException.badRequest("name",
          "the admin token cannot be revoked here: change admin.token or delete the token file and restart"));
    }
    if (name == null) {
      return Future.failedFuture(missing(null));
    }
    return write("revoke", new JsonObject().put("name", name), ADMIN_NAME).mapEmpty();
  }

  private Future<JsonObject> write(String action, JsonObject body, String by) {
    return replica == null ? atLeader(action, body, by) : replica.write(action, body, by, this::atLeader);
  }

  /** A change, made where the tokens are led (this node, unreplicated). */
  private Future<JsonObject> atLeader(String action, JsonObject body, String by) {
    WriteBatch batch = new WriteBatch();
    JsonObject entry;
    Runnable undo;
    synchronized (this) {
      switch (action) {
        case "create" -> {
          JsonObject record = body.getJsonObject("record");
          String name = record == null ? null : record.getString("name");
          if (name == null) {
            return Future.failedFuture(ApiException.badRequest("record", "a token record is required"));
          }
          // a create still replicating is in records already: names stay unique meanwhile
          if (ADMIN_NAME.equals(name) || records.containsKey(name)) {
            return Future.failedFuture(taken(name));
          }
          records.put(name, record);
          batch.put(MAP, name, record.encode());
          entry = new JsonObject().put("put", record);
          undo = () -> records.remove(name);
        }
        case "revoke" -> {
          String name = body.getString("name");
          JsonObject old = name == null ? null : records.remove(name);
          if (old == null) {
            return Future.failedFuture(missing(name));
          }
          batch.delete(MAP, name);
          entry = new JsonObject().put("delete", name);
          undo = () -> records.putIfAbsent(name, old);
        }
        default -> {
          return Future.failedFuture(ApiException.badRequest("action", "unknown tokens action " + action));
        }
      }
      rebuild();
    }
    long idx = durableIndex.next(batch);
    Future<Void> local = store.write(batch);
    Future<Void> durable = replica == null ? local : Future.all(local, replica.replicate(idx, entry)).mapEmpty();
    return durable.transform(ar -> {
      synchronized (this) {
        if (ar.failed()) {
          // not acknowledged: not in effect here either (the store may hold it until this
          // node installs a leader's snapshot; the followers that have it resync)
          undo.run();
          rebuild();
        }
      }
      return ar.failed() ? Future.failedFuture(ar.cause()) : Future.succeededFuture(new JsonObject().put("index", idx));
    });
  }

  // ---- replication (Replica.State) -----------------------------------------------------------

  @Override
  public long index() {
    return durableIndex.current();
  }

  @Override
  public long applied() {
    return durableIndex.applied();
  }

  @Override
  public synchronized JsonObject snapshot() {
    JsonObject tokens = new JsonObject();
    records.forEach(tokens::put);
    return new JsonObject().put("tokens", tokens);
  }

  @Override
  public Future<Void> install(long index, JsonObject snapshot) {
    JsonObject tokens = snapshot.getJsonObject("tokens", new JsonObject());
    WriteBatch batch = new WriteBatch();
    synchronized (this) {
      for (String name : records.keySet()) {
        if (!tokens.containsKey(name)) {
          batch.delete(MAP, name);
        }
      }
      records.clear();
      for (String name : tokens.fieldNames()) {
        JsonObject record = tokens.getJsonObject(name);
        records.put(name, record);
        batch.put(MAP, name, record.encode());
      }
      rebuild();
    }
    durableIndex.resetTo(index, batch);
    return store.write(batch);
  }

  @Override
  public Future<Void> apply(long index, JsonObject entry) {
    WriteBatch batch = new WriteBatch();
    synchronized (this) {
      JsonObject put = entry.getJsonObject("put");
      if (put != null) {
        records.put(put.getString("name"), put);
        batch.put(MAP, put.getString("name"), put.encode());
      }
      String deleted = entry.getString("delete");
      if (deleted != null) {
        records.remove(deleted);
        batch.delete(MAP, deleted);
      }
      rebuild();
    }
    durableIndex.advanceTo(index, batch);
    return store.write(batch);
  }

  @Override
  public void leading(boolean leading) {
    // nothing runs only at the leader
  }

  // ---------------------------------------------------------------------------------------------

  /** Replaces the hash → principal map from {@link #records} (under the lock). */
  private void rebuild() {
    Map<String, Principal> map = new HashMap<>();
    for (JsonObject record : records.values()) {
      Role role = Role.fromId(record.getString("role"));
      String hash = record.getString("sha256");
      if (role != null && hash != null) {
        map.put(hash, new Principal(record.getString("name"), role));
      }
    }
    map.put(adminHash, new Principal(ADMIN_NAME, Role.ADMIN));
    byHash = Map.copyOf(map);
  }

  private static ApiException taken(String name) {
    return ApiException.conflict("a token named '" + name + "' already exists");
  }

  private static ApiException missing(String name) {
    return ApiException.notFound("no token named '" + name + "'");
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
