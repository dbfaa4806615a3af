package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the rules as a user tries them on the real jar: apply, a typo, history, rollback, export, restart. */
class RulesIT {

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir
  Path work;

  static HttpResponse<String> yaml(MeridianProcess m, String method, String path, String token, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.adminPort() + path))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/yaml").header("Accept", "application/yaml")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void applyATypoHistoryRollbackExportAndRestart() throws Exception {
    int admin = MeridianProcess.freePort();
    Map<String, String> env = MeridianProcess.loopbackEnv(admin, work.resolve("data"));
    String bookinfo = Files.readString(Path.of("src/test/resources/rules/bookinfo-rules.yaml"));
    try (MeridianProcess m = MeridianProcess.start(work, env, admin)) {
      m.awaitReady(Duration.ofSeconds(60));
      String token = Files.readString(work.resolve("data").resolve("admin.token")).trim();
      for (String[] s : new String[][] {{"productpage", "v1"}, {"details", "v1"}, {"reviews", "v1"}, {"reviews", "v2"},
          {"reviews", "v3"}, {"ratings", "v1"}}) {
        m.send("POST", "/api/v1/instances", token, "{\"id\":\"" + s[0] + "-" + s[1] + "\",\"endpoints\":[{\"address\":\"10.0.0.1\"}],"
            + "\"services\":[{\"name\":\"" + s[0] + "\",\"version\":\"" + s[1] + "\",\"port\":9080}]}");
      }
      // the rules role follows the registry asynchronously: wait until references are checked
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (yaml(m, "POST", "/api/v1/rules/apply?dryRun=true", token, bookinfo).body().contains("registry is unavailable")
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }

      HttpResponse<String> applied = yaml(m, "POST", "/api/v1/rules/apply", token, bookinfo);
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      assertThat(new JsonObject(applied.body()).getJsonArray("results")).hasSize(8);

      String typo = bookinfo.replace("        subset: v1\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews",
          "        subst: v1\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews");
      HttpResponse<String> rejected = yaml(m, "POST", "/api/v1/rules/apply", token, typo);
      assertThat(rejected.statusCode()).isEqualTo(400);
      assertThat(new JsonObject(rejected.body()).getJsonObject("error").getString("field"))
          .isEqualTo("spec.http[0].route[0].destination.subst");

      String edited = Files.readString(Path.of("src/test/resources/rules/istio/virtual-service-reviews-90-10.yaml"));
      assertThat(yaml(m, "PUT", "/api/v1/rules/VirtualService/default/reviews", token, edited).statusCode()).isEqualTo(200);
      JsonArray revisions = new JsonObject(m.get("/api/v1/rules/VirtualService/default/reviews/history", token).body())
          .getJsonArray("revisions");
      assertThat(revisions).hasSize(2);
      assertThat(yaml(m, "POST", "/api/v1/rules/VirtualService/default/reviews/rollback?revision=1", token, null).statusCode())
          .isEqualTo(200);
      JsonObject current = new JsonObject(m.get("/api/v1/rules/VirtualService/default/reviews", token).body());
      assertThat(current.getJsonObject("spec")).isEqualTo(revisions.getJsonObject(0).getJsonObject("document").getJsonObject("spec"));

      String export = yaml(m, "GET", "/api/v1/rules/export", token, null).body();
      JsonArray again = new JsonObject(yaml(m, "POST", "/api/v1/rules/apply", token, export).body()).getJsonArray("results");
      assertThat(again.stream().map(r -> ((JsonObject) r).getString("action")).toList()).hasSize(8).containsOnly("unchanged");
      m.process().destroyForcibly();
      m.process().waitFor();
    }
    try (MeridianProcess m = MeridianProcess.start(work, env, admin)) {
      m.awaitReady(Duration.ofSeconds(60));
      String token = Files.readString(work.resolve("data").resolve("admin.token")).trim();
      JsonObject reviews = new JsonObject(m.get("/api/v1/rules/VirtualService/default/reviews", token).body());
      assertThat(reviews.getJsonObject("status").getLong("revision")).isEqualTo(3);
    }
  }
}
