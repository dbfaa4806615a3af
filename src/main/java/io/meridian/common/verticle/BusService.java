package io.meridian.common.verticle;

import io.meridian.common.Addresses;
import io.meridian.common.auth.Principal;
import io.meridian.common.error.BusErrors;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The shape of a role's request/reply service on the bus: the {@link Addresses#HEADER_ACTION}
 * header picks the operation, the {@link Addresses#HEADER_PRINCIPAL} header says who asks, the
 * reply is the operation's JSON, and failures go through {@link BusErrors#fail}.
 */
public final class BusService {

  /** One operation dispatch: action, body (never null), caller's name ({@code unknown} if none). */
  @FunctionalInterface
  public interface Dispatch {
    Future<JsonObject> handle(String action, JsonObject body, String by);
  }

  /** A message handler running {@code dispatch} and replying with its outcome. */
  public static Handler<Message<JsonObject>> handler(Dispatch dispatch) {
    return message -> {
      String action = message.headers().get(Addresses.HEADER_ACTION);
      JsonObject body = message.body() == null ? new JsonObject() : message.body();
      String header = message.headers().get(Addresses.HEADER_PRINCIPAL);
      Principal principal = header == null ? null : Principal.fromJson(new JsonObject(header));
      Future<JsonObject> result;
      try {
        result = dispatch.handle(action == null ? "" : action, body, principal == null ? "unknown" : principal.name());
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(ar -> {
        if (ar.succeeded()) {
          message.reply(ar.result());
        } else {
          BusErrors.fail(message, ar.cause());
        }
      });
    };
  }

  private BusService() {
  }
}
