package io.meridian.gateway.impl;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.config.GatewayOptions;
import io.meridian.gateway.impl.proxy.Routing;
import io.meridian.registry.RegistryClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant gateway's own registration ({@code gateway.advertise}): one instance of service
 * {@code meridian-gateway} per tenant it serves, with a TTL health policy it keeps passing, so
 * that edge gateways forward to it and stop when it is gone (a stopped gateway deregisters; a
 * crashed one turns critical after the TTL). A registry that lost it (restarted elsewhere) gets
 * it again on the next heartbeat.
 */
final class SelfRegistration {

  static final String TTL = "10s";
  static final long HEARTBEAT_MILLIS = 3000;
  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.gateway");

  private final Vertx vertx;
  private final RegistryClient client;
  private final Principal principal;
  private final List<JsonObject> registrations = new ArrayList<>();
  private long timer = -1;
  private boolean stopped;

  SelfRegistration(Vertx vertx, GatewayOptions options, String nodeId, int port) {
    this.vertx = vertx;
    this.client = new RegistryClient(vertx);
    this.principal = new Principal("gateway " + options.name(), Role.AGENT);
    List<String> tenants = options.tenants().isEmpty() ? List.of("default") : options.tenants();
    for (String tenant : tenants) {
      registrations.add(new JsonObject()
          .put("id", options.name() + "-" + tenant + "-" + nodeId)
          .put("tenant", tenant)
          .put("labels", new JsonObject().put("meridian.gateway", options.name()))
          .put("endpoints", new JsonArray().add(new JsonObject().put("plane", options.plane())
              .put("address", options.advertise())))
          .put("services", new JsonArray().add(new JsonObject().put("name", Routing.TENANT_GATEWAY_SERVICE)
              .put("port", port).put("protocol", "http").put("planes", new JsonArray().add(options.plane()))))
          .put("health", new JsonObject().put("ttl", TTL).put("deregisterAfter", "1m")));
    }
  }

  /** Registers (retrying in the background until a registry answers) and keeps the registrations passing. */
  void start() {
    registrations.forEach(this::register);
    timer = vertx.setPeriodic(HEARTBEAT_MILLIS, t -> registrations.forEach(this::heartbeat));
  }

  private void register(JsonObject registration) {
    client.register(registration.encode(), principal)
        .onSuccess(r -> LOG.info("registered as {} in tenant {} at {}", Routing.TENANT_GATEWAY_SERVICE,
            registration.getString("tenant"), registration.getJsonArray("endpoints").getJsonObject(0).getString("address")))
        .onFailure(e -> LOG.debug("self-registration not accepted yet: {}", e.getMessage()));
  }

  private void heartbeat(JsonObject registration) {
    if (stopped) {
      return;
    }
    client.heartbeat(registration.getString("id"), "passing", null, principal)
        .onFailure(e -> register(registration)); // unknown to the registry (never registered, or lost): again
  }

  /** Deregisters (best effort: a registry that is gone lets the TTL expire). */
  Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    List<Future<JsonObject>> done = new ArrayList<>();
    for (JsonObject registration : registrations) {
      done.add(client.deregister(registration.getString("id"), principal).recover(e -> Future.succeededFuture()));
    }
    return Future.join(new ArrayList<>(done)).mapEmpty();
  }
}
