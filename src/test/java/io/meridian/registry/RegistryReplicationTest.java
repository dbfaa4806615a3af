package io.meridian.registry;

import static io.meridian.registry.RegistryTestNode.await;
import static io.meridian.testsupport.Wait.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.cluster.LocalMembership;
import io.meridian.common.cluster.Member;
import io.meridian.common.config.RegistryOptions;
import io.meridian.common.config.RoleNames;
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
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the registry's replication with three replicas in one Vert.x (each with its own store
 * and node id, all serving {@code meridian.registry} as in a cluster, so requests land on any of
 * them): writes reach the leader from any replica and end up in every replica's store; after the
 * leader goes, the next oldest member leads with nothing acknowledged lost; a member coming back
 * with a stale store catches up; a whole-cluster restart that starts with a stale member ends with
 * the most advanced member's state; a replica without a quorum refuses changes. (That an
 * acknowledgement waits for the in-sync followers is {@code ReplicaTest}'s: in one Vert.x the
 * followers are too quick for this test to tell.)
 */
class RegistryReplicationTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private final Map<String, RegistryTestNode> nodes = new LinkedHashMap<>();
  private final Map<String, LocalMembership> views = new LinkedHashMap<>();
  private final List<Member> members = new ArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (RegistryTestNode node : nodes.values()) {
      node.close();
    }
    await(vertx.close());
  }

  @Test
  void everyAcknowledgedWriteSurvivesTheLeadersDepartureAndAStaleMemberCatchesUp() throws Exception {
    start("n1");
    start("n2");
    start("n3");
    RegistryTestNode any = nodes.get("n3");
    until("n2 and n3 in sync with n1", () -> inSync("n1", 2));
    assertThat(nodes.get("n1").replication().getString("mode")).isEqualTo("leader");
    assertThat(nodes.get("n2").replication().getString("mode")).isEqualTo("follower");

    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < 150; i++) {
      any.register(instance("a-" + i, "10.0.0." + (i % 250 + 1)));
      expected.add("a-" + i);
      // acknowledged: durable on every in-sync replica
      if (i % 50 == 49) {
        for (RegistryTestNode node : nodes.values()) {
          assertThat(node.storedIds()).containsAll(expected);
        }
      }
    }
    await(any.client.deregister("a-0", RegistryTestNode.OPERATOR));
    expected.remove("a-0");
    for (RegistryTestNode node : nodes.values()) {
      assertThat(node.storedIds()).isEqualTo(expected);
    }
    long index = nodes.get("n1").replication().getLong("index");
    assertThat(nodes.get("n2").replication().getLong("index")).isEqualTo(index);

    // the leader goes: n2, the oldest left, takes over; writes continue
    stop("n1");
    until("n2 leads", () -> "leader".equals(nodes.get("n2").replication().getString("mode")));
    until("n3 follows n2", () -> inSync("n2", 1));
    assertThat(nodes.get("n2").storedIds()).isEqualTo(expected);
    for (int i = 0; i < 20; i++) {
      nodes.get("n3").register(instance("b-" + i, "10.0.1." + (i + 1)));
      expected.add("b-" + i);
    }
    assertThat(nodes.get("n2").storedIds()).isEqualTo(expected);
    assertThat(nodes.get("n3").storedIds()).isEqualTo(expected);
    JsonObject listed = await(nodes.get("n3").client.instances(null, null, null, null, 0, Duration.ZERO));
    assertThat(listed.getJsonArray("instances")).hasSize(expected.size());

    // n1 comes back with its old store (it misses b-*): it joins as the youngest and catches up
    start("n1");
    until("n1 in sync with n2", () -> inSync("n2", 2));
    assertThat(nodes.get("n1").storedIds()).isEqualTo(expected);
    assertThat(nodes.get("n1").replication().getString("mode")).isEqualTo("follower");
    // and it answers reads with the cluster's state
    until("n1's reads complete", () -> nodes.get("n1").replication().getLong("index")
        .equals(nodes.get("n2").replication().getLong("index")));
  }

  @Test
  void aWholeClusterRestartStartingWithAStaleMemberLosesNothing() throws Exception {
    start("n1");
    start("n2");
    start("n3");
    until("n2 and n3 in sync with n1", () -> inSync("n1", 2));
    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < 30; i++) {
      nodes.get("n2").register(instance("s-" + i, "10.0.0." + (i + 1)));
      expected.add("s-" + i);
    }
    // n3 leaves; n1 (still the leader, same term) and n2 go on; then the whole cluster stops
    stop("n3");
    until("n1 has only n2 as follower", () -> inSync("n1", 1));
    for (int i = 0; i < 20; i++) {
      nodes.get("n1").register(instance("t-" + i, "10.0.1." + (i + 1)));
      expected.add("t-" + i);
    }
    await(nodes.get("n1").client.deregister("s-0", RegistryTestNode.OPERATOR));
    expected.remove("s-0");
    stop("n2");
    stop("n1");

    // the stale member starts first and leads alone; every index jumped ahead at the restart,
    // so only the exact applied index tells that n1 (joining next) holds more
    start("n3");
    until("n3 leads", () -> "leader".equals(nodes.get("n3").replication().getString("mode")));
    assertThat(nodes.get("n3").storedIds()).doesNotContain("t-0");
    start("n1");
    until("n3 took n1's state", () -> nodes.get("n3").storedIds().equals(expected));
    until("n1 in sync with n3", () -> inSync("n3", 1));
    assertThat(nodes.get("n1").storedIds()).isEqualTo(expected);
    start("n2");
    until("n2 in sync with n3", () -> inSync("n3", 2));
    assertThat(nodes.get("n2").storedIds()).isEqualTo(expected);
    JsonObject listed = await(nodes.get("n2").client.instances(null, null, null, null, 0, Duration.ZERO));
    assertThat(listed.getJsonArray("instances")).hasSize(expected.size());
  }

  @Test
  void withoutAQuorumChangesAreRefusedAndReadsGoOn() throws Exception {
    start("n1");
    start("n2");
    until("n2 in sync", () -> inSync("n1", 1));
    nodes.get("n2").register(instance("q-1", "10.0.0.1"));
    // n1 is left alone (n2 and a third configured member gone): 1 of the 2 needed
    stop("n2");
    until("n1 alone", () -> views.get("n1").members().size() == 1);
    try {
      nodes.get("n1").register(instance("q-2", "10.0.0.2"));
      throw new AssertionError("a change without a quorum was accepted");
    } catch (io.meridian.common.error.ApiException e) {
      assertThat(e.status()).isEqualTo(503);
      assertThat(e.getMessage()).contains("quorum");
    }
    JsonObject listed = await(nodes.get("n1").client.instances(null, null, null, null, 0, Duration.ZERO));
    assertThat(listed.getJsonArray("instances")).hasSize(1);
  }

  // ---------------------------------------------------------------------------------------

  private void start(String id) throws Exception {
    members.add(new Member(id, Set.of(RoleNames.REGISTRY), id));
    LocalMembership view = new LocalMembership(id, members, 2);
    views.put(id, view);
    publish();
    nodes.put(id, RegistryTestNode.start(vertx, dir.resolve(id), RegistryOptions.fromJson(new JsonObject()), id, view));
  }

  private void stop(String id) throws Exception {
    nodes.remove(id).close();
    views.remove(id);
    members.removeIf(m -> m.id().equals(id));
    publish();
  }

  /** Every member's view gets the current list (as a membership change reaches every member). */
  private void publish() {
    for (LocalMembership view : views.values()) {
      view.set(members);
    }
  }

  private boolean inSync(String leader, int followers) {
    JsonArray list = nodes.get(leader).replication().getJsonArray("followers", new JsonArray());
    return list.stream().filter(f -> ((JsonObject) f).getBoolean("inSync")).count() == followers;
  }

  private static String instance(String id, String address) {
    return """
        {"id": "%s", "endpoints": [{"plane": "default", "address": "%s"}],
         "services": [{"name": "orders", "version": "v1", "port": 8080, "protocol": "http"}]}""".formatted(id, address);
  }
}
