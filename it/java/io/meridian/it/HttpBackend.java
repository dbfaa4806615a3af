package io.meridian.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 backend in the test JVM (keep-alive, on 127.0.0.1, a free port) answering
 * every request with JSON naming itself and what it saw: {@code {"backend", "version", "method",
 * "path", "headers"}} ({@code path} is the request target, query included; header names in
 * lower case). {@code ?sleep=MILLIS} makes it wait that long before answering. A backend started
 * with {@link #failingEvery} answers the same document with status 500 to every n-th request.
 */
public final class HttpBackend implements AutoCloseable {

  static {
    // the JDK server writes head and body separately: without TCP_NODELAY each answer waits for a delayed ACK (~40 ms)
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final String name;
  private final String version;
  private final int failEvery;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(8);
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger received = new AtomicInteger();
  private volatile boolean stopped;

  private HttpBackend(String name, String version, int failEvery) throws IOException {
    this.name = name;
    this.version = version;
    this.failEvery = failEvery;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** Starts a backend called {@code name} that reports {@code version}. */
  public static HttpBackend start(String name, String version) throws IOException {
    return new HttpBackend(name, version, 0);
  }

  /**
   * Starts a backend that answers 500 to every {@code every}-th request it receives (the
   * {@code every}-th, the {@code 2 × every}-th, …) and 200 to the others: a deterministic error rate
   * of {@code 1 / every}.
   */
  public static HttpBackend failingEvery(String name, String version, int every) throws IOException {
    if (every < 1) {
      throw new IllegalArgumentException("every must be at least 1, was " + every);
    }
    return new HttpBackend(name, version, every);
  }

  public String name() {
    return name;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Requests answered so far. */
  public int requests() {
    return requests.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream body = exchange.getRequestBody()) {
      body.readAllBytes();
      int n = received.incrementAndGet();
      int status = failEvery > 0 && n % failEvery == 0 ? 500 : 200;
      String query = exchange.getRequestURI().getRawQuery();
      if (query != null) {
        for (String param : query.split("&")) {
          if (param.startsWith("sleep=")) {
            sleep(Long.parseLong(param.substring(6)));
          }
        }
      }
      JsonObject headers = new JsonObject();
      for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
        headers.put(h.getKey().toLowerCase(Locale.ROOT), String.join(", ", h.getValue()));
      }
      byte[] answer = new JsonObject()
          .put("backend", name)
          .put("version", version)
          .put("method", exchange.getRequestMethod())
          .put("path", exchange.getRequestURI().toString())
          .put("headers", headers)
          .encode().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, answer.length);
      exchange.getResponseBody().write(answer);
      requests.incrementAndGet();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Closes the listening socket and every connection: the backend is gone, its port refuses connections. */
  @Override
  public void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
