package io.meridian.common.error;

/**
 * The error codes of Meridian's JSON error model, each with the HTTP status it renders as.
 * The code string is part of the public API ({@code {"error":{"code":…}}}).
 */
public enum ErrorCode {
  BAD_REQUEST(400, "bad_request"),
  UNAUTHORIZED(401, "unauthorized"),
  FORBIDDEN(403, "forbidden"),
  NOT_FOUND(404, "not_found"),
  METHOD_NOT_ALLOWED(405, "method_not_allowed"),
  NOT_ACCEPTABLE(406, "not_acceptable"),
  CONFLICT(409, "conflict"),
  PAYLOAD_TOO_LARGE(413, "payload_too_large"),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type"),
  TOO_MANY_REQUESTS(429, "too_many_requests"),
  INTERNAL(500, "internal"),
  UNAVAILABLE(503, "unavailable"),
  TIMEOUT(504, "timeout"),
  /** 503: this node does not lead the role (yet); the caller retries at the leader. */
  NOT_LEADER(503, "not_leader");

  private final int status;
  private final String code;

  ErrorCode(int status, String code) {
    this.status = status;
    this.code = code;
  }

  /** The HTTP status this error renders as. */
  public int status() {
    return status;
  }

  /** The stable, lower-case code string used in JSON. */
  public String code() {
    return code;
  }

  /** The code for a code string, or {@code null} when unknown. */
  public static ErrorCode fromCode(String code) {
    for (ErrorCode c : values()) {
      if (c.code.equals(code)) {
        return c;
      }
    }
    return null;
  }

  /** The most specific code for an HTTP status ({@link #INTERNAL} for unknown 5xx, {@link #BAD_REQUEST} for 4xx). */
  public static ErrorCode fromStatus(int status) {
    for (ErrorCode c : values()) {
      if (c.status == status) {
        return c;
      }
    }
    return status >= 400 && status < 500 ? BAD_REQUEST : INTERNAL;
  }
}
