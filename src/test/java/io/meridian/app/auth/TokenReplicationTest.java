package io.meridian.app.auth;

import static io.meridian.testsupport.Wait.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.cluster.LocalMembership;
import io.meridian.common.cluster.Member;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies that API tokens are the same on every member: three token registries in one Vert.x,
 * each with its own store and admin token, none running any role (tokens replicate whatever a
 * member's roles). A token created through any member works on every member when the creation
 * is acknowledged, and stops working everywhere when it is revoked; names stay unique across
 * the cluster; the next member leads when the leader goes; a member returning with a stale store
 * catches up, revocations included; without a quorum nothing is created.
 */
class TokenReplicationTest {

  private static final Principal BY = new Principal("admin", Role.ADMIN);

  @TempDir
  Path dir;

  private Vertx vertx;
  private final Map<String, Peer> nodes = new LinkedHashMap<>();
  private final List<Member> members = new ArrayList<>();

  /** One member: its store, its tokens, the context its admin server would use. */
  private record Peer(String id, EmbeddedStore store, TokenRegistry tokens, LocalMembership view, Context context) {

    <T> T on(Callable<Future<T>> work) throws Exception {
      Promise<T> promise = Promise.promise();
      context.runOnContext(v -> {
        try {
          work.call().onComplete(promise);
        } catch (Exception e) {
          promise.fail(e);
        }
      });
      return await(promise.future());
    }

    JsonObject create(String name, String role) throws Exception {
      return on(() -> tokens.create(name, role, BY));
    }

    JsonObject replication() throws Exception {
      return on(() -> Future.succeededFuture(tokens.replication()));
    }

    List<String> names() throws Exception {
      JsonArray list = on(() -> Future.succeededFuture(tokens.list()));
      return list.stream().map(o -> ((JsonObject) o).getString("name")).filter(n -> !n.equals("admin")).sorted().toList();
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (String id : List.copyOf(nodes.keySet())) {
      stop(id);
    }
    await(vertx.close());
  }

  @Test
  void aTokenCreatedOnAnyMemberWorksOnEveryMemberUntilRevoked() throws Exception {
    start("n1");
    start("n2");
    start("n3");
    until("n2 and n3 in sync with n1", () -> inSync("n1") == 2);

    // created through a follower: the secret is shown there once; every member verifies it
    JsonObject created = nodes.get("n3").create("ci-agent", "agent");
    String secret = created.getString("token");
    for (Peer node : nodes.values()) {
      assertThat(node.tokens().verify(secret)).as(node.id()).isEqualTo(new Principal("ci-agent", Role.AGENT));
      assertThat(node.names()).as(node.id()).containsExactly("ci-agent");
    }
    // the secret itself never reached another member's store, only its hash
    assertThat(nodes.get("n1").store().get(TokenRegistry.MAP, "ci-agent")).doesNotContain(secret)
        .contains(TokenRegistry.sha256(secret));
    // each member keeps its own admin token
    assertThat(nodes.get("n1").tokens().verify("admin-n2")).isNull();
    assertThat(nodes.get("n2").tokens().verify("admin-n2")).isEqualTo(new Principal("admin", Role.ADMIN));

    // names are unique across the cluster, whichever member is asked
    assertThatThrownBy(() -> nodes.get("n2").create("ci-agent", "viewer"))
        .cause().hasFieldOrPropertyWithValue("status", 409);

    // revoked through another follower: refused everywhere
    nodes.get("n2").on(() -> nodes.get("n2").tokens().revoke("ci-agent"));
    for (Peer node : nodes.values()) {
      assertThat(node.tokens().verify(secret)).as(node.id()).isNull();
    }
    assertThatThrownBy(() -> nodes.get("n3").on(() -> nodes.get("n3").tokens().revoke("ci-agent")))
        .cause().hasFieldOrPropertyWithValue("status", 404);

    String viewer = nodes.get("n1").create("dashboard", "viewer").getString("token");

    // the leader goes: n2 leads, tokens keep working and can still be created
    stop("n1");
    until("n2 leads", () -> "leader".equals(nodes.get("n2").replication().getString("mode")));
    String operator = nodes.get("n3").create("deployer", "operator").getString("token");
    assertThat(nodes.get("n2").tokens().verify(operator)).isEqualTo(new Principal("deployer", Role.OPERATOR));
    assertThat(nodes.get("n3").tokens().verify(viewer)).isEqualTo(new Principal("dashboard", Role.VIEWER));
    nodes.get("n2").on(() -> nodes.get("n2").tokens().revoke("dashboard"));

    // n1 returns with its old store (dashboard still there, deployer missing) and catches up
    start("n1");
    until("n1 in sync with n2", () -> inSync("n2") == 2);
    assertThat(nodes.get("n1").names()).containsExactly("deployer");
    assertThat(nodes.get("n1").tokens().verify(viewer)).isNull();
    assertThat(nodes.get("n1").tokens().verify(operator)).isEqualTo(new Principal("deployer", Role.OPERATOR));
  }

  @Test
  void withoutAQuorumNoTokenIsCreatedAndExistingOnesKeepWorking() throws Exception {
    start("n1");
    start("n2");
    until("n2 in sync", () -> inSync("n1") == 1);
    String secret = nodes.get("n2").create("ops", "operator").getString("token");
    stop("n2");
    until("n1 alone", () -> nodes.get("n1").view().members().size() == 1);
    assertThatThrownBy(() -> nodes.get("n1").create("late", "viewer"))
        .cause().hasFieldOrPropertyWithValue("status", 503).hasMessageContaining("quorum");
    assertThat(nodes.get("n1").names()).containsExactly("ops");
    assertThat(nodes.get("n1").tokens().verify(secret)).isEqualTo(new Principal("ops", Role.OPERATOR));
  }

  // ---------------------------------------------------------------------------------------

  /** Starts a member running no role at all: the tokens replicate anyway (Member.EVERY_MEMBER). */
  private void start(String id) throws Exception {
    members.add(new Member(id, Set.of(), id));
    LocalMembership view = new LocalMembership(id, members, 2);
    EmbeddedStore store = EmbeddedStore.open(dir.resolve(id), null);
    TokenRegistry tokens = TokenRegistry.load(store, "admin-" + id);
    Context context = vertx.getOrCreateContext();
    Peer node = new Peer(id, store, tokens, view, context);
    nodes.put(id, node);
    publish();
    node.on(() -> tokens.start(vertx, view));
    until(id + " settled", tokens::settled);
  }

  private void stop(String id) throws Exception {
    Peer node = nodes.remove(id);
    members.removeIf(m -> m.id().equals(id));
    node.on(() -> node.tokens().stop());
    node.store().close();
    publish();
  }

  private void publish() {
    for (Peer node : nodes.values()) {
      node.view().set(members);
    }
  }

  private int inSync(String leader) throws Exception {
    return (int) nodes.get(leader).replication().getJsonArray("followers", new JsonArray()).stream()
        .filter(f -> ((JsonObject) f).getBoolean("inSync")).count();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
  }
}
