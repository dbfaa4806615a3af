package io.meridian.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 backend on 127.0.0.1: answers {@code {"name":…,"path":…,"headers":{…}}} after
 * an optional delay, and counts the requests and connections it saw.
 */
public final class TestBackend implements AutoCloseable {

  public final String name;
  public final int port;
  public final AtomicInteger requests = new AtomicInteger();
  public final AtomicInteger connections = new AtomicInteger();
  /** Requests being served right now (to see concurrency limits at the backend). */
  public final AtomicInteger inFlight = new AtomicInteger();
  public final AtomicInteger maxInFlight = new AtomicInteger();
  public final ConcurrentLinkedQueue<JsonObject> seen = new ConcurrentLinkedQueue<>();
  public volatile long delayMillis;
  /** The status it answers with. */
  public volatile int status = 200;
  private final HttpServer server;

  private TestBackend(String name, HttpServer server) {
    this.name = name;
    this.server = server;
    this.port = server.actualPort();
  }

  public static TestBackend start(Vertx vertx, String name) throws Exception {
    TestBackend[] self = new TestBackend[1];
    HttpServer server = vertx.createHttpServer()
        .connectionHandler(c -> self[0].connections.incrementAndGet())
        .requestHandler(req -> req.body().onSuccess(body -> {
          TestBackend b = self[0];
          b.requests.incrementAndGet();
          int now = b.inFlight.incrementAndGet();
          b.maxInFlight.accumulateAndGet(now, Math::max);
          JsonObject headers = new JsonObject();
          req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
          JsonObject answer = new JsonObject().put("name", b.name).put("path", req.uri()).put("method", req.method().name())
              .put("headers", headers).put("body", body.toString());
          b.seen.add(answer);
          Runnable reply = () -> {
            b.inFlight.decrementAndGet();
            req.response().setStatusCode(b.status).putHeader("content-type", "application/json").end(answer.encode());
          };
          if (b.delayMillis > 0) {
            vertx.setTimer(b.delayMillis, t -> reply.run());
          } else {
            reply.run();
          }
        }));
    server = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    self[0] = new TestBackend(name, server);
    return self[0];
  }

  /** An instance registration for this backend (tenant default unless given in {@code extra}). */
  public String registration(String id, String service, String version) {
    return new JsonObject().put("id", id)
        .put("endpoints", new io.vertx.core.json.JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
        .put("services", new io.vertx.core.json.JsonArray().add(new JsonObject().put("name", service)
            .put("version", version).put("port", port)))
        .encode();
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
