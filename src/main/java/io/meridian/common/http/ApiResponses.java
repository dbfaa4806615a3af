package io.meridian.common.http;

import io.meridian.common.error.ApiException;
import io.meridian.common.error.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON responses and the one error renderer of Meridian's HTTP APIs: every failure becomes
 * {@code {"error":{"code","message","field"}}} with its status.
 */
public final class ApiResponses {

  /** Content type of every JSON answer. */
  public static final String JSON = "application/json; charset=utf-8";

  private static final Logger LOG = LoggerFactory.getLogger(ApiResponses.class);

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    send(ctx.response(), status, body.encode());
  }

  public static void json(RoutingContext ctx, int status, JsonArray body) {
    send(ctx.response(), status, body.encode());
  }

  /** Writes the error document for {@code error}. */
  public static void error(HttpServerResponse response, ApiException error) {
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    if (error.code() == ErrorCode.UNAUTHORIZED) {
      response.putHeader("WWW-Authenticate", "Bearer realm=\"meridian\"");
    }
    send(response, error.status(), error.toJson().encode());
  }

  /**
   * Maps any routing failure to the error model: {@link ApiException} as is, vert.x-web's
   * {@link HttpException} and bare status codes by status, anything else as 500 (logged).
   */
  public static ApiException toApiException(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api;
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
    if (failure != null && !(failure instanceof HttpException)) {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
      return ApiException.internal("internal error: " + failure.getClass().getSimpleName());
    }
    return switch (status) {
      case 400 -> new ApiException(ErrorCode.BAD_REQUEST, failure != null && failure.getMessage() != null
          ? failure.getMessage() : "bad request");
      case 401 -> ApiException.unauthorized("a valid bearer token is required");
      case 403 -> ApiException.forbidden("this token may not do that");
      case 404 -> ApiException.notFound("no such resource: " + ctx.request().path());
      case 405 -> new ApiException(ErrorCode.METHOD_NOT_ALLOWED, ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 406 -> new ApiException(ErrorCode.NOT_ACCEPTABLE, "cannot produce the requested media type");
      case 413 -> new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, "request body is too large");
      case 415 -> new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "unsupported content type");
      default -> {
        ErrorCode code = ErrorCode.fromStatus(status < 400 ? 500 : status);
        yield new ApiException(code, code.code());
      }
    };
  }

  /** A failure handler (and status error handler) rendering {@link #toApiException}. */
  public static Handler<RoutingContext> failureHandler() {
    return ctx -> error(ctx.response(), toApiException(ctx));
  }

  private static void send(HttpServerResponse response, int status, String body) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(body);
  }

  private ApiResponses() {
  }
}
