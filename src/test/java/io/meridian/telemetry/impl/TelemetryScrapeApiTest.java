package io.meridian.telemetry.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.config.ScrapeOptions;
import io.meridian.common.config.TelemetryOptions;
import io.meridian.common.http.ApiResponses;
import io.meridian.common.http.TokenAuth;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.meridian.common.verticle.RoleContext;
import io.meridian.telemetry.TelemetryHttpApi;
import io.meridian.telemetry.impl.scrape.RecordingStore;
import io.meridian.telemetry.impl.scrape.TestTargets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The telemetry role's scraper wired in the verticle, reached through {@code GET
 * /api/v1/telemetry/targets} (the REST module over the bus action), writing the role's series store.
 */
class TelemetryScrapeApiTest {

  private static final TokenVerifier TOKENS = token -> switch (token) {
    case "reader" -> new Principal("reader", Role.VIEWER);
    case "agent" -> new Principal("agent", Role.AGENT);
    default -> null;
  };

  @TempDir
  Path dir;
  Vertx vertx;
  EmbeddedStore durable;
  TestTargets targets;
  TelemetryVerticle verticle;
  SimpleMeterRegistry meters = new SimpleMeterRegistry();
  int port;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    targets = TestTargets.start(vertx);
    durable = EmbeddedStore.open(dir, null);
    verticle = new TelemetryVerticle(new RoleContext("test-node", durable, TOKENS, meters));
    ScrapeOptions scrape = new ScrapeOptions(true, Duration.ofMillis(200), Duration.ofSeconds(2), 4, 64 * 1024, "default", false,
        List.of(new ScrapeOptions.Target("app", targets.url("/healthy"), Map.of()),
            new ScrapeOptions.Target("broken", targets.url("/garbage"), Map.of())));
    JsonObject telemetry = TelemetryOptions.fromJson(new JsonObject()).toJson().put("scrape", scrape.toJson())
        .put("zipkin", new JsonObject().put("host", "127.0.0.1").put("port", 0));
    await(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(new JsonObject().put("telemetry", telemetry))));
    Router router = Router.router(vertx);
    router.route("/api/v1/*").handler(TokenAuth.authenticate(TOKENS, false));
    new TelemetryHttpApi().mount(router, vertx);
    router.route().failureHandler(ApiResponses.failureHandler());
    port = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")).actualPort();
  }

  @AfterEach
  void tearDown() throws Exception {
    targets.close();
    await(vertx.close());
    durable.close();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Verifies that the targets API lists every target with its health, last scrape and error, filters
   * by health, refuses a bad filter naming the field, needs the READ permission, and that the
   * scraper's meters count the scrapes.
   */
  @Test
  void targetsApiShowsHealth() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonObject reply;
    do {
      HttpResponse<String> r = get("/api/v1/telemetry/targets", "reader");
      assertEquals(200, r.statusCode(), r.body());
      reply = new JsonObject(r.body());
      Thread.sleep(50);
    } while ((!reply.encode().contains("\"health\":\"down\"") || !reply.encode().contains("\"health\":\"up\""))
        && System.nanoTime() < deadline);
    JsonObject app = reply.getJsonArray("targets").getJsonObject(0);
    assertEquals("static/app", app.getString("key"));
    assertEquals("static", app.getString("kind"));
    assertEquals(targets.url("/healthy"), app.getString("url"));
    assertEquals(Map.of("job", "app", "instance", "127.0.0.1:" + targets.port), app.getJsonObject("labels").getMap());
    assertEquals("up", app.getString("health"));
    assertEquals(2, app.getInteger("samples"));
    assertEquals("200ms", app.getString("interval"));
    assertTrue(app.getString("lastScrape").endsWith("Z"), app.encode());
    JsonObject broken = reply.getJsonArray("targets").getJsonObject(1);
    assertEquals("down", broken.getString("health"));
    assertTrue(broken.getString("lastError").startsWith("parse error"), broken.encode());
    assertEquals(4, reply.getJsonObject("scraper").getInteger("concurrency"));

    JsonObject down = new JsonObject(get("/api/v1/telemetry/targets?health=down", "reader").body());
    assertEquals(1, down.getJsonArray("targets").size());
    assertEquals("static/broken", down.getJsonArray("targets").getJsonObject(0).getString("key"));

    HttpResponse<String> bad = get("/api/v1/telemetry/targets?health=sideways", "reader");
    assertEquals(400, bad.statusCode());
    assertEquals("health", new JsonObject(bad.body()).getJsonObject("error").getString("field"));
    assertEquals(400, get("/api/v1/telemetry/targets?colour=red", "reader").statusCode());
    assertEquals(403, get("/api/v1/telemetry/targets", "agent").statusCode());
    assertEquals(401, get("/api/v1/telemetry/targets", "nobody").statusCode());

    assertTrue(meters.get("meridian.telemetry.scrapes").tag("result", "ok").counter().count() >= 1);
    assertTrue(meters.get("meridian.telemetry.scrape.duration").tag("kind", "static").timer().count() >= 2);
    assertEquals(1.0, meters.get("meridian.telemetry.targets").tag("kind", "static").tag("health", "up").gauge().value());
    long now = System.currentTimeMillis();
    assertEquals(1, verticle.seriesStore().select("up", Map.of("job", "app"), now - 60_000, now + 1000).size(),
        "the verticle's scraper writes the role's series store");
  }
}
