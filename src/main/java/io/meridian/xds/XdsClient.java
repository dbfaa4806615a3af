package io.meridian.xds;

import io.meridian.common.Addresses;
import io.meridian.common.error.ApiException;
import io.meridian.common.verticle.ClusterRequests;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The xDS role's bus API. Each node running the role serves its own streams on
 * {@link Addresses#xds(String)}; this client asks every cluster member and merges the answers
 * (members without the role are skipped).
 */
public final class XdsClient {

  public static final String CLIENTS = "clients";
  public static final String CONFIG_DUMP = "config_dump";

  /** How long one member may take to answer. */
  static final long TIMEOUT_MS = 5000;

  private final Vertx vertx;

  public XdsClient(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Every connected xDS client on every member: {@code {"servers": [{"node", "synced"}], "clients": [...]}},
   * each client carrying the {@code server} it is connected to.
   */
  public Future<JsonObject> clients() {
    return fromEveryServer(CLIENTS, new JsonObject()).map(answers -> {
      JsonArray servers = new JsonArray();
      JsonArray clients = new JsonArray();
      for (JsonObject answer : answers) {
        servers.add(new JsonObject().put("node", answer.getString("node")).put("synced", answer.getBoolean("synced")));
        for (Object c : answer.getJsonArray("clients")) {
          clients.add(((JsonObject) c).put("server", answer.getString("node")));
        }
      }
      return new JsonObject().put("servers", servers).put("clients", clients);
    });
  }

  /** What the xDS node {@code nodeId} was last sent, from whichever member it is connected to (404 when none). */
  public Future<JsonObject> configDump(String nodeId) {
    return members().compose(members -> {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (String member : members) {
        answers.add(request(member, CONFIG_DUMP, new JsonObject().put("node", nodeId)));
      }
      return Future.join(answers).transform(done -> {
        for (Future<JsonObject> answer : answers) {
          if (answer.succeeded() && answer.result() != null) {
            return Future.succeededFuture(answer.result());
          }
        }
        for (Future<JsonObject> answer : answers) {
          if (answer.failed() && !(answer.cause() instanceof ApiException e && e.status() == 404)) {
            return Future.failedFuture(answer.cause());
          }
        }
        return Future.failedFuture(ApiException.notFound("no xDS client with node id '" + nodeId + "' is connected"));
      });
    });
  }

  private Future<List<JsonObject>> fromEveryServer(String action, JsonObject body) {
    return members().compose(members -> {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (String member : members) {
        answers.add(request(member, action, body));
      }
      return Future.join(answers).transform(done -> {
        List<JsonObject> results = new ArrayList<>();
        for (Future<JsonObject> answer : answers) {
          if (answer.failed()) {
            return Future.failedFuture(answer.cause());
          }
          if (answer.result() != null) {
            results.add(answer.result());
          }
        }
        return Future.succeededFuture(results);
      });
    });
  }

  private Future<List<String>> members() {
    return ClusterRequests.members(vertx);
  }

  /** One member's answer; {@code null} when it does not run the xds role. */
  private Future<JsonObject> request(String member, String action, JsonObject body) {
    return ClusterRequests.request(vertx, Addresses.xds(member), action, body, TIMEOUT_MS);
  }
}
