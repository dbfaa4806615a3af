package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies durability across a whole-cluster restart with three real JVMs on 127.0.0.1: node 3
 * is killed, nodes 1 and 2 go on accepting registrations, rules and tokens (node 3's store misses
 * them), then both are killed too — a power cut. The cluster restarts with the stale node 3
 * first, so it leads alone at first; when node 1 joins with more, node 3 takes node 1's state
 * before leading on. Afterwards every node holds every acknowledged registration, rule and token
 * (and none of the revoked ones), and writes go on.
 */
class ClusterRestartIT {

  static final String TOKEN = "cluster-restart-it-admin-token-0123456789";

  @TempDir
  Path work;

  private ThreeNodes cluster;

  @Test
  void aFullRestartStartingWithAStaleMemberLosesNothingAcknowledged() throws Exception {
    cluster = new ThreeNodes(work, TOKEN, "registry,rules", "restart");
    try (ThreeNodes c = cluster) {
      for (int i = 0; i < 3; i++) {
        c.start(i);
      }
      until("node 1 leads with both followers in sync", () -> c.inSync(0, "registry") == 2 && c.inSync(0, "rules") == 2
          && c.inSync(0, "tokens") == 2);

      Set<String> acknowledged = new HashSet<>();
      for (int i = 0; i < 50; i++) {
        register(1, "early-" + i, i);
        acknowledged.add("early-" + i);
      }
      String revoked = c.createToken(1, "short-lived", "viewer");
      applyRule(1, "before", "restart-1", 2);

      // node 3 dies; nodes 1 and 2 (a quorum of the three) go on without it
      c.kill(2);
      until("node 1 has node 2 alone in sync", () -> c.inSync(0, "registry") == 1 && c.inSync(0, "tokens") == 1);
      for (int i = 0; i < 50; i++) {
        register(i % 2, "late-" + i, 100 + i);
        acknowledged.add("late-" + i);
      }
      assertThat(c.node(0).send("DELETE", "/api/v1/instances/early-0", TOKEN, null).statusCode()).isEqualTo(204);
      acknowledged.remove("early-0");
      String kept = c.createToken(0, "kept", "operator");
      assertThat(c.node(1).send("DELETE", "/api/v1/tokens/short-lived", TOKEN, null).statusCode()).isEqualTo(204);
      applyRule(0, "after", "restart-2", 3);

      // power cut
      c.kill(0);
      c.kill(1);

      // the stale node first: it leads alone (no quorum: it takes no change) ...
      c.start(2);
      assertThat(c.instanceIds(2)).doesNotContain("late-0");
      // ... until node 1 joins with more: node 3 takes its state, then leads on
      c.start(0);
      c.start(1);
      until("node 3 leads with both followers in sync", () -> c.inSync(2, "registry") == 2 && c.inSync(2, "rules") == 2
          && c.inSync(2, "tokens") == 2);

      for (int n = 0; n < 3; n++) {
        String node = "node " + (n + 1);
        MeridianProcess p = c.node(n);
        assertThat(c.instanceIds(n)).as(node).isEqualTo(acknowledged);
        assertThat(p.get("/api/v1/rules/VirtualService/default/after", TOKEN).statusCode()).as(node).isEqualTo(200);
        assertThat(p.get("/api/v1/rules/VirtualService/default/before", TOKEN).statusCode()).as(node).isEqualTo(200);
        assertThat(p.get("/api/v1/status", kept).statusCode()).as(node + ", token made while node 3 was down")
            .isEqualTo(200);
        assertThat(p.get("/api/v1/status", revoked).statusCode()).as(node + ", revoked token").isEqualTo(401);
      }
      // and writes go on, through any node
      register(1, "after-restart", 200);
      acknowledged.add("after-restart");
      assertThat(c.instanceIds(0)).isEqualTo(acknowledged);
    } catch (AssertionError | Exception e) {
      cluster.printReplicationLog();
      throw e;
    }
  }

  private void register(int node, String id, int n) throws Exception {
    HttpResponse<String> r = cluster.node(node).send("POST", "/api/v1/instances", TOKEN, """
        {"id": "%s", "endpoints": [{"address": "10.1.%d.%d"}],
         "services": [{"name": "restart-%d", "version": "v1", "port": 8080, "protocol": "http"}]}"""
        .formatted(id, n / 250, n % 250 + 1, n % 7));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  private void applyRule(int node, String ruleName, String host, int attempts) throws Exception {
    GatewayHttp.applyRules(cluster.node(node), TOKEN, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: default}
        spec:
          hosts: [%s]
          http:
            - route: [{destination: {host: %s}}]
              retries: {attempts: %d}
        """.formatted(ruleName, host, host, attempts));
  }

  private static void until(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    ThreeNodes.until(what, Duration.ofSeconds(60), condition);
  }
}
