package io.meridian.common.cluster;

import static io.meridian.testsupport.Wait.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.error.ApiException;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies {@link Replica}'s protocol with replicas of a small key/value state in one Vert.x,
 * whose followers the test can hold back: a write completes only when every in-sync follower
 * has made it durable; a follower that does not answer drops out of sync (the write completes)
 * and catches up again; a new leader that is behind first installs the most advanced member's
 * state; a stale member that leads alone hands over to a more advanced one that joins; the
 * leader's terms only grow and survive restarts.
 */
class ReplicaTest {

  static final String ROLE = "kv";
  static final Replica.Options FAST = new Replica.Options(Duration.ofMillis(400), Duration.ofMillis(50));

  @TempDir
  Path dir;

  private Vertx vertx;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final List<Member> members = new ArrayList<>();

  /** A replica of a key/value map; {@code hold} delays its follower applies until released. */
  final class Node implements Replica.State {
    final String id;
    final EmbeddedStore store;
    final LocalMembership view;
    final Map<String, String> data = new LinkedHashMap<>();
    long index;
    volatile Promise<Void> hold;
    /** fails every apply and install without changing anything (a member cut off from the leader) */
    volatile boolean broken;
    /** fails installs (a member that cannot catch up yet) */
    volatile boolean refuseInstall;
    Replica replica;
    Context context;
    int leadingCalls;

    Node(String id, EmbeddedStore store, LocalMembership view) {
      this.id = id;
      this.store = store;
      this.view = view;
    }

    @Override
    public long index() {
      return index;
    }

    @Override
    public JsonObject snapshot() {
      JsonObject json = new JsonObject();
      data.forEach(json::put);
      return json;
    }

    @Override
    public Future<Void> install(long at, JsonObject snapshot) {
      if (broken || refuseInstall) {
        return Future.failedFuture("broken");
      }
      data.clear();
      snapshot.forEach(e -> data.put(e.getKey(), (String) e.getValue()));
      index = at;
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> apply(long at, JsonObject entry) {
      if (broken) {
        return Future.failedFuture("broken");
      }
      data.put(entry.getString("key"), entry.getString("value"));
      index = at;
      Promise<Void> gate = hold;
      return gate == null ? Future.succeededFuture() : gate.future();
    }

    @Override
    public void leading(boolean leading) {
      leadingCalls++;
    }

    /** Makes a change as the leader (on its context) and returns the replication's outcome. */
    CompletableFuture<Void> put(String key, String value) throws Exception {
      return on(() -> {
        ApiException refused = replica.refusal();
        if (refused != null) {
          return Future.<Void>failedFuture(refused);
        }
        index++;
        data.put(key, value);
        return replica.replicate(index, new JsonObject().put("key", key).put("value", value));
      }).toCompletionStage().toCompletableFuture();
    }

    <T> Future<T> on(Callable<Future<T>> work) {
      Promise<T> promise = Promise.promise();
      context.runOnContext(v -> {
        try {
          work.call().onComplete(promise);
        } catch (Exception e) {
          promise.fail(e);
        }
      });
      return promise.future();
    }

    JsonObject describe() throws Exception {
      return await(on(() -> Future.succeededFuture(replica.describe())));
    }

    Map<String, String> dataNow() throws Exception {
      return await(on(() -> Future.succeededFuture(Map.copyOf(data))));
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Node node : List.copyOf(nodes.values())) {
      stop(node.id);
    }
    await(vertx.close());
  }

  @Test
  void aWriteCompletesOnlyWhenEveryInSyncFollowerHasItDurable() throws Exception {
    Node n1 = start("n1");
    Node n2 = start("n2");
    Node n3 = start("n3");
    until("both followers in sync", () -> inSync(n1) == 2);
    n1.put("a", "1").get(5, TimeUnit.SECONDS);

    n2.hold = Promise.promise();
    CompletableFuture<Void> write = n1.put("b", "2");
    Thread.sleep(150);
    assertThat(write).as("completed before n2 made it durable").isNotDone();
    assertThat(n3.dataNow()).containsEntry("b", "2");
    Promise<Void> release = n2.hold;
    n2.hold = null;
    n2.context.runOnContext(v -> release.complete());
    write.get(5, TimeUnit.SECONDS);
    assertThat(n2.dataNow()).containsEntry("a", "1").containsEntry("b", "2");
    assertThat(inSync(n1)).isEqualTo(2);
  }

