package io.meridian.gateway;

import io.meridian.app.Node;
import io.meridian.common.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A node with the registry, rules and gateway roles in the test's JVM, on 127.0.0.1 and free
 * ports, driven through its real admin API (registrations, rules) and gateway port.
 */
public final class GatewayTestNode implements AutoCloseable {

  public static final String ADMIN = "gateway-test-admin-token-0123456789";

  public final Node node;
  public final int gatewayPort;
  public final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private GatewayTestNode(Node node) {
    this.node = node;
    this.gatewayPort = node.status().getJsonObject("ports").getInteger("gateway");
  }

  /** Starts a node; {@code env} adds or overrides {@code MERIDIAN_*} settings. */
  public static GatewayTestNode start(Path dataDir, Map<String, String> env) throws Exception {
    return start(dataDir, env, "registry,rules,gateway");
  }

  /** Starts a node with {@code roles} (comma separated, including gateway); {@code env} as above. */
  public static GatewayTestNode start(Path dataDir, Map<String, String> env, String roles) throws Exception {
    Map<String, String> all = new HashMap<>(Map.of(
        "MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0", "MERIDIAN_DATA_DIR", dataDir.toString(),
        "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0", "MERIDIAN_GATEWAY_PORT", "0",
        "MERIDIAN_TELEMETRY_ZIPKIN_PORT", "0"));
    if (System.getenv("MERIDIAN_LOG_LEVEL") != null) {
      all.put("MERIDIAN_LOG_LEVEL", System.getenv("MERIDIAN_LOG_LEVEL")); // to debug a test
    }
    all.putAll(env);
    io.meridian.common.config.MeridianConfig config = ConfigLoader.load(null, all,
        List.of(new ConfigLoader.Setting("roles", roles))).config();
    if (System.getenv("MERIDIAN_LOG_LEVEL") != null) {
      io.meridian.app.logging.LogSetup.apply(config.log());
    }
    Node node = Node.start(config, null);
    GatewayTestNode n = new GatewayTestNode(node);
    n.await("gateway routing", () -> n.node.notReady() == null);
    return n;
  }

  /** An admin API call; returns the response (any status). */
  public HttpResponse<String> admin(String method, String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + ADMIN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Registers an instance (JSON as in docs/registry.md); fails the test unless accepted. */
  public JsonObject register(String json) throws Exception {
    HttpResponse<String> r = admin("POST", "/api/v1/instances", "application/json", json);
    if (r.statusCode() / 100 != 2) {
      throw new AssertionError("registration refused: " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body());
  }

  public void deregister(String id) throws Exception {
    HttpResponse<String> r = admin("DELETE", "/api/v1/instances/" + id, null, null);
    if (r.statusCode() / 100 != 2) {
      throw new AssertionError("deregistration refused: " + r.statusCode() + " " + r.body());
    }
  }

  /** Applies rules (YAML documents); fails the test unless accepted. */
  public void apply(String yaml) throws Exception {
    HttpResponse<String> r = admin("POST", "/api/v1/rules/apply", "application/yaml", yaml);
    if (r.statusCode() / 100 != 2) {
      throw new AssertionError("rules refused: " + r.statusCode() + " " + r.body());
    }
  }

  /** A request through the gateway. */
  public HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path))
        .timeout(Duration.ofSeconds(10)).GET();
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A request through the gateway, sent without waiting (the client opens a connection per request in flight). */
  public java.util.concurrent.CompletableFuture<HttpResponse<String>> getAsync(String path) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path))
        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Waits (at most 10 s) for {@code condition}, polling. */
  public void await(String what, BooleanSupplier condition) throws InterruptedException {
    await(() -> what, condition);
  }

  /** Waits (at most 10 s) for {@code condition}; {@code what} describes it when it times out (e.g. what was last seen). */
  public void await(java.util.function.Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what.get());
      }
      Thread.sleep(20);
    }
  }

  /** Waits until a request to {@code path} is answered by a backend (not the gateway's own error). */
  public void awaitRoute(String path) throws InterruptedException {
    await("a route for " + path, () -> {
      try {
        HttpResponse<String> r = get(path);
        return r.headers().firstValue("x-meridian-gateway").isEmpty();
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Override
  public void close() {
    node.stop();
  }
}
