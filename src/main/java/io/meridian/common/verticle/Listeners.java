package io.meridian.common.verticle;

import io.meridian.common.config.ListenerOptions;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import java.net.BindException;

/** Binding servers with failures that name the config key. */
public final class Listeners {

  /**
   * Starts {@code server} on {@code options} (host must be resolved); a bind failure becomes a
   * {@link ListenException} naming {@code key}.
   */
  public static Future<HttpServer> listen(HttpServer server, String key, ListenerOptions options) {
    return server.listen(options.port(), options.host())
        .recover(failure -> Future.failedFuture(new ListenException(key, options.host(), options.port(), isInUse(failure), failure)));
  }

  /** Whether a bind failure means "address already in use" (JDK and native transports). */
  public static boolean isInUse(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = t.getMessage();
      if (message != null && message.contains("Address already in use")) {
        return true;
      }
      if (t instanceof BindException && message != null && message.contains("in use")) {
        return true;
      }
    }
    return false;
  }

  private Listeners() {
  }
}
