package io.meridian.rules;

import static io.meridian.testsupport.Wait.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.cluster.LocalMembership;
import io.meridian.common.cluster.Member;
import io.meridian.common.config.RoleNames;
import io.meridian.common.config.RulesOptions;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.meridian.common.verticle.RoleContext;
import io.meridian.rules.impl.RulesVerticle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the rules' replication with three rules replicas in one Vert.x (own stores and node
 * ids, all serving {@code meridian.rules}): every change, from whichever replica it reaches, is
 * in every in-sync replica's store — rules and their history — when acknowledged; the next
 * oldest member leads when the leader goes, with history and rollback intact; a member coming
 * back with a stale store catches up.
 */
class RulesReplicationTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private RulesClient client;
  private final Map<String, Replica> nodes = new LinkedHashMap<>();
  private final List<Member> members = new ArrayList<>();

  private record Replica(EmbeddedStore store, LocalMembership view, RulesVerticle verticle, String deployment) {
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    client = new RulesClient(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (String id : List.copyOf(nodes.keySet())) {
      stop(id);
    }
    RulesBusTest.await(vertx.close());
  }

  @Test
  void rulesAndHistoryAreOnEveryReplicaAndSurviveTheLeadersDeparture() throws Exception {
    start("n1");
    start("n2");
    start("n3");
    until("n2 and n3 in sync", () -> inSync("n1") == 2);
    RulesBusTest.await(client.apply(RulesBusTest.fixture("istio/destination-rule-all.yaml"), "default", false, RulesBusTest.OPS));
    RulesBusTest.await(client.apply(RulesBusTest.fixture("istio/virtual-service-all-v1.yaml"), "default", false, RulesBusTest.OPS));
    RulesBusTest.await(client.apply(RulesBusTest.fixture("istio/virtual-service-reviews-90-10.yaml"), "default", false,
        RulesBusTest.OPS));
    Map<String, String> leaderRules = stored("n1", "rules.current");
    Map<String, String> leaderHistory = stored("n1", "rules.history");
    assertThat(leaderRules).isNotEmpty();
    for (String id : List.of("n2", "n3")) {
      assertThat(stored(id, "rules.current")).isEqualTo(leaderRules);
      assertThat(stored(id, "rules.history")).isEqualTo(leaderHistory);
    }

    stop("n1");
    until("n2 leads", () -> "leader".equals(nodes.get("n2").verticle().replication().getString("mode")));
    until("n3 in sync with n2", () -> inSync("n2") == 1);
    // history came along: rolling reviews back to its first revision works on the new leader
    JsonObject rolledBack = RulesBusTest.await(client.rollback(RuleKind.VIRTUAL_SERVICE, "default", "reviews", 1,
        RulesBusTest.OPS));
    assertThat(rolledBack.getJsonArray("results").getJsonObject(0).getString("action")).isEqualTo("updated");
    JsonObject history = RulesBusTest.await(client.history(RuleKind.VIRTUAL_SERVICE, "default", "reviews"));
    assertThat(history.getJsonArray("revisions")).hasSize(3);
    assertThat(stored("n3", "rules.current")).isEqualTo(stored("n2", "rules.current"));

    start("n1");
    until("n1 in sync with n2", () -> inSync("n2") == 2);
    assertThat(stored("n1", "rules.current")).isEqualTo(stored("n2", "rules.current"));
    assertThat(stored("n1", "rules.history")).isEqualTo(stored("n2", "rules.history"));
  }

  // ---------------------------------------------------------------------------------------

  private void start(String id) throws Exception {
    members.add(new Member(id, Set.of(RoleNames.RULES), id));
    LocalMembership view = new LocalMembership(id, members, 1);
    EmbeddedStore store = EmbeddedStore.open(dir.resolve(id), null);
    RulesVerticle verticle = new RulesVerticle(new RoleContext(id, store, t -> null, new SimpleMeterRegistry(), view));
    Replica replica = new Replica(store, view, verticle, null);
    nodes.put(id, replica);
    publish();
    String deployment = RulesBusTest.await(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(new JsonObject()
        .put("rules", new RulesOptions(256 * 1024, 500, 5, 1000).toJson()))));
    nodes.put(id, new Replica(store, view, verticle, deployment));
  }

  private void stop(String id) throws Exception {
    Replica node = nodes.remove(id);
    members.removeIf(m -> m.id().equals(id));
    RulesBusTest.await(vertx.undeploy(node.deployment()));
    node.store().close();
    publish();
  }

  private void publish() {
    for (Replica node : nodes.values()) {
      node.view().set(members);
    }
  }

  private int inSync(String leader) {
    JsonArray followers = nodes.get(leader).verticle().replication().getJsonArray("followers", new JsonArray());
    return (int) followers.stream().filter(f -> ((JsonObject) f).getBoolean("inSync")).count();
  }

  private Map<String, String> stored(String id, String map) {
    Map<String, String> content = new TreeMap<>();
    nodes.get(id).store().list(map, "").forEach(e -> content.put(e.getKey(), e.getValue()));
    return content;
  }
}
