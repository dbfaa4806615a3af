package io.meridian.registry;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.cluster.Membership;
import io.meridian.common.config.RegistryOptions;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.meridian.common.verticle.RoleContext;
import io.meridian.registry.impl.RegistryVerticle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A registry role deployed in a test's Vert.x with a real store, reached through its bus client. */
public final class RegistryTestNode implements AutoCloseable {

  public static final Principal OPERATOR = new Principal("tester", Role.OPERATOR);

  final Vertx vertx;
  final EmbeddedStore store;
  public final RegistryClient client;
  final RegistryVerticle verticle;
  private final String deployment;

  private RegistryTestNode(Vertx vertx, EmbeddedStore store, RegistryVerticle verticle, String deployment) {
    this.vertx = vertx;
    this.store = store;
    this.verticle = verticle;
    this.deployment = deployment;
    this.client = new RegistryClient(vertx);
  }

  public static RegistryTestNode start(Vertx vertx, Path dataDir, RegistryOptions options) throws Exception {
    return start(vertx, dataDir, options, "test-node", null);
  }

  /** A registry replica with node id {@code nodeId} in the cluster {@code membership} describes (null: alone). */
  public static RegistryTestNode start(Vertx vertx, Path dataDir, RegistryOptions options, String nodeId,
      Membership membership) throws Exception {
    EmbeddedStore store = EmbeddedStore.open(dataDir, null);
    TokenVerifier tokens = token -> "secret-operator-token".equals(token) ? OPERATOR : null;
    RoleContext context = membership == null ? new RoleContext(nodeId, store, tokens, new SimpleMeterRegistry())
        : new RoleContext(nodeId, store, tokens, new SimpleMeterRegistry(), membership);
    RegistryVerticle verticle = new RegistryVerticle(context);
    JsonObject config = new JsonObject()
        .put("registry", options.toJson())
        .put("consul", new JsonObject().put("host", "127.0.0.1").put("port", 0));
    String id = await(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(config)));
    return new RegistryTestNode(vertx, store, verticle, id);
  }

  /** This replica's place in the registry's replication ({@code mode}, {@code index}, {@code followers}). */
  public JsonObject replication() {
    return verticle.replication();
  }

  /** The instance ids in this node's durable store. */
  public java.util.Set<String> storedIds() {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    store.list("registry.instances", "").forEach(e -> ids.add(e.getKey()));
    return ids;
  }

  int consulPort() {
    return verticle.status().ports().get("consul");
  }

  public static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  public JsonObject register(String json) throws Exception {
    return await(client.register(json, OPERATOR));
  }

  @Override
  public void close() throws Exception {
    await(vertx.undeploy(deployment));
    store.close();
  }
}
