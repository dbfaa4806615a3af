package io.meridian.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.ConfigLoader;
import io.meridian.common.config.MeridianConfig;
import io.meridian.ui.impl.UiSite;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies how a node's admin server serves the web UI: the files of {@code webroot/} with the
 * security and caching headers, the single-page-app fallback that never shadows the API, and
 * 404 on {@code /} for a node without the {@code ui} role.
 */
class UiServingTest {

  private static final String ADMIN = "ui-serving-test-token";
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private Node node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop();
    }
  }

  private void start(String roles) throws Exception {
    Map<String, String> env = Map.of("MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0",
        "MERIDIAN_DATA_DIR", dir.toString(), "MERIDIAN_ADMIN_TOKEN", ADMIN);
    MeridianConfig config = ConfigLoader.load(null, env, List.of(new ConfigLoader.Setting("roles", roles))).config();
    node = Node.start(config, null);
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  private static void assertSecurityHeaders(HttpResponse<?> response) {
    assertThat(header(response, "Content-Security-Policy")).isEqualTo(CSP);
    assertThat(header(response, "X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(header(response, "Referrer-Policy")).isEqualTo("no-referrer");
  }

  @Test
  void aUiNodeServesTheWebrootWithSecurityAndCachingHeaders() throws Exception {
    start("ui");
    String indexOnDisk = Files.readString(Path.of("webroot/index.html"), StandardCharsets.UTF_8);

    HttpResponse<String> root = get("/");
    assertThat(root.statusCode()).isEqualTo(200);
    assertThat(root.body()).isEqualTo(indexOnDisk);
    assertThat(header(root, "Content-Type")).isEqualTo("text/html; charset=utf-8");
    assertThat(header(root, "Cache-Control")).isEqualTo("no-cache");
    assertSecurityHeaders(root);
    String etag = header(root, "ETag");
    assertThat(etag).matches("\"[0-9a-f]{24}\"");

    HttpResponse<String> revalidated = get("/", "If-None-Match", etag);
    assertThat(revalidated.statusCode()).isEqualTo(304);
    assertThat(revalidated.body()).isEmpty();
    assertThat(get("/", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);

    HttpResponse<String> script = get("/app.js");
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.body()).isEqualTo(Files.readString(Path.of("webroot/app.js")));
    assertThat(header(script, "Content-Type")).isEqualTo("text/javascript; charset=utf-8");
    assertThat(header(script, "Cache-Control")).isEqualTo("public, max-age=" + UiSite.ASSET_MAX_AGE_SECONDS);
    assertThat(header(script, "ETag")).isNotEqualTo(etag).isNotNull();
    assertSecurityHeaders(script);
    assertThat(header(get("/style.css"), "Content-Type")).isEqualTo("text/css; charset=utf-8");
    assertThat(get("/pages/overview.js").statusCode()).isEqualTo(200);

    // the role is reported as built, with what it serves
    JsonObject status = new JsonObject(get("/api/v1/status", "Authorization", "Bearer " + ADMIN).body());
    JsonObject ui = status.getJsonArray("roles").getJsonObject(0);
    assertThat(ui.getString("name")).isEqualTo("ui");
    assertThat(ui.getBoolean("implemented")).isTrue();
    assertThat(ui.getString("detail")).startsWith("web UI at /");
  }

  @Test
  void deepLinksGetTheIndexButTheApiAndMissingFilesDoNot() throws Exception {
    start("ui");
    String index = get("/").body();
    for (String path : List.of("/services", "/services/default/orders", "/no/such/page")) {
      HttpResponse<String> page = get(path);
      assertThat(page.statusCode()).as(path).isEqualTo(200);
      assertThat(page.body()).as(path).isEqualTo(index);
      assertThat(header(page, "Cache-Control")).as(path).isEqualTo("no-cache");
      assertSecurityHeaders(page);
    }
    // never for the API, probes, metrics or federation: those keep their own answers
    HttpResponse<String> unknownApi = get("/api/v1/nothing-here", "Authorization", "Bearer " + ADMIN);
    assertThat(unknownApi.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknownApi.body()).getJsonObject("error").getString("code")).isEqualTo("not_found");
    assertThat(get("/api/v1/nothing-here").statusCode()).isEqualTo(401);
    assertThat(get("/api").statusCode()).isEqualTo(404);
    assertThat(get("/health").body()).contains("\"up\"");
    assertThat(get("/health/x").statusCode()).isEqualTo(404);
    assertThat(get("/ready/x").statusCode()).isEqualTo(404);
    assertThat(get("/metrics").body()).contains("jvm_memory_used_bytes");
    assertThat(get("/metrics/x").statusCode()).isEqualTo(404);
    assertThat(get("/federate/x").statusCode()).isIn(401, 404);
    // a missing file is a 404, not the index (a broken script reference must show)
    assertThat(get("/nope.js").statusCode()).isEqualTo(404);
    assertThat(get("/pages/nope.js").statusCode()).isEqualTo(404);
    // dot files of webroot/ are not served
    assertThat(get("/.gitkeep").statusCode()).isEqualTo(404);
  }

  @Test
  void aNodeWithoutTheUiRoleAnswers404OnTheRoot() throws Exception {
    start("registry");
    HttpResponse<String> root = get("/");
    assertThat(root.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(root.body()).getJsonObject("error").getString("code")).isEqualTo("not_found");
    assertThat(get("/app.js").statusCode()).isEqualTo(404);
    assertThat(get("/services").statusCode()).isEqualTo(404);
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }
}
