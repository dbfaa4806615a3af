package io.meridian.common.verticle;

/**
 * A listener could not bind. {@link #inUse()} tells the common case apart: the port is taken
 * by another process. The launcher prints the message as one line and exits with code 1.
 */
public final class ListenException extends RuntimeException {

  private final String key;
  private final String host;
  private final int port;
  private final boolean inUse;

  public ListenException(String key, String host, int port, boolean inUse, Throwable cause) {
    super(inUse
        ? "port " + port + " (" + key + ") is already in use on " + host + "; stop what uses it or choose another " + key
        : "cannot listen on " + host + ":" + port + " (" + key + "): " + rootMessage(cause), cause);
    this.key = key;
    this.host = host;
    this.port = port;
    this.inUse = inUse;
  }

  /** The config key of the port, e.g. {@code admin.port}. */
  public String key() {
    return key;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public boolean inUse() {
    return inUse;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root != null && root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == null ? "unknown error" : String.valueOf(root.getMessage());
  }
}
