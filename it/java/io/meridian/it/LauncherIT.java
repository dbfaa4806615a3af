package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the real jar as a user runs it: start, probes, auth, errors and exit codes, graceful stop. */
class LauncherIT {

  private static final Duration START = Duration.ofSeconds(60);

  @TempDir
  Path work;

  @Test
  void aFreshStartServesProbesMetricsAndTokenProtectedStatus() throws Exception {
    int port = MeridianProcess.freePort();
    Path data = work.resolve("data");
    try (MeridianProcess m = MeridianProcess.start(work, MeridianProcess.loopbackEnv(port, data), port,
        "--conf", Path.of("conf/meridian.yaml").toAbsolutePath().toString())) {
      m.awaitReady(START);
      assertThat(m.get("/health", null).statusCode()).isEqualTo(200);

      String metrics = m.get("/metrics", null).body();
      assertThat(metrics).contains("jvm_memory_used_bytes", "process_cpu_usage", "vertx_http_server_requests_total",
          "meridian_build_info", "meridian_role_started");

      Path tokenFile = data.resolve("admin.token");
      String token = Files.readString(tokenFile).trim();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
      assertThat(m.stdout()).contains(tokenFile.toString()).doesNotContain(token);

      HttpResponse<String> anonymous = m.get("/api/v1/status", null);
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(new JsonObject(anonymous.body()).getJsonObject("error").getString("code")).isEqualTo("unauthorized");

      HttpResponse<String> status = m.get("/api/v1/status", token);
      assertThat(status.statusCode()).isEqualTo(200);
      JsonObject doc = new JsonObject(status.body());
      assertThat(doc.getJsonObject("ports").getInteger("admin")).isEqualTo(port);
      assertThat(doc.getJsonArray("roles").stream().map(r -> ((JsonObject) r).getString("name")).toList())
          .containsExactly("registry", "rules", "xds", "gateway", "telemetry", "ui");

      JsonObject agent = new JsonObject(m.send("POST", "/api/v1/tokens", token,
          "{\"name\":\"agent-1\",\"role\":\"agent\"}").body());
      HttpResponse<String> forbidden = m.get("/api/v1/status", agent.getString("token"));
      assertThat(forbidden.statusCode()).isEqualTo(403);
      assertThat(new JsonObject(forbidden.body()).getJsonObject("error").getString("code")).isEqualTo("forbidden");

      JsonObject cluster = new JsonObject(m.get("/api/v1/cluster", token).body());
      assertThat(cluster.getBoolean("clustered")).isFalse();
      assertThat(cluster.getJsonArray("members")).hasSize(1);
    }
  }

  @Test
  void badCommandLinesAndConfigsExitWithCode2AndOneLine() throws Exception {
    Path conf = work.resolve("typo.yaml");
    Files.writeString(conf, "admin:\n  prot: 1\n");
    Map<List<String>, String> cases = Map.of(
        List.of("--bogus"), "unknown option '--bogus'",
        List.of("--roles", "registry,bogus"), "unknown role 'bogus'",
        List.of("--conf", conf.toString()), "admin.prot",
        List.of("--conf", work.resolve("missing.yaml").toString()), "does not exist",
        List.of("--set", "admin.port=http"), "admin.port");
    for (Map.Entry<List<String>, String> c : cases.entrySet()) {
      try (MeridianProcess m = MeridianProcess.start(work, Map.of(), -1, c.getKey().toArray(new String[0]))) {
        assertThat(m.waitForExit(Duration.ofSeconds(30))).as("exit code of %s", c.getKey()).isEqualTo(2);
        assertThat(m.stderr().lines().toList()).as("stderr of %s", c.getKey()).singleElement().asString()
            .startsWith("meridian: ").contains(c.getValue());
      }
    }
    try (MeridianProcess m = MeridianProcess.start(work, Map.of("MERIDIAN_GATEWAY_PORT", "-5"), -1)) {
      assertThat(m.waitForExit(Duration.ofSeconds(30))).isEqualTo(2);
      assertThat(m.stderr()).contains("gateway.port").contains("MERIDIAN_GATEWAY_PORT");
    }
  }

