package io.meridian.common.verticle;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.VerticleBase;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of every role's verticle: a uniform life cycle ({@link #start()} is final and calls
 * {@link #startRole()}), state and bound ports for {@code /api/v1/status} and {@code /ready},
 * and a logger named after the role (so every log line carries it).
 *
 * <p>The verticle's {@link #config()} is its own config subtree; everything else it gets
 * from the {@link RoleContext} or over the event bus.
 */
public abstract class RoleVerticle extends VerticleBase {

  protected final String role;
  protected final RoleContext roleContext;
  protected final Logger log;
  private final Map<String, Integer> ports = new ConcurrentHashMap<>();
  private volatile RoleState state = RoleState.DEPLOYING;
  private volatile String detail;
  private volatile boolean waiting;

  protected RoleVerticle(String role, RoleContext roleContext) {
    this.role = Objects.requireNonNull(role, "role");
    this.roleContext = Objects.requireNonNull(roleContext, "roleContext");
    this.log = LoggerFactory.getLogger("io.meridian." + role);
  }

  @Override
  public final Future<?> start() {
    state = RoleState.STARTING;
    Future<?> started;
    try {
      started = startRole();
    } catch (Exception e) {
      started = Future.failedFuture(e);
    }
    return started
        .onSuccess(v -> state = RoleState.STARTED)
        .onFailure(e -> {
          state = RoleState.FAILED;
          detail = e.getMessage();
        });
  }

  @Override
  public final Future<?> stop() {
    state = RoleState.STOPPING;
    Future<?> stopped;
    try {
      stopped = stopRole();
    } catch (Exception e) {
      stopped = Future.failedFuture(e);
    }
    return stopped.onComplete(ar -> state = RoleState.STOPPED);
  }

  /** Starts the role; the verticle counts as started when the future succeeds. */
  protected abstract Future<?> startRole() throws Exception;

  /** Stops the role gracefully: stop accepting work, let in-flight work finish. */
  protected Future<?> stopRole() throws Exception {
    return Future.succeededFuture();
  }

  /** {@code false} for a role whose feature is not built yet; it must then serve nothing. */
  protected boolean implemented() {
    return true;
  }

  /** Sets the human-readable note shown in status. */
  protected void detail(String detail) {
    this.detail = detail;
  }

  /**
   * Marks the started role as not serving yet because it waits for {@code what} (shown as its
   * detail; the node's {@code /ready} answers 503 meanwhile), or as serving ({@code null}).
   */
  protected void waitingFor(String what) {
    this.detail = what;
    this.waiting = what != null;
  }

  /** Records a bound port under its listener's contract name (e.g. {@code gateway}). */
  protected void boundPort(String listener, int port) {
    ports.put(listener, port);
  }

  /** The role's name. */
  public String role() {
    return role;
  }

  /**
   * This node's part in the role's replication across the cluster ({@code mode}, {@code leader},
   * {@code term}, {@code index}, the leader's {@code followers}), or {@code null} for a role
   * that replicates nothing; safe to call from any thread.
   */
  public JsonObject replication() {
    return null;
  }

  /** A consistent snapshot for status and readiness; safe to call from any thread. */
  public RoleStatus status() {
    return new RoleStatus(role, state, implemented(), detail, ports, waiting);
  }
}
