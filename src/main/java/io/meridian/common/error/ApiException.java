package io.meridian.common.error;

import io.vertx.core.json.JsonObject;

/**
 * A failure with a place in the JSON error model:
 * {@code {"error":{"code":"bad_request","message":"…","field":"spec.port"}}}.
 *
 * <p>Thrown (or failed with) by pure code, carried over the bus by {@link BusErrors} and
 * rendered by the HTTP layer; the same shape everywhere. {@code field} names the offending
 * input (a JSON path, config key or parameter) or is {@code null}.
 */
public final class ApiException extends RuntimeException {

  private final ErrorCode code;
  private final int status;
  private final String field;
  private final JsonObject details;

  public ApiException(ErrorCode code, String message) {
    this(code, code.status(), message, null);
  }

  public ApiException(ErrorCode code, String message, String field) {
    this(code, code.status(), message, field);
  }

  private ApiException(ErrorCode code, int status, String message, String field) {
    this(code, status, message, field, null);
  }

  private ApiException(ErrorCode code, int status, String message, String field, JsonObject details) {
    super(message, null, false, false);
    this.code = code;
    this.status = status;
    this.field = field;
    this.details = details;
  }

  /**
   * The same error with extra members in its error object (e.g. {@code "errors"} and
   * {@code "warnings"} lists of a validation); the base members keep their meaning.
   */
  public ApiException withDetails(JsonObject extra) {
    return new ApiException(code, status, getMessage(), field, extra == null ? null : extra.copy());
  }

  /** Extra members of the error object, or {@code null}. */
  public JsonObject details() {
    return details;
  }

  /** 400 naming the field. */
  public static ApiException badRequest(String field, String message) {
    return new ApiException(ErrorCode.BAD_REQUEST, message, field);
  }

  public static ApiException notFound(String message) {
    return new ApiException(ErrorCode.NOT_FOUND, message);
  }

  public static ApiException conflict(String message) {
    return new ApiException(ErrorCode.CONFLICT, message);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(ErrorCode.UNAUTHORIZED, message);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(ErrorCode.FORBIDDEN, message);
  }

  public static ApiException internal(String message) {
    return new ApiException(ErrorCode.INTERNAL, message);
  }

  public ErrorCode code() {
    return code;
  }

  /** HTTP status to render; normally {@code code().status()}. */
  public int status() {
    return status;
  }

  /** The offending input, or {@code null}. */
  public String field() {
    return field;
  }

  /** The error document {@code {"error":{"code","message","field"}}}. */
  public JsonObject toJson() {
    JsonObject error = new JsonObject()
        .put("code", code.code())
        .put("message", getMessage())
        .put("field", field);
    if (details != null) {
      details.forEach(e -> {
        if (!error.containsKey(e.getKey())) {
          error.put(e.getKey(), e.getValue());
        }
      });
    }
    return new JsonObject().put("error", error);
  }

  /**
   * Reads an error document; {@code status} is the HTTP status or bus failure code it came
   * with. Returns {@code null} when {@code json} is not an error document.
   */
  public static ApiException fromJson(JsonObject json, int status) {
    if (json == null || !(json.getValue("error") instanceof JsonObject error)) {
      return null;
    }
    Object codeValue = error.getValue("code");
    ErrorCode code = codeValue instanceof String s ? ErrorCode.fromCode(s) : null;
    if (code == null) {
      code = ErrorCode.fromStatus(status);
    }
    Object message = error.getValue("message");
    Object field = error.getValue("field");
    JsonObject details = null;
    for (String key : error.fieldNames()) {
      if (!key.equals("code") && !key.equals("message") && !key.equals("field")) {
        details = details == null ? new JsonObject() : details;
        details.put(key, error.getValue(key));
      }
    }
    return new ApiException(code, status, message instanceof String m ? m : code.code(),
        field instanceof String f ? f : null, details);
  }

  @Override
  public String toString() {
    return "ApiException[" + status + " " + code.code() + (field == null ? "" : " " + field) + ": " + getMessage() + "]";
  }
}