  @Test
  void aFollowerThatDoesNotAnswerDropsOutOfSyncAndCatchesUpAgain() throws Exception {
    Node n1 = start("n1");
    Node n2 = start("n2");
    until("n2 in sync", () -> inSync(n1) == 1);
    n2.hold = Promise.promise(); // never completed: n2 never acknowledges
    n2.refuseInstall = true; // and cannot catch up for now
    n1.put("a", "1").get(5, TimeUnit.SECONDS); // completes after the ack timeout, without n2
    assertThat(inSync(n1)).isZero();
    n1.put("b", "2").get(1, TimeUnit.SECONDS); // no longer waits for n2
    n2.hold = null;
    n2.refuseInstall = false;
    // the leader told n2 to sync again: it installs the leader's state and is back in sync
    until("n2 back in sync", () -> inSync(n1) == 1);
    assertThat(n2.dataNow()).containsEntry("a", "1").containsEntry("b", "2");
  }

  @Test
  void aNewLeaderThatIsBehindFirstInstallsTheMostAdvancedState() throws Exception {
    Node n1 = start("n1");
    Node n2 = start("n2");
    Node n3 = start("n3");
    until("both followers in sync", () -> inSync(n1) == 2);
    n2.broken = true; // n2 falls behind
    for (int i = 0; i < 5; i++) {
      n1.put("k" + i, "v" + i).get(5, TimeUnit.SECONDS);
    }
    assertThat(inSync(n1)).isEqualTo(1);
    assertThat(n2.dataNow()).doesNotContainKey("k4");
    stop("n1"); // n2, the oldest left, leads; n3 holds what n2 lacks
    n2.broken = false;
    until("n2 leads", () -> n2.describe().getString("mode").equals("leader"));
    for (int i = 0; i < 5; i++) {
      assertThat(n2.dataNow()).containsEntry("k" + i, "v" + i);
    }
    assertThat(n2.describe().getLong("term")).isGreaterThan(1L);
    until("n3 follows n2", () -> inSync(n2) == 1);
    n2.put("after", "x").get(5, TimeUnit.SECONDS);
    assertThat(n3.dataNow()).containsEntry("after", "x").containsEntry("k4", "v4");
  }

  @Test
  void aStaleMemberLeadingAloneHandsOverToAMoreAdvancedOneThatJoins() throws Exception {
    Node n1 = start("n1");
    Node n2 = start("n2");
    until("n2 in sync", () -> inSync(n1) == 1);
    n1.put("old", "1").get(5, TimeUnit.SECONDS);
    stop("n1");
    until("n2 leads", () -> n2.describe().getString("mode").equals("leader"));
    n2.put("new", "2").get(5, TimeUnit.SECONDS); // n2 alone has quorum 1 in this test
    stop("n2");
    // the whole cluster restarts, the stale n1 first: its persisted term is older than n2's
    Node back1 = start("n1", Map.of("old", "1"), 1);
    until("n1 leads alone", () -> back1.describe().getString("mode").equals("leader"));
    assertThat(back1.describe().getLong("term")).as("a member alone keeps its term").isEqualTo(1L);
    Node back2 = start("n2", Map.of("old", "1", "new", "2"), 2);
    until("n1 took n2's state", () -> back1.dataNow().containsKey("new") && "leader".equals(back1.describe().getString("mode")));
    until("n2 follows n1", () -> inSync(back1) == 1);
    assertThat(back1.describe().getLong("term")).isEqualTo(2L);
    back1.put("later", "3").get(5, TimeUnit.SECONDS);
    assertThat(back2.dataNow()).containsEntry("new", "2").containsEntry("later", "3");
  }

