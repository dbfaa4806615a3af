package io.meridian.gateway;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What component tests of the gateway share: a Vert.x for real backends, the node under test
 * ({@link #gw}, started by each test with its settings) and everything to close after each test.
 */
public abstract class GatewayComponentTest {

  @TempDir
  protected Path dir;

  protected Vertx vertx;
  protected GatewayTestNode gw;
  protected final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    if (gw != null) {
      gw.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A real backend named {@code name}, closed after the test. */
  protected TestBackend backend(String name) throws Exception {
    TestBackend b = TestBackend.start(vertx, name);
    closing.add(b);
    return b;
  }
}
