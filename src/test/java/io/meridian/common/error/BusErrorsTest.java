package io.meridian.common.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Verifies the mapping of real event-bus failures onto the JSON error model. */
@ExtendWith(VertxExtension.class)
class BusErrorsTest {

  @Test
  void noHandlersBecomes503(Vertx vertx, VertxTestContext test) {
    vertx.eventBus().request("meridian.nobody", new JsonObject()).onComplete(test.failing(e -> test.verify(() -> {
      ApiException api = BusErrors.toApi(e, "meridian.nobody");
      assertThat(api.status()).isEqualTo(503);
      assertThat(api.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(api.getMessage()).contains("meridian.nobody");
      test.completeNow();
    })));
  }

  @Test
  void timeoutBecomes504(Vertx vertx, VertxTestContext test) {
    vertx.eventBus().consumer("meridian.silent", msg -> { });
    vertx.eventBus().request("meridian.silent", new JsonObject(), new DeliveryOptions().setSendTimeout(50))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertThat(BusErrors.toApi(e, "meridian.silent").status()).isEqualTo(504);
          test.completeNow();
        })));
  }

  @Test
  void recipientApiFailuresKeepTheirStatusCodeMessageAndField(Vertx vertx, VertxTestContext test) {
    vertx.eventBus().consumer("meridian.picky", msg ->
        BusErrors.fail(msg, ApiException.badRequest("spec.port", "port out of range")));
    vertx.eventBus().request("meridian.picky", new JsonObject()).onComplete(test.failing(e -> test.verify(() -> {
      ApiException api = BusErrors.toApi(e, "meridian.picky");
      assertThat(api.status()).isEqualTo(400);
      assertThat(api.toJson()).isEqualTo(new JsonObject().put("error", new JsonObject()
          .put("code", "bad_request").put("message", "port out of range").put("field", "spec.port")));
      test.completeNow();
    })));
  }

  @Test
  void recipientCrashesBecome500AndPlainFailuresKeepTheirCode(Vertx vertx, VertxTestContext test) {
    vertx.eventBus().consumer("meridian.crashy", msg -> BusErrors.fail(msg, new IllegalStateException("boom")));
    vertx.eventBus().consumer("meridian.plain", msg -> msg.fail(409, "already there"));
    vertx.eventBus().consumer("meridian.weird", msg -> msg.fail(7, "odd"));
    vertx.eventBus().request("meridian.crashy", "x").onComplete(test.failing(e1 ->
        vertx.eventBus().request("meridian.plain", "x").onComplete(test.failing(e2 ->
            vertx.eventBus().request("meridian.weird", "x").onComplete(test.failing(e3 -> test.verify(() -> {
              ApiException crash = BusErrors.toApi(e1, "meridian.crashy");
              assertThat(crash.status()).isEqualTo(500);
              assertThat(crash.getMessage()).isEqualTo("boom");
              ApiException plain = BusErrors.toApi(e2, "meridian.plain");
              assertThat(plain.status()).isEqualTo(409);
              assertThat(plain.code()).isEqualTo(ErrorCode.CONFLICT);
              assertThat(plain.getMessage()).isEqualTo("already there");
              assertThat(BusErrors.toApi(e3, "meridian.weird").status()).isEqualTo(500);
              test.completeNow();
            })))))));
  }
}