  @Test
  void aLeaderCutOffFromItsFollowersAcknowledgesNothing() throws Exception {
    Node n1 = start("n1");
    Node n2 = start("n2");
    Node n3 = start("n3");
    until("both followers in sync", () -> inSync(n1) == 2);
    n1.put("a", "1").get(5, TimeUnit.SECONDS);
    // n2 and n3 lose n1 and go on without it; n1's own member list has not caught up yet
    List<Member> withoutN1 = members.stream().filter(m -> !m.id().equals("n1")).toList();
    n2.view.set(withoutN1);
    n3.view.set(withoutN1);
    until("n2 leads with n3 in sync", () -> inSync(n2) == 1);
    assertThat(n1.describe().getString("mode")).isEqualTo("leader");
    // n1 still takes the change, but its in-sync followers refuse it: not acknowledged
    assertThatThrownBy(() -> n1.put("zombie", "x").get(5, TimeUnit.SECONDS))
        .cause().isInstanceOf(ApiException.class).hasFieldOrPropertyWithValue("status", 503)
        .hasMessageContaining("follows another leader");
    // and it takes nothing more (not even a change that would change nothing) while it is unsure
    assertThat(n1.describe().getString("mode")).isEqualTo("deposed");
    assertThatThrownBy(() -> n1.put("again", "y").get(5, TimeUnit.SECONDS))
        .cause().isInstanceOf(ApiException.class).hasMessageContaining("may no longer lead");
    n2.put("b", "2").get(5, TimeUnit.SECONDS);
    // n1 learns the new list (it is now the youngest) and takes n2's state
    List<Member> n1Youngest = new ArrayList<>(withoutN1);
    n1Youngest.add(members.get(0));
    n1.view.set(n1Youngest);
    n2.view.set(n1Youngest);
    n3.view.set(n1Youngest);
    until("n1 follows n2 in sync", () -> inSync(n2) == 2);
    assertThat(n1.dataNow()).containsEntry("a", "1").containsEntry("b", "2").doesNotContainKey("zombie");
    assertThat(n1.describe().getString("mode")).isEqualTo("follower");
  }

  @Test
  void aChangeIsNotAcknowledgedWhenTheLeadershipMovesWhileItReplicates() throws Exception {
    Node n1 = start("n1");
    Node n2 = start("n2");
    until("n2 in sync", () -> inSync(n1) == 1);
    n2.hold = Promise.promise();
    CompletableFuture<Void> write = n1.put("late", "x");
    Thread.sleep(100);
    // n1's list changes before n2 has acknowledged: an older member appeared (n0 leads now)
    List<Member> withOlder = new ArrayList<>();
    withOlder.add(new Member("n0", Set.of(ROLE), "n0"));
    withOlder.addAll(members);
    n1.view.set(withOlder);
    Promise<Void> release = n2.hold;
    n2.hold = null;
    n2.context.runOnContext(v -> release.complete());
    assertThatThrownBy(() -> write.get(5, TimeUnit.SECONDS))
        .cause().isInstanceOf(ApiException.class).hasFieldOrPropertyWithValue("status", 503)
        .hasMessageContaining("not acknowledged");
  }

  // ---------------------------------------------------------------------------------------

  private Node start(String id) throws Exception {
    return start(id, Map.of(), 0);
  }

  /** Starts a replica whose state (from its "store") is {@code data} at {@code index}. */
  private Node start(String id, Map<String, String> data, long index) throws Exception {
    members.add(new Member(id, Set.of(ROLE), id));
    LocalMembership view = new LocalMembership(id, members, 1);
    EmbeddedStore store = EmbeddedStore.open(dir.resolve(id), null);
    Node node = new Node(id, store, view);
    node.data.putAll(data);
    node.index = index;
    nodes.put(id, node);
    publish();
    CompletableFuture<Context> started = new CompletableFuture<>();
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      node.context = Vertx.currentContext();
      node.replica = new Replica(vertx, store, ROLE, view, node, FAST);
      node.replica.start((action, body, by) -> Future.failedFuture("no writes here")).onComplete(ar -> started.complete(node.context));
    });
    started.get(5, TimeUnit.SECONDS);
    return node;
  }

  private void stop(String id) throws Exception {
    Node node = nodes.remove(id);
    members.removeIf(m -> m.id().equals(id));
    await(node.on(() -> node.replica.stop()));
    node.store.close();
    publish();
  }

  private void publish() {
    for (Node node : nodes.values()) {
      node.view.set(members);
    }
  }

  private static int inSync(Node leader) throws Exception {
    return (int) leader.describe().getJsonArray("followers", new io.vertx.core.json.JsonArray()).stream()
        .filter(f -> ((JsonObject) f).getBoolean("inSync")).count();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