  @Test
  void helpVersionAndPrintConfigExit0() throws Exception {
    try (MeridianProcess m = MeridianProcess.start(work, Map.of(), -1, "--help")) {
      assertThat(m.waitForExit(Duration.ofSeconds(30))).isZero();
      assertThat(m.stdout()).contains("--roles", "--conf", "--cluster", "MERIDIAN_");
    }
    try (MeridianProcess m = MeridianProcess.start(work, Map.of(), -1, "--version")) {
      assertThat(m.waitForExit(Duration.ofSeconds(30))).isZero();
      assertThat(m.stdout()).startsWith("meridian ");
    }
    try (MeridianProcess m = MeridianProcess.start(work, Map.of("MERIDIAN_ADMIN_TOKEN", "secret-secret-secret"), -1,
        "--print-config", "--set", "admin.port=9999")) {
      assertThat(m.waitForExit(Duration.ofSeconds(30))).isZero();
      assertThat(m.stdout()).contains("port: 9999").doesNotContain("secret-secret-secret");
    }
  }

  @Test
  void aPortInUseExitsWithCode1NamingThePort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      try (MeridianProcess m = MeridianProcess.start(work, MeridianProcess.loopbackEnv(port, work.resolve("data")), port)) {
        assertThat(m.waitForExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(m.stderr().lines().toList()).singleElement().asString()
            .contains("port " + port).contains("admin.port").contains("in use");
      }
    }
  }

  @Test
  void sigtermStopsGracefullyAndARestartKeepsTokensAndData() throws Exception {
    int port = MeridianProcess.freePort();
    Path data = work.resolve("data");
    Map<String, String> env = MeridianProcess.loopbackEnv(port, data);
    String token;
    String viewerToken;
    try (MeridianProcess m = MeridianProcess.start(work, env, port)) {
      m.awaitReady(START);
      token = Files.readString(data.resolve("admin.token")).trim();
      viewerToken = new JsonObject(m.send("POST", "/api/v1/tokens", token, "{\"name\":\"ops\",\"role\":\"viewer\"}")
          .body()).getString("token");
      m.terminate();
      int code = m.waitForExit(Duration.ofSeconds(30));
      assertThat(code).isIn(0, 143);
      assertThat(m.stdout()).contains("stopping").contains("stopped");
    }
    try (MeridianProcess m = MeridianProcess.start(work, env, port)) {
      m.awaitReady(START);
      assertThat(m.stdout()).contains("admin token: " + data.resolve("admin.token").toAbsolutePath());
      assertThat(m.get("/api/v1/status", token).statusCode()).isEqualTo(200);
      assertThat(m.get("/api/v1/status", viewerToken).statusCode()).isEqualTo(200);
      JsonArray tokens = new JsonArray(m.get("/api/v1/tokens", token).body());
      assertThat(tokens.stream().map(t -> ((JsonObject) t).getString("name")).toList()).contains("admin", "ops");
    }
  }

  @Test
  void aSecondProcessOnTheSameDataDirectoryIsRefused() throws Exception {
    int port = MeridianProcess.freePort();
    Path data = work.resolve("data");
    try (MeridianProcess first = MeridianProcess.start(work, MeridianProcess.loopbackEnv(port, data), port)) {
      first.awaitReady(START);
      int other = MeridianProcess.freePort();
      try (MeridianProcess second = MeridianProcess.start(work, MeridianProcess.loopbackEnv(other, data), other)) {
        assertThat(second.waitForExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(second.stderr()).contains("locked").contains(data.toString());
      }
    }
  }

  @Test
  void jsonLogLinesCarryTheRole() throws Exception {
    int port = MeridianProcess.freePort();
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(port, work.resolve("data")));
    env.put("MERIDIAN_LOG_FORMAT", "json");
    try (MeridianProcess m = MeridianProcess.start(work, env, port, "--roles", "registry,rules,gateway")) {
      m.awaitReady(START);
      List<JsonObject> lines = m.stdout().lines().map(JsonObject::new).toList();
      assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l.fieldNames()).contains("time", "level", "role", "message"));
      assertThat(lines).anySatisfy(l -> assertThat(l.getString("role")).isEqualTo("gateway"));
    }
  }
}
