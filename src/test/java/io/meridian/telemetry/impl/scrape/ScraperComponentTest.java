package io.meridian.telemetry.impl.scrape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.common.Addresses;
import io.meridian.common.config.RegistryOptions;
import io.meridian.common.config.ScrapeOptions;
import io.meridian.registry.RegistryTestNode;
import io.meridian.telemetry.impl.series.Sample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scraper against real HTTP targets in this JVM, a real registry role and node meters over the
 * bus, writing into a recording store.
 */
class ScraperComponentTest {

  @TempDir
  Path dir;
  Vertx vertx;
  Context context;
  TestTargets targets;
  RecordingStore store = new RecordingStore();
  SimpleMeterRegistry meters = new SimpleMeterRegistry();
  Scraper scraper;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    targets = TestTargets.start(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (scraper != null) {
      on(() -> scraper.stop());
    }
    targets.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static ScrapeOptions options(Duration interval, Duration timeout, int concurrency, long maxBody, boolean nodes,
      List<ScrapeOptions.Target> statics) {
    return new ScrapeOptions(true, interval, timeout, concurrency, maxBody, "default", nodes, statics);
  }

  private void startScraper(ScrapeOptions options) throws Exception {
    on(() -> {
      scraper = new Scraper(vertx, options, store, meters);
      scraper.start();
      return Future.succeededFuture();
    });
  }

  /** Runs {@code action} on the scraper's context and waits for its future. */
  private <T> T on(Supplier<Future<T>> action) throws Exception {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(promise));
    return promise.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private JsonObject target(String key) throws Exception {
    JsonArray all = on(() -> scraper.targets(new JsonObject())).getJsonArray("targets");
    for (int i = 0; i < all.size(); i++) {
      if (all.getJsonObject(i).getString("key").equals(key)) {
        return all.getJsonObject(i);
      }
    }
    return null;
  }

  private static void await(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private interface Check {
    boolean test() throws Exception;
  }

  private static BooleanSupplier unchecked(Check check) {
    return () -> {
      try {
        return check.test();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
  }

  /**
   * Verifies that the scraper follows a registry that comes up after it, that a registered instance
   * whose binding declares metrics is scraped (text and OpenMetrics), its samples reach the store
   * with tenant/service/version/instance/plane/kind, a clashing scraped label is kept as exported_,
   * a re-registration with another metrics path moves the target, and deregistering drops the
   * target from the store and the list.
   */
  @Test
  void registeredInstanceIsScrapedUntilDeregistered() throws Exception {
    // the scraper starts first and keeps trying to follow the registry until it is up
    startScraper(options(Duration.ofMillis(200), Duration.ofSeconds(5), 4, 1024 * 1024, false, List.of()));
    Thread.sleep(300);
    try (RegistryTestNode registry = RegistryTestNode.start(vertx, dir, RegistryOptions.fromJson(new JsonObject()))) {
      String registration = """
          {"id": "orders-1", "tenant": "shop", "kind": "mesh",
           "endpoints": [{"plane": "default", "address": "127.0.0.1"}],
           "services": [{"name": "orders", "version": "v2", "port": 8080, "metrics": {"path": "%s", "port": %d}},
                        {"name": "orders-om", "version": "v2", "port": 8081, "metrics": {"path": "/openmetrics", "port": %d}},
                        {"name": "orders-grpc", "version": "v2", "port": 8082}]}""";
      registry.register(registration.formatted("/metrics", targets.port, targets.port));
      String key = "registry/shop/orders-1/orders";
      await("a scrape of the registered instance", () -> store.last(key) != null);
      RecordingStore.Ingest ingest = store.last(key);
      Sample ok = ingest.samples().stream().filter(s -> s.name().equals("orders_requests_total") && "200".equals(s.labels().get("code")))
          .findFirst().orElseThrow();
      assertEquals(Map.of("tenant", "shop", "service", "orders", "version", "v2", "instance", "orders-1", "plane", "default",
          "kind", "mesh", "code", "200", "exported_service", "scraped-name"), ok.labels());
      assertEquals(1.0, ingest.sample("up").value());
      assertEquals(2.0, ingest.sample("scrape_samples_scraped").value());
      assertNotNull(ingest.sample("scrape_duration_seconds"));
      assertTrue(ingest.families().stream().anyMatch(f -> f.name().equals("orders_requests_total") && f.type().equals("counter")));

      await("the OpenMetrics binding", () -> store.last("registry/shop/orders-1/orders-om") != null);
      RecordingStore.Ingest om = store.last("registry/shop/orders-1/orders-om");
      assertEquals(7.0, om.sample("orders_requests_total").value());
      assertNull(om.sample("orders_requests_created"), "_created is not kept");
      assertEquals(3, on(() -> scraper.targets(new JsonObject())).getJsonArray("targets").size() + 1,
          "two bindings declare metrics, the third does not");
      String accept = targets.headers.get("/metrics").get("Accept");
      assertEquals(HttpFetcher.ACCEPT, accept);
      assertTrue(targets.headers.get("/metrics").get("Accept-Encoding").contains("gzip"));

      registry.register(registration.formatted("/healthy", targets.port, targets.port));
      await("the changed metrics path followed", unchecked(() -> target(key).getString("url").endsWith("/healthy")));
      await("a scrape of the new path", () -> targets.headers.containsKey("/healthy"));

      RegistryTestNode.await(registry.client.deregister("orders-1", RegistryTestNode.OPERATOR));
      await("the target dropped", () -> store.drops().contains(key) && store.drops().contains("registry/shop/orders-1/orders-om"));
      await("the target gone from the list", unchecked(() -> target(key) == null));
    }
  }

  /** Verifies that a static target and every node of the cluster (over the bus) are scraped with their labels. */
  @Test
  void staticAndNodeTargetsAreScraped() throws Exception {
    vertx.eventBus().<JsonObject>localConsumer(Addresses.MEMBERS, m -> m.reply(new JsonObject().put("members", new JsonArray().add("n1"))));
    vertx.eventBus().consumer(Addresses.nodeMetrics("n1"), m -> m.reply("# TYPE meridian_node_ready gauge\nmeridian_node_ready 1\n"));
    startScraper(options(Duration.ofMillis(200), Duration.ofSeconds(5), 4, 1024 * 1024, true,
        List.of(new ScrapeOptions.Target("app", targets.url("/healthy"), Map.of("team", "payments")))));
    await("the static target", () -> store.last("static/app") != null);
    Sample s = store.last("static/app").sample("orders_requests_total");
    assertEquals("app", s.labels().get("job"));
    assertEquals("payments", s.labels().get("team"));
    assertEquals("127.0.0.1:" + targets.port, s.labels().get("instance"));
    await("the node target", () -> store.last("node/n1") != null);
    Sample node = store.last("node/n1").sample("meridian_node_ready");
    assertEquals(Map.of("job", "meridian", "meridian_node", "n1"), node.labels());
    JsonObject listed = target("node/n1");
    assertEquals("node", listed.getString("kind"));
    assertEquals("up", listed.getString("health"));
    assertEquals("meridian.node.n1.metrics", listed.getString("url"));
    await("a second scrape of the static target", unchecked(() -> target("static/app").getLong("scrapes") >= 2));
    assertEquals("up", target("static/app").getString("health"));
    assertNotNull(target("static/app").getString("lastScrape"));
  }

  /**
   * Verifies containment: a target that hangs, one that answers garbage and one that answers 10 MB
   * are marked down with timeout / parse error / size error while a healthy one keeps being scraped
   * every interval (never skipped, never failed), scrapes in flight never exceed the concurrency,
   * a hanging target is never asked twice at once, and the 10 MB answer is cut off, not read.
   */
  @Test
  void badTargetsAreContained() throws Exception {
    startScraper(options(Duration.ofMillis(300), Duration.ofSeconds(1), 2, 256 * 1024, false, List.of(
        new ScrapeOptions.Target("hang", targets.url("/hang"), Map.of()),
        new ScrapeOptions.Target("garbage", targets.url("/garbage"), Map.of()),
        new ScrapeOptions.Target("huge", targets.url("/huge"), Map.of()),
        new ScrapeOptions.Target("healthy", targets.url("/healthy"), Map.of()))));
    await("every bad target down", unchecked(() -> {
      JsonObject hang = target("static/hang");
      JsonObject garbage = target("static/garbage");
      JsonObject huge = target("static/huge");
      return hang.getString("health").equals("down") && garbage.getString("health").equals("down")
          && huge.getString("health").equals("down");
    }));
    assertTrue(target("static/hang").getString("lastError").startsWith("timeout"), target("static/hang").encode());
    assertTrue(target("static/garbage").getString("lastError").startsWith("parse error: line 1: expected a metric name"),
        target("static/garbage").encode());
    assertEquals("body exceeds 262144 bytes", target("static/huge").getString("lastError"));
    assertEquals(0.0, store.last("static/hang").sample("up").value());
    assertEquals(1, store.last("static/garbage").samples().size(), "a failed scrape writes only up 0");

    long healthyBefore = target("static/healthy").getLong("scrapes");
    long hangBefore = target("static/hang").getLong("scrapes");
    await("two more timeouts of the hanging target", unchecked(() -> target("static/hang").getLong("scrapes") >= hangBefore + 2));
    JsonObject healthy = target("static/healthy");
    assertEquals("up", healthy.getString("health"));
    assertEquals(0, healthy.getLong("failures"));
    assertEquals(0, healthy.getLong("skipped"), "the healthy target never waited for the bad ones");
    assertTrue(healthy.getLong("scrapes") >= healthyBefore + 3,
        "the healthy target was scraped every interval meanwhile: " + healthyBefore + " → " + healthy.getLong("scrapes"));
    assertTrue(target("static/hang").getLong("skipped") > 0, "ticks during a hanging scrape are skipped");
    assertEquals(1, targets.hangMaxOpen.get(), "never two scrapes of one target at once");
    JsonObject load = on(() -> scraper.targets(new JsonObject())).getJsonObject("scraper");
    assertTrue(load.getInteger("maxInFlight") <= 2, load.encode());
    assertEquals(0, targets.hugeCompleted.get(), "the 10 MB body was never read to its end");
    assertTrue(targets.hugeAborted.get() >= 1);
    assertEquals(List.of("static/garbage", "static/hang", "static/huge"),
        on(() -> scraper.targets(new JsonObject().put("health", "down"))).getJsonArray("targets").stream()
            .map(t -> ((JsonObject) t).getString("key")).toList());
    assertTrue(meters.get("meridian.telemetry.scrapes").tag("result", "timeout").counter().count() >= 1);
    assertTrue(meters.get("meridian.telemetry.scrapes").tag("result", "too_large").counter().count() >= 1);
    assertTrue(meters.get("meridian.telemetry.scrapes").tag("result", "parse_error").counter().count() >= 1);
    assertEquals(3.0, meters.get("meridian.telemetry.targets").tag("kind", "static").tag("health", "down").gauge().value());
  }

  /** Verifies that the size limit applies to the decompressed body: 10 MB that travel gzipped as a few KB are refused. */
  @Test
  void sizeLimitAppliesAfterDecompression() throws Exception {
    startScraper(options(Duration.ofMillis(300), Duration.ofSeconds(5), 2, 256 * 1024, false,
        List.of(new ScrapeOptions.Target("bomb", targets.url("/bomb"), Map.of()))));
    await("the bomb refused", unchecked(() -> "down".equals(target("static/bomb").getString("health"))));
    assertEquals("body exceeds 262144 bytes", target("static/bomb").getString("lastError"));
    assertTrue(targets.headers.get("/bomb").get("Accept-Encoding").contains("gzip"), "the body was offered gzipped");
  }
}
