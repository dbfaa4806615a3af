package io.meridian.registry;

import static io.meridian.registry.RegistryTestNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.RegistryOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies active HTTP and TCP checks against real local servers, and their concurrency bound. */
class ActiveHealthChecksTest {

  @TempDir
  Path dir;

  Vertx vertx;
  RegistryTestNode node;
  final AtomicInteger status = new AtomicInteger(200);
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final AtomicInteger requests = new AtomicInteger();
  HttpServer http;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    node = RegistryTestNode.start(vertx, dir, new RegistryOptions(true, List.of(), 64 * 1024, 3, 10_000));
    http = await(vertx.createHttpServer().requestHandler(req -> {
      requests.incrementAndGet();
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      long delay = req.path().equals("/slow") ? 300 : 1;
      vertx.setTimer(delay, t -> {
        inFlight.decrementAndGet();
        req.response().setStatusCode(req.path().equals("/slow") ? 200 : status.get()).end("ok");
      });
    }).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() throws Exception {
    node.close();
    await(vertx.close());
  }

  private String state(String id) throws Exception {
    return await(node.client.get(id)).getJsonObject("instance").getJsonObject("status").getString("state");
  }

  private void awaitState(String id, String expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!state(id).equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(state(id)).isEqualTo(expected);
  }

  private void register(String id, int port, String health) throws Exception {
    node.register("{\"id\":\"" + id + "\",\"endpoints\":[{\"address\":\"127.0.0.1\"}],"
        + "\"services\":[{\"name\":\"web\",\"port\":" + port + "}],\"health\":" + health + "}");
  }

  @Test
  void httpChecksFollowTheStatusTheServiceAnswers() throws Exception {
    register("web-1", http.actualPort(), "{\"path\":\"/health\",\"interval\":\"1s\",\"timeout\":\"500ms\"}");
    awaitState("web-1", "passing");
    status.set(503);
    awaitState("web-1", "critical");
    JsonObject instance = await(node.client.get("web-1")).getJsonObject("instance");
    assertThat(instance.getJsonObject("status").getString("output")).contains("503");
    status.set(429);
    awaitState("web-1", "warning");
    status.set(200);
    awaitState("web-1", "passing");
  }

  @Test
  void tcpChecksSeeWhetherThePortAcceptsConnections() throws Exception {
    NetServer tcp = await(vertx.createNetServer().connectHandler(socket -> socket.close()).listen(0, "127.0.0.1"));
    int port = tcp.actualPort();
    register("tcp-1", port, "{\"policy\":\"tcp\",\"interval\":\"1s\",\"timeout\":\"500ms\"}");
    awaitState("tcp-1", "passing");
    await(tcp.close());
    awaitState("tcp-1", "critical");
    assertThat(await(node.client.get("tcp-1")).getJsonObject("instance").getJsonObject("status").getString("output"))
        .contains("TCP connect 127.0.0.1:" + port);
  }

  @Test
  void noMoreChecksRunAtOnceThanConfigured() throws Exception {
    for (int i = 0; i < 12; i++) {
      register("slow-" + i, http.actualPort(), "{\"path\":\"/slow\",\"interval\":\"30s\",\"timeout\":\"2s\"}");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (requests.get() < 12 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(requests.get()).isGreaterThanOrEqualTo(12);
    assertThat(maxInFlight.get()).isBetween(1, 3);
  }
}
