package io.meridian.telemetry.impl.scrape;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scrape targets on 127.0.0.1 and a free port, each a real HTTP server: {@code /healthy} (a counter
 * that grows with every scrape, gzip when asked), {@code /openmetrics}, {@code /hang} (never
 * answers), {@code /garbage} (an HTML page), {@code /huge} (10 MB of series, streamed with
 * back-pressure, not compressed), {@code /bomb} (10 MB that gzip to a few KB).
 */
public final class TestTargets implements AutoCloseable {

  public static final int HUGE_BYTES = 10 * 1024 * 1024;

  public final AtomicInteger healthy = new AtomicInteger();
  public final AtomicInteger hangOpen = new AtomicInteger();
  public final AtomicInteger hangMaxOpen = new AtomicInteger();
  public final AtomicInteger hugeStarted = new AtomicInteger();
  public final AtomicInteger hugeCompleted = new AtomicInteger();
  public final AtomicInteger hugeAborted = new AtomicInteger();
  /** Request headers of the last request, by path. */
  public final Map<String, io.vertx.core.MultiMap> headers = new ConcurrentHashMap<>();
  private Buffer bomb;
  private final HttpServer server;
  public final int port;

  private TestTargets(HttpServer server) {
    this.server = server;
    this.port = server.actualPort();
  }

  public static TestTargets start(Vertx vertx) throws Exception {
    TestTargets[] self = new TestTargets[1];
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(true))
        .requestHandler(request -> self[0].handle(request));
    self[0] = new TestTargets(server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    return self[0];
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  private void handle(HttpServerRequest request) {
    headers.put(request.path(), request.headers());
    HttpServerResponse response = request.response();
    switch (request.path()) {
      case "/healthy", "/metrics" -> {
        int n = healthy.incrementAndGet();
        response.putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .end("# HELP orders_requests_total Requests served\n# TYPE orders_requests_total counter\n"
                + "orders_requests_total{code=\"200\",service=\"scraped-name\"} " + n + "\n"
                + "orders_requests_total{code=\"500\"} 1\n");
      }
      case "/openmetrics" -> response.putHeader("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
          .end("# TYPE orders_requests counter\norders_requests_total{code=\"200\"} 7\norders_requests_created 1.7e9\n# EOF\n");
      case "/hang" -> {
        int open = hangOpen.incrementAndGet();
        hangMaxOpen.accumulateAndGet(open, Math::max);
        request.connection().closeHandler(v -> hangOpen.decrementAndGet());
      }
      case "/bomb" -> { // 10 MB of series that gzip to a few KB on the wire
        if (bomb == null) {
          StringBuilder text = new StringBuilder(HUGE_BYTES + 100);
          while (text.length() < HUGE_BYTES) {
            text.append("bomb_series{i=\"0\"} 1\n");
          }
          bomb = Buffer.buffer(text.toString());
        }
        response.putHeader("Content-Type", "text/plain; version=0.0.4").end(bomb);
      }
      case "/garbage" -> response.putHeader("Content-Type", "text/html").end("<html><body>It works!</body></html>\n");
      case "/huge" -> {
        hugeStarted.incrementAndGet();
        // not compressed: the cut-off is then visible on the wire (compressed, 10 MB of series fit in socket buffers)
        response.setChunked(true).putHeader("Content-Type", "text/plain; version=0.0.4").putHeader("Content-Encoding", "identity");
        boolean[] done = {false};
        response.closeHandler(v -> {
          if (!done[0]) {
            hugeAborted.incrementAndGet();
          }
        });
        writeHuge(response, 0, done);
      }
      default -> response.setStatusCode(404).end();
    }
  }

  /** Writes series lines from {@code offset} on, waiting for the client whenever its queue is full. */
  private void writeHuge(HttpServerResponse response, int offset, boolean[] done) {
    int written = offset;
    while (written < HUGE_BYTES && !response.closed()) {
      StringBuilder chunk = new StringBuilder(64 * 1024);
      for (int i = 0; chunk.length() < 60 * 1024; i++) {
        chunk.append("huge_series{shard=\"").append(written).append("\",i=\"").append(i).append("\"} 1\n");
      }
      written += chunk.length();
      response.write(Buffer.buffer(chunk.toString()));
      if (response.writeQueueFull()) {
        int next = written;
        response.drainHandler(v -> writeHuge(response, next, done));
        return;
      }
    }
    if (!response.closed()) {
      done[0] = true;
      hugeCompleted.incrementAndGet();
      response.end();
    }
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
