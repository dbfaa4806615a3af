package io.meridian.gateway;

import io.meridian.common.Addresses;
import io.meridian.common.verticle.ClusterRequests;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway role's bus API. Each node running the role answers for its own gateway on
 * {@link Addresses#gateway(String)}; this client asks every cluster member and merges the
 * answers (members without the role are skipped).
 */
public final class GatewayClient {

  /** Action: the gateway's circuit breakers, {@code {"node", "gateway", "breakers": [...]}}. */
  public static final String BREAKERS = "breakers";

  /**
   * Action: the gateway itself, {@code {"node", "name", "tier", "tenants", "plane", "visibility",
   * "labels", "ports", "tls", "instances", "ready"}} (docs/gateway.md, Gateways).
   */
  public static final String DESCRIBE = "describe";

  /** How long one member may take to answer. */
  static final long TIMEOUT_MS = 5000;

  private final Vertx vertx;

  public GatewayClient(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Every circuit breaker of every gateway in the cluster: {@code {"breakers": [...]}}, each
   * carrying the {@code node} and {@code gateway} that holds it (a breaker is per gateway).
   */
  public Future<JsonObject> breakers() {
    return members().compose(members -> {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (String member : members) {
        answers.add(request(member, BREAKERS));
      }
      return Future.join(answers).transform(done -> {
        JsonArray all = new JsonArray();
        for (Future<JsonObject> answer : answers) {
          if (answer.failed()) {
            return Future.failedFuture(answer.cause());
          }
          if (answer.result() != null) {
            for (Object b : answer.result().getJsonArray("breakers")) {
              all.add(((JsonObject) b).put("node", answer.result().getString("node")));
            }
          }
        }
        return Future.succeededFuture(new JsonObject().put("breakers", all));
      });
    });
  }

  /**
   * Every gateway of the cluster, one per member running the gateway role:
   * {@code {"gateways": [...]}} sorted by node, each as {@link #DESCRIBE} answers it.
   */
  public Future<JsonObject> gateways() {
    return members().compose(members -> {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (String member : members) {
        answers.add(request(member, DESCRIBE));
      }
      return Future.join(answers).transform(done -> {
        List<JsonObject> all = new ArrayList<>();
        for (Future<JsonObject> answer : answers) {
          if (answer.failed()) {
            return Future.failedFuture(answer.cause());
          }
          if (answer.result() != null) {
            all.add(answer.result());
          }
        }
        all.sort(java.util.Comparator.comparing((JsonObject g) -> g.getString("node", "")));
        return Future.succeededFuture(new JsonObject().put("gateways", new JsonArray(new ArrayList<>(all))));
      });
    });
  }

  private Future<List<String>> members() {
    return ClusterRequests.members(vertx);
  }

  /** One member's answer; {@code null} when it does not run the gateway role. */
  private Future<JsonObject> request(String member, String action) {
    return ClusterRequests.request(vertx, Addresses.gateway(member), action, new JsonObject(), TIMEOUT_MS);
  }
}
