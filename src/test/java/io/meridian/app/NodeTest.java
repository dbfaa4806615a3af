package io.meridian.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.Addresses;
import io.meridian.common.config.ConfigLoader;
import io.meridian.common.config.MeridianConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the node in-process: admin server, auth, probes, metrics, status and graceful stop. */
class NodeTest {

  private static final String ADMIN = "node-test-admin-token";

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1) // like curl; Java 17's client fails in-flight h2 streams on GOAWAY
      .connectTimeout(Duration.ofSeconds(5)).build();
  private Node node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop();
    }
  }

  private Node start(Map<String, String> env, List<ConfigLoader.Setting> settings,
      java.util.function.Consumer<io.vertx.ext.web.Router> extra) throws Exception {
    Map<String, String> all = new java.util.HashMap<>(Map.of(
        "MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0", "MERIDIAN_DATA_DIR", dir.toString(),
        "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0", "MERIDIAN_XDS_PORT", "0",
        "MERIDIAN_GATEWAY_PORT", "0", "MERIDIAN_TELEMETRY_ZIPKIN_PORT", "0"));
    all.putAll(env);
    MeridianConfig config = ConfigLoader.load(null, all, settings).config();
    node = Node.start(config, extra);
    return node;
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesAreOpenAndStatusNeedsAToken() throws Exception {
    start(Map.of(), List.of(), null);
    assertThat(get("/health", null).statusCode()).isEqualTo(200);
    // roles that follow others (gateway, xDS) serve a moment after they started
    HttpResponse<String> ready = get("/ready", null);
    for (int i = 0; i < 250 && ready.statusCode() != 200; i++) {
      assertThat(new JsonObject(ready.body()).getJsonObject("roles").encode()).contains("waiting for the registry and the rules");
      Thread.sleep(20);
      ready = get("/ready", null);
    }
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(ready.body()).getString("status")).isEqualTo("ready");

    HttpResponse<String> anonymous = get("/api/v1/status", null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    assertThat(new JsonObject(anonymous.body()).getJsonObject("error").getString("code")).isEqualTo("unauthorized");
    assertThat(get("/api/v1/status", "not-a-token").statusCode()).isEqualTo(401);

    HttpResponse<String> status = get("/api/v1/status", ADMIN);
    assertThat(status.statusCode()).isEqualTo(200);
    JsonObject doc = new JsonObject(status.body());
    assertThat(doc.getString("version")).isNotBlank();
    assertThat(doc.getJsonObject("ports").getInteger("admin")).isEqualTo(node.adminPort());
    assertThat(doc.getJsonObject("ports").fieldNames()).containsExactlyInAnyOrder("admin", "consul", "xds", "gateway", "zipkin");
    JsonArray roles = doc.getJsonArray("roles");
    assertThat(roles.stream().map(r -> ((JsonObject) r).getString("name")).toList())
        .containsExactly("registry", "rules", "xds", "gateway", "telemetry", "ui");
    for (Object r : roles) {
      JsonObject role = (JsonObject) r;
      assertThat(role.getString("state")).isEqualTo("started");
      if (role.getString("name").equals("registry")) {
        assertThat(role.getBoolean("implemented")).isTrue();
        assertThat(role.getJsonObject("ports").getInteger("consul")).isPositive();
      } else if (role.getString("name").equals("rules")) {
        assertThat(role.getBoolean("implemented")).isTrue();
      } else if (role.getString("name").equals("gateway")) {
        assertThat(role.getBoolean("implemented")).isTrue();
        assertThat(role.getJsonObject("ports").getInteger("gateway")).isPositive();
      } else if (role.getString("name").equals("xds")) {
        assertThat(role.getBoolean("implemented")).isTrue();
        assertThat(role.getJsonObject("ports").getInteger("xds")).isPositive();
      } else if (role.getString("name").equals("telemetry")) {
        assertThat(role.getBoolean("implemented")).isTrue();
        assertThat(role.getJsonObject("ports").getInteger("zipkin")).isPositive();
      } else {
        assertThat(role.getString("name")).isEqualTo("ui");
        assertThat(role.getBoolean("implemented")).isTrue();
        assertThat(role.getString("detail")).startsWith("web UI at /");
      }
    }
    assertThat(doc.getJsonObject("ports").getInteger("consul")).isPositive();
  }

  @Test
  void rolesDecidePermissions() throws Exception {
    start(Map.of(), List.of(), null);
    JsonObject viewer = new JsonObject(send("POST", "/api/v1/tokens", ADMIN, "{\"name\":\"v\",\"role\":\"viewer\"}").body());
    JsonObject agent = new JsonObject(send("POST", "/api/v1/tokens", ADMIN, "{\"name\":\"a\",\"role\":\"agent\"}").body());
    assertThat(get("/api/v1/status", viewer.getString("token")).statusCode()).isEqualTo(200);
    HttpResponse<String> forbidden = get("/api/v1/status", agent.getString("token"));
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(forbidden.body()).getJsonObject("error").getString("code")).isEqualTo("forbidden");
    assertThat(get("/api/v1/tokens", viewer.getString("token")).statusCode()).isEqualTo(403);
    assertThat(new JsonObject(get("/api/v1/auth/whoami", agent.getString("token")).body()))
        .isEqualTo(new JsonObject().put("name", "a").put("role", "agent").put("permissions", new JsonArray().add("register")));

    assertThat(send("DELETE", "/api/v1/tokens/a", ADMIN, null).statusCode()).isEqualTo(204);
    assertThat(get("/api/v1/auth/whoami", agent.getString("token")).statusCode()).isEqualTo(401);
  }

  @Test
  void badRequestsGetJsonErrorsNamingTheField() throws Exception {
    start(Map.of("MERIDIAN_ADMIN_MAX_BODY_SIZE", "2KiB"), List.of(), null);
    HttpResponse<String> badRole = send("POST", "/api/v1/tokens", ADMIN, "{\"name\":\"x\",\"role\":\"root\"}");
    assertThat(badRole.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badRole.body()).getJsonObject("error").getString("field")).isEqualTo("role");
    HttpResponse<String> unknownField = send("POST", "/api/v1/tokens", ADMIN, "{\"name\":\"x\",\"role\":\"viewer\",\"ttl\":1}");
    assertThat(new JsonObject(unknownField.body()).getJsonObject("error").getString("field")).isEqualTo("ttl");
    assertThat(send("POST", "/api/v1/tokens", ADMIN, "{not json").statusCode()).isEqualTo(400);
    assertThat(send("POST", "/api/v1/tokens", ADMIN, "[]").statusCode()).isEqualTo(400);
    HttpResponse<String> tooBig = send("POST", "/api/v1/tokens", ADMIN, "{\"name\":\"" + "x".repeat(4096) + "\"}");
    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(tooBig.body()).getJsonObject("error").getString("code")).isEqualTo("payload_too_large");
    HttpResponse<String> missing = get("/api/v1/nothing-here", ADMIN);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("code")).isEqualTo("not_found");
    HttpResponse<String> wrongMethod = send("PUT", "/api/v1/status", ADMIN, "{}");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(new JsonObject(wrongMethod.body()).getJsonObject("error").getString("code")).isEqualTo("method_not_allowed");
  }

  @Test
  void metricsExposeJvmProcessVertxAndMeridianMeters() throws Exception {
    start(Map.of(), List.of(), null);
    get("/health", null);
    String metrics = get("/metrics", null).body();
    assertThat(metrics).contains("jvm_memory_used_bytes").contains("process_cpu_usage")
        .contains("vertx_http_server_requests_total").contains("meridian_build_info")
        .contains("meridian_role_started{implemented=\"true\",role=\"ui\"} 1")
        .contains("meridian_store_commits_seconds_count").contains("meridian_node_ready 1");
  }

  @Test
  void probesCanBeClosedToAnonymousCallers() throws Exception {
    start(Map.of("MERIDIAN_ADMIN_PUBLIC", "/health"), List.of(), null);
    assertThat(get("/health", null).statusCode()).isEqualTo(200);
    assertThat(get("/metrics", null).statusCode()).isEqualTo(401);
    assertThat(get("/ready", null).statusCode()).isEqualTo(401);
    assertThat(get("/metrics", ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void onlyTheSelectedRolesAreDeployed() throws Exception {
    start(Map.of(), List.of(new ConfigLoader.Setting("roles", "gateway")), null);
    JsonArray roles = new JsonObject(get("/api/v1/status", ADMIN).body()).getJsonArray("roles");
    assertThat(roles).hasSize(1);
    assertThat(roles.getJsonObject(0).getString("name")).isEqualTo("gateway");
  }

  @Test
  void theNodeAnswersStatusRequestsOnTheEventBus() throws Exception {
    start(Map.of(), List.of(), null);
    JsonObject status = node.vertx().eventBus().<JsonObject>request(Addresses.nodeStatus(node.nodeId()), null)
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).body();
    assertThat(status.getString("node")).isEqualTo(node.nodeId());
  }

  @Test
  void stopLetsInFlightRequestsFinishAndTurnsReadinessOff() throws Exception {
    start(Map.of(), List.of(), router -> router.get("/api/v1/test/slow").handler(ctx ->
        ctx.vertx().setTimer(1500, t -> ctx.response().end("done"))));
    CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + "/api/v1/test/slow"))
            .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
    Thread.sleep(300);
    int port = node.adminPort();
    node.stop();
    HttpResponse<String> finished = inFlight.get(5, TimeUnit.SECONDS);
    assertThat(finished.statusCode()).isEqualTo(200);
    assertThat(finished.body()).isEqualTo("done");
    assertThat(node.notReady()).isEqualTo(new JsonObject().put("status", "stopping"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close())
        .isInstanceOf(java.net.ConnectException.class);
  }
}
