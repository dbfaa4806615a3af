package io.meridian.gateway.impl.plugins.auth;

import io.meridian.gateway.GatewayTestNode;
import io.meridian.gateway.TestBackend;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A node with a gateway and a backend registered as service {@code demo} (tenant default), routed before each test. */
abstract class AuthTestBase {

  @TempDir
  Path dir;

  Vertx vertx;
  GatewayTestNode gw;
  TestBackend backend;

  @BeforeEach
  void startNode() throws Exception {
    vertx = Vertx.vertx();
    gw = GatewayTestNode.start(dir, Map.of());
    backend = TestBackend.start(vertx, "demo");
    gw.register(backend.registration("demo-1", "demo", "v1"));
    gw.awaitRoute("/api/demo/x");
  }

  @AfterEach
  void stopNode() throws Exception {
    backend.close();
    gw.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Waits until {@code GET /api/demo/hello} with {@code headers} is answered {@code status} (a rule took effect). */
  void awaitStatus(int status, String... headers) throws InterruptedException {
    gw.await("status " + status, () -> {
      try {
        return gw.get("/api/demo/hello", headers).statusCode() == status;
      } catch (Exception e) {
        return false;
      }
    });
  }
}
