package io.meridian.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.ConfigLoader;
import io.meridian.common.json.Yaml;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the rules' REST API on a real node with Istio's documented examples, and its handling of bad input. */
class RulesRestTest {

  static final String ADMIN = "rules-rest-admin-token";
  static final Path ISTIO = Path.of("src/test/resources/rules/istio");

  @TempDir
  Path dir;

  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  Node node;

  @BeforeEach
  void start() throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0",
        "MERIDIAN_DATA_DIR", dir.toString(), "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0",
        "MERIDIAN_RULES_MAX_DOCUMENT_SIZE", "16KiB"));
    node = Node.start(ConfigLoader.load(null, env, List.of(new ConfigLoader.Setting("roles", "registry,rules"))).config(), null);
    String[][] bookinfo = {{"productpage", "v1"}, {"details", "v1"}, {"details", "v2"}, {"reviews", "v1"}, {"reviews", "v2"},
        {"reviews", "v3"}, {"ratings", "v1"}, {"ratings", "v2"}, {"httpbin", "v1"}};
    for (String[] s : bookinfo) {
      assertThat(send("POST", "/api/v1/instances", ADMIN, "application/json", "{\"id\":\"" + s[0] + "-" + s[1]
          + "\",\"endpoints\":[{\"address\":\"10.0.0.1\"}],\"services\":[{\"name\":\"" + s[0] + "\",\"version\":\"" + s[1]
          + "\",\"port\":9080}]}").statusCode()).isEqualTo(201);
    }
    // the rules role follows the registry asynchronously
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline && !send("POST", "/api/v1/rules/apply?dryRun=true", ADMIN, "application/yaml",
        Files.readString(ISTIO.resolve("destination-rule-httpbin-circuit-breaking.yaml"))).body().contains("\"warnings\":[]")) {
      Thread.sleep(50);
    }
  }

  @AfterEach
  void stop() {
    node.stop();
  }

  HttpResponse<String> send(String method, String path, String token, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path, String accept) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .header("Authorization", "Bearer " + ADMIN).header("Accept", accept).build(), HttpResponse.BodyHandlers.ofString());
  }

  int ruleCount() throws Exception {
    return new JsonObject(get("/api/v1/rules", "application/json").body()).getJsonArray("rules").size();
  }

  @Test
  void istiosDocumentedExamplesApplyReadBackAndExportUnchanged() throws Exception {
    List<String> files = List.of("destination-rule-all.yaml", "destination-rule-httpbin-circuit-breaking.yaml",
        "virtual-service-all-v1.yaml", "virtual-service-reviews-test-v2.yaml", "virtual-service-reviews-50-v3.yaml",
        "virtual-service-reviews-90-10.yaml", "virtual-service-ratings-test-delay.yaml", "virtual-service-ratings-test-abort.yaml");
    for (String file : files) {
      String yaml = Files.readString(ISTIO.resolve(file));
      HttpResponse<String> applied = send("POST", "/api/v1/rules/apply", ADMIN, "application/yaml", yaml);
      assertThat(applied.statusCode()).as(file + ": " + applied.body()).isEqualTo(200);
      for (Yaml.Document doc : Yaml.parseDocuments(yaml, Yaml.Limits.DEFAULT)) {
        JsonObject written = (JsonObject) doc.value();
        String path = "/api/v1/rules/" + written.getString("kind") + "/default/" + written.getJsonObject("metadata").getString("name");
        JsonObject read = (JsonObject) Yaml.parse(get(path, "application/yaml").body());
        assertThat(read.getString("apiVersion")).isEqualTo(written.getString("apiVersion"));
        assertThat(read.getJsonObject("spec")).as(file).isEqualTo(written.getJsonObject("spec"));
      }
    }
    HttpResponse<String> export = get("/api/v1/rules/export", "application/yaml");
    assertThat(export.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/yaml"));
    HttpResponse<String> reapplied = send("POST", "/api/v1/rules/apply", ADMIN, "application/yaml", export.body());
    assertThat(reapplied.statusCode()).isEqualTo(200);
    JsonArray results = new JsonObject(reapplied.body()).getJsonArray("results");
    assertThat(results).hasSize(ruleCount());
    assertThat(results.stream().map(r -> ((JsonObject) r).getString("action")).toList()).containsOnly("unchanged");
  }

  @Test
  void aTypoIsA400NamingItsPathAndLine() throws Exception {
    String yaml = Files.readString(ISTIO.resolve("destination-rule-all.yaml"));
    send("POST", "/api/v1/rules/apply", ADMIN, "application/yaml", yaml);
    String typo = Files.readString(ISTIO.resolve("virtual-service-reviews-test-v2.yaml")).replace("exact: jason", "exactly: jason");
    HttpResponse<String> response = send("POST", "/api/v1/rules/apply", ADMIN, "application/yaml", typo);
    assertThat(response.statusCode()).isEqualTo(400);
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertThat(error.getString("field")).isEqualTo("spec.http[0].match[0].headers.end-user.exactly");
    JsonObject issue = error.getJsonArray("results").getJsonObject(0).getJsonArray("errors").getJsonObject(0);
    assertThat(issue.getInteger("line")).isEqualTo(12);
  }

  @Test
  void putGetDeleteWithYamlAndJsonAndKindAliases() throws Exception {
    send("POST", "/api/v1/rules/apply", ADMIN, "application/yaml", Files.readString(ISTIO.resolve("destination-rule-all.yaml")));
    String vs = Files.readString(ISTIO.resolve("virtual-service-reviews-90-10.yaml"));
    HttpResponse<String> created = send("PUT", "/api/v1/rules/virtualservices/default/reviews", ADMIN, "application/yaml", vs);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(send("PUT", "/api/v1/rules/VirtualService/default/reviews", ADMIN, "application/yaml", vs).statusCode()).isEqualTo(200);
    JsonObject json = new JsonObject(get("/api/v1/rules/virtualservice/default/reviews", "application/json").body());
    assertThat(json.getJsonObject("metadata").getString("resourceVersion")).isNotBlank();
    assertThat(json.getJsonObject("status").getLong("revision")).isEqualTo(1);
    assertThat(send("PUT", "/api/v1/rules/VirtualService/default/other-name", ADMIN, "application/yaml", vs).statusCode()).isEqualTo(400);
    assertThat(send("PUT", "/api/v1/rules/Widget/default/reviews", ADMIN, "application/yaml", vs).statusCode()).isEqualTo(400);
    assertThat(send("DELETE", "/api/v1/rules/VirtualService/default/reviews", ADMIN, null, null).statusCode()).isEqualTo(200);
    assertThat(get("/api/v1/rules/VirtualService/default/reviews", "application/json").statusCode()).isEqualTo(404);
    assertThat(new JsonObject(get("/api/v1/rules/VirtualService/default/reviews/history", "application/json").body())
        .getJsonArray("revisions")).hasSize(2);
  }

  @Test
  void viewersReadAndOnlyOperatorsWrite() throws Exception {
    String viewer = new JsonObject(send("POST", "/api/v1/tokens", ADMIN, "application/json", "{\"name\":\"v\",\"role\":\"viewer\"}")
        .body()).getString("token");
    String agent = new JsonObject(send("POST", "/api/v1/tokens", ADMIN, "application/json", "{\"name\":\"a\",\"role\":\"agent\"}")
        .body()).getString("token");
    String yaml = Files.readString(ISTIO.resolve("destination-rule-all.yaml"));
    assertThat(send("POST", "/api/v1/rules/apply", viewer, "application/yaml", yaml).statusCode()).isEqualTo(403);
    assertThat(send("POST", "/api/v1/rules/apply", agent, "application/yaml", yaml).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/api/v1/rules", viewer, null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/api/v1/rules", agent, null, null).statusCode()).isEqualTo(403);
  }

  @Test
  void malformedInputIsA400NeverA500AndTheStoreIsUntouched() throws Exception {
    send("POST", "/api/v1/rules/apply", ADMIN, "application/yaml", Files.readString(ISTIO.resolve("destination-rule-all.yaml")));
    int before = ruleCount();
    StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; c++) {
      bomb.append(c).append(": &").append(c).append(" [*").append(prev).append(", *").append(prev).append(", *").append(prev)
          .append(", *").append(prev).append(", *").append(prev).append(", *").append(prev).append("]\n");
      prev = c;
    }
    // case → (body, a word the error must contain: each case fails for its own reason)
    Map<String, String[]> cases = new java.util.LinkedHashMap<>();
    cases.put("wrong types", new String[] {"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x}\n"
        + "spec: {host: [reviews]}\n", "expected a string"});
    cases.put("deep nesting", new String[] {"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x}\nspec: "
        + "[".repeat(100) + "]".repeat(100) + "\n", "nest"});
    cases.put("huge document", new String[] {"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x, "
        + "annotations: {a: '" + "x".repeat(20_000) + "'}}\nspec: {host: reviews}\n", "maxDocumentSize"});
    cases.put("duplicate keys", new String[] {"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: x}\n"
        + "spec: {host: reviews, host: ratings}\n", "duplicate key"});
    cases.put("unknown kind", new String[] {"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: x}\nspec: {}\n",
        "unknown kind"});
    cases.put("alias bomb", new String[] {bomb.toString(), "aliases"});
    cases.put("not a mapping", new String[] {"- a\n- b\n", "expected a rule document"});
    cases.put("broken yaml", new String[] {"apiVersion: [\n", "invalid YAML"});
    cases.put("binary tag", new String[] {"apiVersion: !!binary aGVsbG8=\nkind: DestinationRule\nmetadata: {name: x}\n"
        + "spec: {host: reviews}\n", "binary"});
    cases.put("java tag", new String[] {"!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL "
        + "[\"http://x\"]]]]\n", "invalid YAML"});
    for (Map.Entry<String, String[]> c : cases.entrySet()) {
      HttpResponse<String> response = send("POST", "/api/v1/rules/apply", ADMIN, "application/yaml", c.getValue()[0]);
      assertThat(response.statusCode()).as(c.getKey() + ": " + response.body()).isEqualTo(400);
      JsonObject error = new JsonObject(response.body()).getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("bad_request");
      assertThat(response.body()).as(c.getKey()).containsIgnoringCase(c.getValue()[1]);
    }
    assertThat(send("POST", "/api/v1/rules/apply", ADMIN, "text/plain", "hello").statusCode()).isEqualTo(415);
    assertThat(send("POST", "/api/v1/rules/apply", ADMIN, "application/json", "{\"kind\":").statusCode()).isEqualTo(400);
    assertThat(ruleCount()).isEqualTo(before);
  }
}
