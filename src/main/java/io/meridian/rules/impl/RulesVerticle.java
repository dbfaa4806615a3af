package io.meridian.rules.impl;

import io.meridian.common.Addresses;
import io.meridian.common.cluster.Replica;
import io.meridian.common.config.RoleNames;
import io.meridian.common.config.RulesOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.BusService;
import io.meridian.common.verticle.RoleContext;
import io.meridian.common.verticle.RoleVerticle;
import io.meridian.registry.RegistryView;
import io.meridian.registry.Scope;
import io.meridian.rules.RuleKind;
import io.meridian.rules.RulesClient;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The rules role: owns traffic rules, serves {@link Addresses#RULES} and publishes changes on
 * {@link Addresses#RULES_EVENTS}. It follows the registry (wherever it runs) to check the
 * services rules refer to. Config section: {@code rules} ({@link RulesOptions}).
 */
public final class RulesVerticle extends RoleVerticle {

  private final RegistryFacts facts = new RegistryFacts();
  private RulesService service;
  private Replica replica;
  private MessageConsumer<JsonObject> consumer;
  private RegistryView view;
  private long retryTimer = -1;
  /** The next wait before trying again: short at first (roles of one node start together), then backing off. */
  private long retryMillis = 50;
  private boolean stopping;

  public RulesVerticle(RoleContext context) {
    super("rules", context);
  }

  @Override
  protected Future<?> startRole() {
    RulesOptions options = RulesOptions.fromJson(config().getJsonObject("rules", new JsonObject()));
    service = new RulesService(vertx, roleContext.store(), options, () -> facts);
    return service.load().compose(v -> {
      replica = new Replica(vertx, roleContext.store(), RoleNames.RULES, roleContext.membership(), service,
          Replica.Options.DEFAULT);
      service.replica(replica);
      return replica.start(this::write).compose(x -> replica.settled());
    }).onSuccess(v -> {
      consumer = vertx.eventBus().consumer(Addresses.RULES, BusService.handler(this::dispatch));
      followRegistry();
      log.info("rules ready: {} rules, index {}", service.size(), service.index());
    });
  }

  /** The registry may start later or elsewhere: keep trying; until then references are not checked. */
  private void followRegistry() {
    if (stopping) {
      return;
    }
    RegistryView.follow(vertx, Scope.ALL).onSuccess(v -> {
      view = v;
      facts.view(v);
      log.info("following the registry for reference checks ({} instances)", v.instances().size());
    }).onFailure(e -> {
      retryTimer = vertx.setTimer(retryMillis, t -> followRegistry());
      retryMillis = Math.min(2000, retryMillis * 2);
    });
  }

  @Override
  protected Future<?> stopRole() {
    stopping = true;
    vertx.cancelTimer(retryTimer);
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<Void> closed = view == null ? Future.succeededFuture() : view.close();
    Future<Void> replicaStopped = replica == null ? Future.succeededFuture() : replica.stop();
    return Future.all(unregistered, closed, replicaStopped);
  }

  /** The rules' bus API: changes go to the leader (here or forwarded); reads and dry runs are answered here. */
  private Future<JsonObject> dispatch(String action, JsonObject body, String by) {
    RuleKind kind = body.getString("kind") == null ? null : RuleKind.fromName(body.getString("kind"));
    String namespace = body.getString("namespace");
    String name = body.getString("name");
    return switch (action) {
      case RulesClient.PUT, RulesClient.DELETE, RulesClient.ROLLBACK -> replica.write(action, body, by, this::write);
      case RulesClient.APPLY -> body.getBoolean("dryRun", false) ? write(action, body, by)
          : replica.write(action, body, by, this::write);
      case RulesClient.GET -> Future.succeededFuture(service.get(require(kind), namespace, name));
      case RulesClient.LIST -> Future.succeededFuture(service.list(kind, namespace));
      case RulesClient.HISTORY -> Future.succeededFuture(service.history(require(kind), namespace, name));
      case RulesClient.EXPORT -> Future.succeededFuture(service.export(namespace));
      case RulesClient.EVENTS -> Future.succeededFuture(service.events(body.getLong("since", -1L)));
      default -> Future.failedFuture(ApiException.badRequest(Addresses.HEADER_ACTION, "unknown rules action '" + action + "'"));
    };
  }

  /** A change (or a dry run), run on the leader: here when it leads, or forwarded here by another member. */
  private Future<JsonObject> write(String action, JsonObject body, String by) {
    RuleKind kind = body.getString("kind") == null ? null : RuleKind.fromName(body.getString("kind"));
    String namespace = body.getString("namespace");
    String name = body.getString("name");
    return switch (action) {
      case RulesClient.PUT -> service.put(body.getJsonObject("document"), require(kind), namespace, name, by);
      case RulesClient.APPLY -> service.apply(body.getJsonArray("documents", new JsonArray()),
          namespace == null ? "default" : namespace, body.getBoolean("dryRun", false), by);
      case RulesClient.DELETE -> service.delete(require(kind), namespace, name, body.getString("resourceVersion"), by);
      case RulesClient.ROLLBACK -> service.rollback(require(kind), namespace, name, body.getLong("revision", 0L), by);
      default -> Future.failedFuture(ApiException.badRequest(Addresses.HEADER_ACTION, "'" + action + "' is not a rules change"));
    };
  }

  /** This node's part in the rules' replication, for {@code /api/v1/cluster}. */
  @Override
  public JsonObject replication() {
    return replica == null ? null : replica.describe();
  }

  private static RuleKind require(RuleKind kind) {
    if (kind == null) {
      throw ApiException.badRequest("kind", "unknown kind (kinds: " + RuleKind.names() + ")");
    }
    return kind;
  }
}
