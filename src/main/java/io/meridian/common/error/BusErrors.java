package io.meridian.common.error;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The one place where event-bus failures meet the error model.
 *
 * <ul>
 *   <li>A service answering a request fails it with {@link #fail(Message, Throwable)}: the
 *       failure code is the HTTP status and the failure message is the JSON error body, so
 *       the reply crosses the cluster unchanged.</li>
 *   <li>A caller turns any failure into an {@link ApiException} with {@link #toApi}:
 *       {@code NO_HANDLERS} → 503 (no node serves the address), {@code TIMEOUT} → 504,
 *       {@code RECIPIENT_FAILURE} → the recipient's own code and message.</li>
 * </ul>
 */
public final class BusErrors {

  /** Fails {@code message} with the error's status and JSON body; non-API errors become 500. */
  public static void fail(Message<?> message, Throwable failure) {
    ApiException error = failure instanceof ApiException api ? api
        : ApiException.internal(describe(failure));
    message.fail(error.status(), error.toJson().encode());
  }

  /**
   * Maps any failure of a request to {@code address} onto the error model.
   *
   * @param address the address that was called, named in 503/504 messages
   */
  public static ApiException toApi(Throwable failure, String address) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof ReplyException reply) {
      switch (reply.failureType()) {
        case NO_HANDLERS:
          return new ApiException(ErrorCode.UNAVAILABLE,
              "no node of this cluster serves " + address + " (is its role deployed?)");
        case TIMEOUT:
          return new ApiException(ErrorCode.TIMEOUT, "no reply from " + address + " in time");
        case RECIPIENT_FAILURE:
          return fromRecipient(reply);
        default:
          return ApiException.internal("event bus error on " + address + ": " + reply.getMessage());
      }
    }
    return ApiException.internal(describe(failure));
  }

  private static ApiException fromRecipient(ReplyException reply) {
    int status = reply.failureCode();
    String body = reply.getMessage();
    if (body != null && body.startsWith("{")) {
      try {
        ApiException parsed = ApiException.fromJson(new JsonObject(body), validStatus(status));
        if (parsed != null) {
          return parsed;
        }
      } catch (DecodeException ignored) {
        // not an error document: fall through
      }
    }
    int mapped = validStatus(status);
    return new ApiException(ErrorCode.fromStatus(mapped), body == null ? "recipient failed" : body);
  }

  private static int validStatus(int status) {
    return status >= 400 && status <= 599 ? status : 500;
  }

  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    return message == null ? failure.getClass().getSimpleName() : message;
  }

  private BusErrors() {
  }
}
