package io.meridian.common.http;

import io.meridian.common.error.ApiException;
import io.meridian.common.error.ErrorCode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/** Reading request bodies with errors in the JSON error model. */
public final class Requests {

  /**
   * The body as a JSON object: 415 for another content type, 400 for an empty body, invalid
   * JSON or a non-object.
   */
  public static JsonObject jsonObject(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "expected Content-Type: application/json, got " + contentType);
    }
    if (ctx.body() == null || ctx.body().length() == 0) {
      throw ApiException.badRequest(null, "request body is empty: expected a JSON object");
    }
    Object value;
    try {
      value = Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      throw ApiException.badRequest(null, "body is not valid JSON: " + e.getMessage());
    }
    if (value instanceof JsonObject object) {
      return object;
    }
    throw ApiException.badRequest(null, "expected a JSON object");
  }

  private Requests() {
  }
}
