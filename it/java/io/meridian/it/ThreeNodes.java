package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Three Meridian JVMs clustered on 127.0.0.1 (free ports, one data directory each, the same
 * admin token, a 3 s failure timeout), started, killed and restarted by index 0–2 and asked
 * about their replication over the admin API.
 */
final class ThreeNodes implements AutoCloseable {

  private final Path work;
  private final String token;
  private final String roles;
  private final String name;
  private final int[] hz = new int[3];
  private final int[] admin = new int[3];
  private final MeridianProcess[] nodes = new MeridianProcess[3];

  /** Picks the ports; nothing starts yet. */
  ThreeNodes(Path work, String token, String roles, String namePrefix) throws Exception {
    this.work = work;
    this.token = token;
    this.roles = roles;
    this.name = namePrefix + "-" + Long.toString(System.nanoTime(), 36);
    for (int i = 0; i < 3; i++) {
      hz[i] = MeridianProcess.freePort();
      admin[i] = MeridianProcess.freePort();
    }
  }

  MeridianProcess node(int i) {
    return nodes[i];
  }

  /** Starts node {@code i} (on its data directory, old data included) and waits until it is ready. */
  void start(int i) throws Exception {
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(admin[i], work.resolve("n" + (i + 1)).resolve("data")));
    env.put("MERIDIAN_CLUSTER_PORT", String.valueOf(hz[i]));
    env.put("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2]);
    env.put("MERIDIAN_CLUSTER_NAME", name);
    env.put("MERIDIAN_CLUSTER_HOST", "127.0.0.1");
    env.put("MERIDIAN_CLUSTER_FAILURE_TIMEOUT", "3s");
    env.put("MERIDIAN_ADMIN_TOKEN", token);
    nodes[i] = MeridianProcess.start(work.resolve("n" + (i + 1)), env, admin[i], "--cluster", "--roles", roles);
    nodes[i].awaitReady(Duration.ofSeconds(90));
  }

  /** SIGKILL. */
  void kill(int i) throws InterruptedException {
    nodes[i].process().destroyForcibly();
    nodes[i].waitForExit(Duration.ofSeconds(10));
  }

  /** {@code replication.<role>} of node {@code i}'s status ({@code {}} when it does not answer). */
  JsonObject replication(int i, String role) {
    try {
      return new JsonObject(nodes[i].get("/api/v1/status", token).body()).getJsonObject("replication")
          .getJsonObject(role, new JsonObject());
    } catch (Exception e) {
      return new JsonObject();
    }
  }

  /** How many followers node {@code i}, leading {@code role}, counts in sync. */
  int inSync(int i, String role) {
    JsonArray followers = replication(i, role).getJsonArray("followers", new JsonArray());
    return (int) followers.stream().filter(f -> ((JsonObject) f).getBoolean("inSync")).count();
  }

  Set<String> instanceIds(int i) throws Exception {
    HttpResponse<String> r = nodes[i].get("/api/v1/instances", token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Set<String> ids = new HashSet<>();
    new JsonObject(r.body()).getJsonArray("instances").forEach(o -> ids.add(((JsonObject) o).getString("id")));
    return ids;
  }

  /** Creates an API token through node {@code i}; returns its secret. */
  String createToken(int i, String tokenName, String role) throws Exception {
    HttpResponse<String> r = nodes[i].send("POST", "/api/v1/tokens", token,
        new JsonObject().put("name", tokenName).put("role", role).encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new JsonObject(r.body()).getString("token");
  }

  /** Prints what the nodes logged about leadership and replication (for a failure's diagnosis). */
  void printReplicationLog() {
    for (int i = 0; i < 3; i++) {
      if (nodes[i] != null) {
        int n = i + 1;
        nodes[i].stdout().lines().filter(l -> l.contains("leading") || l.contains("following") || l.contains("sync")
            || l.contains("taking over") || l.contains("WARN") || l.contains("ERROR"))
            .forEach(l -> System.out.println("node " + n + ": " + l));
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (MeridianProcess node : nodes) {
      if (node != null) {
        node.close();
      }
    }
  }

  static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      Thread.sleep(200);
    }
  }
}
