package io.meridian.telemetry;

import io.meridian.common.Addresses;
import io.meridian.common.error.BusErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The telemetry role's bus API ({@link Addresses#TELEMETRY}), usable from any node. Failures
 * arrive as {@link io.meridian.common.error.ApiException}.
 */
public final class TelemetryClient {

  /** How long the role may take to answer. */
  public static final long TIMEOUT_MS = 30_000;

  private final Vertx vertx;

  public TelemetryClient(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends {@code action} with {@code body}; the reply's JSON. */
  public Future<JsonObject> request(String action, JsonObject body) {
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_ACTION, action).setSendTimeout(TIMEOUT_MS);
    return vertx.eventBus().<JsonObject>request(Addresses.TELEMETRY, body, options)
        .map(Message::body)
        .recover(failure -> Future.failedFuture(BusErrors.toApi(failure, Addresses.TELEMETRY)));
  }
}
