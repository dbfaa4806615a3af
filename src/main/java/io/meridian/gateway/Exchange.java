package io.meridian.gateway;

import java.net.InetSocketAddress;

/**
 * One request through the gateway as plugins see it: the request (changes go upstream), the
 * routing outcome once the {@link Phase#ROUTE} phase ran, the response (changes go to the
 * client) and attributes plugins share. Used from the request's event loop only.
 */
public interface Exchange {

  /** A typed attribute key; compare by identity, create once (a {@code static final}). */
  final class Key<T> {
    private final String name;

    public Key(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  // ---- request ------------------------------------------------------------------------------

  String method();

  /** The request target as received: path and query. */
  String uri();

  /** The path as received (no query). */
  String path();

  /** The request's host without port ({@code Host} or {@code :authority}), lower case; empty if none. */
  String host();

  /** The first value of a request header, or {@code null}. */
  String requestHeader(String name);

  /** Every value of a request header, in order (several header lines), or an empty list. */
  default java.util.List<String> requestHeaders(String name) {
    String v = requestHeader(name);
    return v == null ? java.util.List.of() : java.util.List.of(v);
  }

  /** Sets a request header on its way upstream (replacing its values). */
  void setRequestHeader(String name, String value);

  void removeRequestHeader(String name);

  /** The client's address (the TCP peer). */
  InetSocketAddress clientAddress();

  /**
   * The path the service sees: without the gateway's routing prefix ({@code /api/{service}},
   * {@code /t/{tenant}}, a version pin) once the service is located; {@link #path()} otherwise.
   */
  default String servicePath() {
    return path();
  }

  /** The gateway port the client connected to ({@code -1} when unknown). */
  default int localPort() {
    return -1;
  }

  /** {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}. */
  String protocol();

  boolean secure();

  /** The request id (set by the {@code request-id} plugin; {@code null} before). */
  String requestId();

  void requestId(String id);

  /** {@link System#nanoTime()} when the request head arrived. */
  long startNanos();

  // ---- routing -----------------------------------------------------------------------------
  // The service and its route are located before the first plugin runs (so that plugins of
  // every phase know which service's policies apply); the ROUTE phase refuses the request when
  // nothing matched and, when a plugin changed request headers, matches the route again.

  /**
   * The compiled policy of {@code compiler} (a plugin's {@link GatewayPlugin#policies()}) for
   * the service this request goes to, or {@code null} when no rule of it applies (or no
   * service matched).
   */
  <T> T policy(PolicyCompiler<T> compiler);

  /** The tenant the request is for (known before routing: from host, path or the default). */
  String tenant();

  /** The service routed to, or {@code null} when nothing matched. */
  String service();

  /** The version (subset or pinned version) routed to, or {@code null}. */
  String version();

  /** The name of the route (VirtualService http route) that matched, or {@code null}. */
  String route();

  /** {@code host:port} of the upstream endpoint of the last attempt, or {@code null}. */
  String upstream();

  // ---- response -----------------------------------------------------------------------------

  /** The response status (0 before there is one). */
  int status();

  String responseHeader(String name);

  void setResponseHeader(String name, String value);

  void removeResponseHeader(String name);

  /** Why the exchange failed (no route, upstream error, timeout, refusal), or {@code null}. */
  String errorCode();

  // ---- threading ----------------------------------------------------------------------------

  /**
   * Runs {@code task} on the request's event loop (at once when called from it). An
   * asynchronous plugin whose work completes elsewhere (an HTTP client's context, a timer)
   * applies its outcome to the exchange through this, then completes its future.
   */
  void onLoop(Runnable task);

  // ---- attributes ---------------------------------------------------------------------------

  <T> T get(Key<T> key);

  <T> void put(Key<T> key, T value);
}
