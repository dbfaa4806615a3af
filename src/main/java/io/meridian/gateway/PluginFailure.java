package io.meridian.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a plugin refuses a request: the gateway answers with {@code status} and the JSON error
 * body {@code {"error": {"code", "message"}}} (plugins never write responses themselves), plus
 * any {@link #withHeader headers} the refusal carries (e.g. {@code WWW-Authenticate}). A refusal
 * made by another server (an external authorization service) is passed on as it was answered
 * with {@link #answer}: its status, headers and body instead of the JSON error.
 * Carries no stack trace: refusing is normal operation, not an error.
 */
public final class PluginFailure extends RuntimeException {

  private final int status;
  private final String code;
  private final List<Map.Entry<String, String>> headers;
  private final byte[] body;

  public PluginFailure(int status, String code, String message) {
    this(status, code, message, List.of(), null);
  }

  private PluginFailure(int status, String code, String message, List<Map.Entry<String, String>> headers, byte[] body) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = List.copyOf(headers);
    this.body = body;
  }

  /**
   * A refusal answered with exactly {@code body} and {@code headers} (which should include its
   * {@code content-type}); {@code code} is what logs and meters see.
   */
  public static PluginFailure answer(int status, String code, List<Map.Entry<String, String>> headers, byte[] body) {
    return new PluginFailure(status, code, "answered by " + code, headers, body.clone());
  }

  /** This refusal with one more response header. */
  public PluginFailure withHeader(String name, String value) {
    List<Map.Entry<String, String>> more = new ArrayList<>(headers);
    more.add(Map.entry(name, value));
    return new PluginFailure(status, code, getMessage(), more, body);
  }

  public int status() {
    return status;
  }

  /** Machine-readable reason, e.g. {@code rate_limited}, {@code unauthorized}. */
  public String code() {
    return code;
  }

  /** Response headers the refusal adds (in order; a name may repeat). */
  public List<Map.Entry<String, String>> headers() {
    return headers;
  }

  /** The body to answer with instead of the JSON error, or {@code null} for the JSON error. */
  public byte[] body() {
    return body == null ? null : body.clone();
  }
}
