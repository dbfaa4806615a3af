package io.meridian.gateway;

/**
 * How a plugin refuses a request: the gateway answers with {@code status} and the JSON error
 * body {@code {"error": {"code", "message"}}} (plugins never write responses themselves).
 * Carries no stack trace: refusing is normal operation, not an error.
 */
public final class PluginFailure extends RuntimeException {

  private final int status;
  private final String code;

  public PluginFailure(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  /** Machine-readable reason, e.g. {@code rate_limited}, {@code unauthorized}. */
  public String code() {
    return code;
  }
}
