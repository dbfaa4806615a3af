package io.meridian.registry;

import io.meridian.common.Addresses;
import io.meridian.common.auth.Principal;
import io.meridian.common.error.BusErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The registry's bus API, usable from any node of the cluster. Every method sends one request
 * to {@link Addresses#REGISTRY} with the action header; failures arrive as
 * {@link io.meridian.common.error.ApiException} (503 when no node runs the registry).
 *
 * <p>Queries take an optional blocking position: with {@code index > 0} and a {@code wait},
 * the registry answers when something the query watches changes after {@code index}, or when
 * the wait is over (Consul's blocking-query semantics). Every query reply carries
 * {@code index}, the registry index its result reflects.
 */
public final class RegistryClient {

  public static final String REGISTER = "register";
  public static final String DEREGISTER = "deregister";
  public static final String HEARTBEAT = "heartbeat";
  public static final String GET = "get";
  public static final String INSTANCES = "instances";
  public static final String SERVICES = "services";
  public static final String ENDPOINTS = "endpoints";
  public static final String VIEW = "view";
  public static final String EVENTS = "events";
  public static final String PLANES = "planes";

  /** Bus timeout of plain requests. */
  public static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final Vertx vertx;

  public RegistryClient(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Registers from a raw JSON document (validated by the registry). Reply:
   * {@code {"instance", "created", "changed", "warnings"}}.
   */
  public Future<JsonObject> register(String rawJson, Principal by) {
    return request(REGISTER, new JsonObject().put("body", rawJson), by, TIMEOUT);
  }

  /** Reply: {@code {"instance"}} (its last state). */
  public Future<JsonObject> deregister(String id, Principal by) {
    return request(DEREGISTER, new JsonObject().put("id", id), by, TIMEOUT);
  }

  /** A TTL heartbeat; {@code status} {@code null} = passing. Reply: {@code {"id", "status"}}. */
  public Future<JsonObject> heartbeat(String id, String status, String output, Principal by) {
    return request(HEARTBEAT, new JsonObject().put("id", id).put("status", status).put("output", output), by, TIMEOUT);
  }

  /** Reply: {@code {"index", "instance"}}. */
  public Future<JsonObject> get(String id) {
    return request(GET, new JsonObject().put("id", id), null, TIMEOUT);
  }

  /**
   * Reply: {@code {"index", "instances"}}. Filters ({@code tenant}, {@code service},
   * {@code plane}, {@code kind}) may be null.
   */
  public Future<JsonObject> instances(String tenant, String service, String plane, String kind, long index, Duration wait) {
    return blocking(INSTANCES, new JsonObject().put("tenant", tenant).put("service", service).put("plane", plane)
        .put("kind", kind), index, wait);
  }

  /** Reply: {@code {"index", "services": [{"name","tenant","versions","instances","healthy","planes","protocols"}]}}. */
  public Future<JsonObject> services(String tenant, long index, Duration wait) {
    return blocking(SERVICES, new JsonObject().put("tenant", tenant), index, wait);
  }

  /**
   * Addresses of {@code service} on one plane only. Reply: {@code {"index", "service",
   * "tenant", "plane", "endpoints": [{"address","port","hostPort","instance","version",...}]}}.
   */
  public Future<JsonObject> endpoints(String service, String tenant, String plane, String version, boolean healthy,
      long index, Duration wait) {
    return blocking(ENDPOINTS, new JsonObject().put("service", service).put("tenant", tenant).put("plane", plane)
        .put("version", version).put("healthy", healthy), index, wait);
  }

  /** The scoped view. Reply: {@code {"index", "scope", "instances"}} (projected by the scope). */
  public Future<JsonObject> view(Scope scope, long index, Duration wait) {
    return blocking(VIEW, new JsonObject().put("scope", scope.toJson()), index, wait);
  }

  /**
   * Published events after {@code since} ({@code -1}: none, just the current index). Reply:
   * {@code {"index", "events", "more"}} or {@code {"index", "reset": true}} when they are no
   * longer kept.
   */
  public Future<JsonObject> events(long since) {
    return request(EVENTS, new JsonObject().put("since", since), null, TIMEOUT);
  }

  /**
   * The network planes in effect. Reply: {@code {"strictPlanes", "declared", "planes": [{"name",
   * "cidrs"}]}}; {@code declared} is false when none are configured (the one plane is then
   * {@code default}, accepting any address).
   */
  public Future<JsonObject> planes() {
    return request(PLANES, new JsonObject(), null, TIMEOUT);
  }

  private Future<JsonObject> blocking(String action, JsonObject body, long index, Duration wait) {
    long waitMs = wait == null ? 0 : wait.toMillis();
    body.put("index", index).put("waitMs", waitMs);
    return request(action, body, null, TIMEOUT.plusMillis(waitMs + waitMs / 16));
  }

  private Future<JsonObject> request(String action, JsonObject body, Principal by, Duration timeout) {
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_ACTION, action).setSendTimeout(timeout.toMillis());
    if (by != null) {
      options.addHeader(Addresses.HEADER_PRINCIPAL, by.toJson().encode());
    }
    return vertx.eventBus().<JsonObject>request(Addresses.REGISTRY, body, options)
        .map(Message::body)
        .recover(failure -> Future.failedFuture(BusErrors.toApi(failure, Addresses.REGISTRY)));
  }
}
