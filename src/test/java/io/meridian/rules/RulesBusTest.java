package io.meridian.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.meridian.common.Addresses;
import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.config.RegistryOptions;
import io.meridian.common.config.RulesOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.json.Yaml;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.meridian.common.verticle.RoleContext;
import io.meridian.registry.RegistryClient;
import io.meridian.registry.impl.RegistryVerticle;
import io.meridian.rules.impl.RulesVerticle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the rules' bus contract with the real rules and registry verticles and store. */
class RulesBusTest {

  static final Principal OPS = new Principal("ops", Role.OPERATOR);

  @TempDir
  Path dir;

  Vertx vertx;
  EmbeddedStore store;
  RulesClient rules;
  List<String> deployments = new CopyOnWriteArrayList<>();
  final List<JsonObject> events = new CopyOnWriteArrayList<>();

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception c ? c : e;
    }
  }

  void start(boolean withRegistry) throws Exception {
    vertx = Vertx.vertx();
    store = EmbeddedStore.open(dir, null);
    RoleContext context = new RoleContext("n", store, t -> null, new SimpleMeterRegistry());
    if (withRegistry) {
      deployments.add(await(vertx.deployVerticle(new RegistryVerticle(context), new DeploymentOptions().setConfig(new JsonObject()
          .put("registry", new RegistryOptions(true, List.of(), 65536, 8, 1000).toJson())
          .put("consul", new JsonObject().put("host", "127.0.0.1").put("port", 0))))));
      RegistryClient registry = new RegistryClient(vertx);
      String[][] bookinfo = {{"productpage", "v1"}, {"details", "v1"}, {"details", "v2"}, {"reviews", "v1"}, {"reviews", "v2"},
          {"reviews", "v3"}, {"ratings", "v1"}, {"ratings", "v2"}, {"httpbin", "v1"}};
      for (String[] s : bookinfo) {
        await(registry.register("{\"id\":\"" + s[0] + "-" + s[1] + "\",\"endpoints\":[{\"address\":\"10.0.0.1\"}],"
            + "\"services\":[{\"name\":\"" + s[0] + "\",\"version\":\"" + s[1] + "\",\"port\":9080}]}", OPS));
      }
    }
    deployments.add(await(vertx.deployVerticle(new RulesVerticle(context), new DeploymentOptions().setConfig(new JsonObject()
        .put("rules", new RulesOptions(256 * 1024, 500, 5, 1000).toJson())))));
    rules = new RulesClient(vertx);
    await(vertx.eventBus().<JsonObject>consumer(Addresses.RULES_EVENTS, m -> events.add(m.body())).completion());
    if (withRegistry) {
      // the rules role follows the registry asynchronously: wait until references resolve
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        JsonObject dry = await(rules.apply(fixture("istio/destination-rule-all.yaml"), "default", true, OPS));
        if (dry.getJsonArray("results").getJsonObject(0).getJsonArray("warnings").isEmpty()) {
          break;
        }
        Thread.sleep(50);
      }
    }
  }

  @BeforeEach
  void startBoth() throws Exception {
    start(true);
  }

  @AfterEach
  void stop() throws Exception {
    for (String id : deployments) {
      await(vertx.undeploy(id));
    }
    deployments.clear();
    store.close();
    await(vertx.close());
  }

  static JsonArray fixture(String name) throws Exception {
    JsonArray docs = new JsonArray();
    Yaml.parseDocuments(Files.readString(Path.of("src/test/resources/rules", name)), Yaml.Limits.DEFAULT)
        .forEach(d -> docs.add(d.value()));
    return docs;
  }

  private ApiException applyFails(JsonArray docs) {
    return catchThrowableOfType(ApiException.class, () -> await(rules.apply(docs, "default", false, OPS)));
  }

  @Test
  void anApplyIsAllOrNothing() throws Exception {
    JsonArray docs = fixture("istio/destination-rule-all.yaml");
    docs.getJsonObject(2).getJsonObject("spec").put("hostt", "ratings");
    ApiException e = applyFails(docs);
    assertThat(e.status()).isEqualTo(400);
    JsonArray results = e.details().getJsonArray("results");
    assertThat(results).hasSize(4);
    assertThat(results.getJsonObject(2).getJsonArray("errors").getJsonObject(0).getString("path")).isEqualTo("spec.hostt");
    assertThat(results.getJsonObject(2).getString("name")).isEqualTo("ratings");
    assertThat(await(rules.list(null, null)).getJsonArray("rules")).isEmpty();
    Thread.sleep(100);
    assertThat(events).isEmpty();
  }

  @Test
  void aDryRunValidatesWithoutStoring() throws Exception {
    JsonObject dry = await(rules.apply(fixture("istio/destination-rule-all.yaml"), "default", true, OPS));
    assertThat(dry.getBoolean("dryRun")).isTrue();
    assertThat(dry.getJsonArray("results").stream().map(r -> ((JsonObject) r).getString("action")).toList())
        .containsOnly("created");
    // v2-mysql subsets match no instance: warnings, not errors
    assertThat(dry.getJsonArray("results").getJsonObject(2).getJsonArray("warnings")).hasSize(2);
    assertThat(await(rules.list(null, null)).getJsonArray("rules")).isEmpty();
  }

  @Test
  void changesAreDurableVersionedAndPublishedInOrder() throws Exception {
    await(rules.apply(fixture("istio/destination-rule-all.yaml"), "default", false, OPS));
    JsonObject first = await(rules.apply(fixture("istio/virtual-service-all-v1.yaml"), "default", false, OPS));
    assertThat(first.getJsonArray("results").getJsonObject(1).getString("action")).isEqualTo("created");
    JsonObject again = await(rules.apply(fixture("istio/virtual-service-all-v1.yaml"), "default", false, OPS));
    assertThat(again.getJsonArray("results").stream().map(r -> ((JsonObject) r).getString("action")).toList()).containsOnly("unchanged");
    JsonObject split = await(rules.apply(fixture("istio/virtual-service-reviews-90-10.yaml"), "default", false, OPS));
    assertThat(split.getJsonArray("results").getJsonObject(0).getString("action")).isEqualTo("updated");
    await(rules.delete(RuleKind.VIRTUAL_SERVICE, "default", "details", null, OPS));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (events.size() < 10 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(events).hasSize(10);
    long firstIndex = events.get(0).getLong("index");
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).getLong("index")).isEqualTo(firstIndex + i);
    }
    assertThat(events.get(8).getString("type")).isEqualTo("updated");
    assertThat(events.get(9).getString("type")).isEqualTo("deleted");
    JsonObject caughtUp = await(rules.events(firstIndex + 7));
    assertThat(caughtUp.getJsonArray("events")).hasSize(2);
  }

  @Test
  void staleResourceVersionsAreConflicts() throws Exception {
    JsonObject created = await(rules.apply(fixture("istio/destination-rule-all.yaml"), "default", false, OPS));
    String rv = created.getJsonArray("results").getJsonObject(1).getString("resourceVersion");
    JsonObject reviews = fixture("istio/destination-rule-all.yaml").getJsonObject(1);
    reviews.getJsonObject("metadata").put("resourceVersion", rv);
    reviews.getJsonObject("spec").getJsonArray("subsets").remove(2);
    JsonObject updated = await(rules.put(RuleKind.DESTINATION_RULE, "default", "reviews", reviews, OPS));
    assertThat(updated.getJsonArray("results").getJsonObject(0).getString("action")).isEqualTo("updated");
    ApiException stale = catchThrowableOfType(ApiException.class,
        () -> await(rules.put(RuleKind.DESTINATION_RULE, "default", "reviews", reviews, OPS)));
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.field()).isEqualTo("metadata.resourceVersion");
    ApiException staleDelete = catchThrowableOfType(ApiException.class,
        () -> await(rules.delete(RuleKind.DESTINATION_RULE, "default", "reviews", rv, OPS)));
    assertThat(staleDelete.status()).isEqualTo(409);
  }

  @Test
  void historyKeepsRevisionsAndRollbackRestoresOne() throws Exception {
    await(rules.apply(fixture("istio/destination-rule-all.yaml"), "default", false, OPS));
    await(rules.apply(fixture("istio/virtual-service-all-v1.yaml"), "default", false, OPS));
    await(rules.apply(fixture("istio/virtual-service-reviews-50-v3.yaml"), "default", false, OPS));
    JsonArray revisions = await(rules.history(RuleKind.VIRTUAL_SERVICE, "default", "reviews")).getJsonArray("revisions");
    assertThat(revisions).hasSize(2);
    assertThat(revisions.getJsonObject(0).getString("by")).isEqualTo("ops");
    assertThat(revisions.getJsonObject(1).getJsonObject("document").encode()).contains("\"weight\":50");

    await(rules.rollback(RuleKind.VIRTUAL_SERVICE, "default", "reviews", 1, OPS));
    JsonObject now = await(rules.get(RuleKind.VIRTUAL_SERVICE, "default", "reviews")).getJsonObject("rule");
    assertThat(now.getJsonObject("spec")).isEqualTo(revisions.getJsonObject(0).getJsonObject("document").getJsonObject("spec"));
    assertThat(now.getJsonObject("status").getLong("revision")).isEqualTo(3);
    JsonArray after = await(rules.history(RuleKind.VIRTUAL_SERVICE, "default", "reviews")).getJsonArray("revisions");
    assertThat(after.getJsonObject(2).getString("action")).isEqualTo("rolledback");
    assertThat(catchThrowableOfType(ApiException.class,
        () -> await(rules.rollback(RuleKind.VIRTUAL_SERVICE, "default", "reviews", 99, OPS))).status()).isEqualTo(404);

    // history is bounded (historyPerRule: 5)
    for (int i = 0; i < 6; i++) {
      await(rules.apply(fixture(i % 2 == 0 ? "istio/virtual-service-reviews-90-10.yaml" : "istio/virtual-service-reviews-50-v3.yaml"),
          "default", false, OPS));
    }
    assertThat(await(rules.history(RuleKind.VIRTUAL_SERVICE, "default", "reviews")).getJsonArray("revisions")).hasSize(5);
  }

  @Test
  void rulesAndTheIndexSurviveARestart() throws Exception {
    await(rules.apply(fixture("istio/destination-rule-all.yaml"), "default", false, OPS));
    long index = await(rules.list(null, null)).getLong("index");
    stop();
    start(true);
    JsonObject list = await(rules.list(RuleKind.DESTINATION_RULE, "default"));
    assertThat(list.getJsonArray("rules")).hasSize(4);
    assertThat(list.getLong("index")).isGreaterThanOrEqualTo(index);
  }

  @Test
  void withoutARegistryReferencesAreAWarning() throws Exception {
    stop();
    start(false);
    JsonObject result = await(rules.apply(fixture("istio/destination-rule-all.yaml"), "default", false, OPS));
    assertThat(result.getJsonArray("results").getJsonObject(0).getJsonArray("warnings").getJsonObject(0).getString("message"))
        .contains("registry is unavailable");
  }
}
