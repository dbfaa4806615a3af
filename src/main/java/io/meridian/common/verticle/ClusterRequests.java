package io.meridian.common.verticle;

import io.meridian.common.Addresses;
import io.meridian.common.error.BusErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Asking every node of the cluster: for services whose state lives in each node (a node's xDS
 * streams, its gateway's breakers), served on a per-node address such as
 * {@link Addresses#xds(String)}.
 */
public final class ClusterRequests {

  /** The ids of the cluster's members (just this node's when not clustered), from {@link Addresses#MEMBERS}. */
  public static Future<List<String>> members(Vertx vertx) {
    return vertx.eventBus().<JsonObject>request(Addresses.MEMBERS, null)
        .map(reply -> reply.body().getJsonArray("members").stream().map(String::valueOf).toList());
  }

  /**
   * One node's answer to {@code action} on its {@code address}; {@code null} when nothing
   * listens there (the node does not run the role), an {@code ApiException} on failure.
   */
  public static Future<JsonObject> request(Vertx vertx, String address, String action, JsonObject body, long timeoutMs) {
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_ACTION, action).setSendTimeout(timeoutMs);
    return vertx.eventBus().<JsonObject>request(address, body, options)
        .map(Message::body)
        .recover(failure -> {
          if (failure instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
            return Future.succeededFuture(null);
          }
          return Future.failedFuture(BusErrors.toApi(failure, address));
        });
  }

  private ClusterRequests() {
  }
}
