package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies clustered mode's promise with three real JVMs on 127.0.0.1, every one running the
 * registry, rules, xDS, gateway and telemetry roles: 1,000 instances and rules go in through node 1 (the
 * leader); node 1 is killed with SIGKILL; nodes 2 and 3 go on answering registry queries with
 * every acknowledged registration and rule, their gateways go on serving traffic (no error
 * later than 5 s after the kill), node 2 takes the lead and accepts writes; node 1 restarts on
 * its old data, rejoins as a follower and catches up with what it missed; a registry change made
 * on one node reaches the gateway of another; API tokens created on any node work on every node,
 * across the failover; scraping runs on exactly one node, the telemetry leader, which every
 * node's telemetry API answers for, and moves with the leadership.
 */
class ClusterFailoverIT {

  static final String TOKEN = "cluster-it-admin-token-0123456789";
  static final int INSTANCES = 1000;

  @TempDir
  Path work;

  private ThreeNodes cluster;

  @Test
  void killingTheLeaderLosesNothingAcknowledgedAndTrafficKeepsFlowing() throws Exception {
    cluster = new ThreeNodes(work, TOKEN, "registry,rules,xds,gateway,telemetry", "failover");
    List<AutoCloseable> closing = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      for (int i = 0; i < 3; i++) {
        cluster.start(i); // in order: node 1 is the oldest member, the leader
      }
      ThreeNodes.until("node 1 leads the registry and the rules with both followers in sync", Duration.ofSeconds(30),
          () -> cluster.inSync(0, "registry") == 2 && cluster.inSync(0, "rules") == 2);

      // backends for gateway traffic, and 1,000 registrations, all through node 1
      HttpBackend v1 = HttpBackend.start("web-v1", "v1");
      closing.add(v1);
      HttpBackend v2 = HttpBackend.start("web-v2", "v2");
      closing.add(v2);
      GatewayHttp.register(cluster.node(0), TOKEN, GatewayHttp.instance("web-v1", "default", "web", "v1", v1.port()));
      GatewayHttp.register(cluster.node(0), TOKEN, GatewayHttp.instance("web-v2", "default", "web", "v2", v2.port()));
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      List<Future<?>> registering = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int slice = t;
        registering.add(pool.submit(() -> {
          for (int i = slice; i < INSTANCES; i += 4) {
            String id = "bulk-" + i;
            HttpResponse<String> r = cluster.node(0).send("POST", "/api/v1/instances", TOKEN, """
                {"id": "%s", "endpoints": [{"address": "10.%d.%d.%d"}],
                 "services": [{"name": "bulk-%d", "version": "v1", "port": 8080, "protocol": "http"}]}"""
                .formatted(id, i / 65536 % 256, i / 256 % 256, i % 256 + 1, i % 50));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            acknowledged.add(id);
          }
          return null;
        }));
      }
      for (Future<?> f : registering) {
        f.get(5, TimeUnit.MINUTES);
      }
      assertThat(acknowledged).hasSize(INSTANCES);
      GatewayHttp.applyRules(cluster.node(0), TOKEN, """
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata: {name: web, namespace: default}
          spec:
            host: web
            subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
          ---
          apiVersion: networking.istio.io/v1
          kind: VirtualService
          metadata: {name: web, namespace: default}
          spec:
            hosts: [web]
            http:
              - route:
                  - {destination: {host: web, subset: v1}, weight: 50}
                  - {destination: {host: web, subset: v2}, weight: 50}
          """);

      // an API token created on node 1 works on every node (each has its own admin token)
      String viewer = cluster.createToken(0, "dashboard", "viewer");
      for (int n = 0; n < 3; n++) {
        assertThat(cluster.node(n).get("/api/v1/status", viewer).statusCode()).as("node " + (n + 1)).isEqualTo(200);
      }

      // one scraper in the cluster, on node 1, answering through every node
      ThreeNodes.until("node 1 leads telemetry", Duration.ofSeconds(30),
          () -> "leader".equals(cluster.replication(0, "telemetry").getString("mode")));
      ThreeNodes.until("nodes 2 and 3 follow node 1's telemetry", Duration.ofSeconds(30),
          () -> "follower".equals(cluster.replication(1, "telemetry").getString("mode"))
              && "follower".equals(cluster.replication(2, "telemetry").getString("mode")));
      JsonObject targets = new JsonObject(cluster.node(2).get("/api/v1/telemetry/targets", TOKEN).body());
      assertThat(targets.getValue("scraper")).as(targets.encode()).isNotNull();

      // traffic through the gateways of nodes 2 and 3, all along
      int[] gateways = {cluster.node(1).boundPort("gateway", TOKEN), cluster.node(2).boundPort("gateway", TOKEN)};
      for (int g : gateways) {
        GatewayHttp.await("web routable on gateway " + g, Duration.ofSeconds(30), () -> GatewayHttp.get(g, "/api/web/items"),
            r -> r.statusCode() == 200);
      }
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong sent = new AtomicLong();
      AtomicLong lastErrorNanos = new AtomicLong();
      AtomicLong errors = new AtomicLong();
      List<Future<?>> traffic = new ArrayList<>();
      for (int g : gateways) {
        traffic.add(pool.submit(() -> {
          while (running.get()) {
            boolean ok;
            try {
              ok = GatewayHttp.get(g, "/api/web/items").statusCode() == 200;
            } catch (Exception e) {
              ok = false;
            }
            sent.incrementAndGet();
            if (!ok) {
              errors.incrementAndGet();
              lastErrorNanos.set(System.nanoTime());
            }
            Thread.sleep(5);
          }
          return null;
        }));
      }
      Thread.sleep(1000);

      // SIGKILL the leader
      long killed = System.nanoTime();
      cluster.kill(0);

      ThreeNodes.until("node 2 leads the registry and the rules", Duration.ofSeconds(60),
          () -> "leader".equals(cluster.replication(1, "registry").getString("mode"))
              && "leader".equals(cluster.replication(1, "rules").getString("mode")));
      long leaderAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      ThreeNodes.until("node 2 leads telemetry (scraping moved)", Duration.ofSeconds(30),
          () -> "leader".equals(cluster.replication(1, "telemetry").getString("mode")));
      ThreeNodes.until("node 3 follows node 2's telemetry", Duration.ofSeconds(30),
          () -> "follower".equals(cluster.replication(2, "telemetry").getString("mode")));
      targets = new JsonObject(cluster.node(2).get("/api/v1/telemetry/targets", TOKEN).body());
      assertThat(targets.getValue("scraper")).as(targets.encode()).isNotNull();
      // nodes 2 and 3 answer with every acknowledged registration and the rules
      for (int n : new int[] {1, 2}) {
        Set<String> ids = cluster.instanceIds(n);
        assertThat(ids).as("node " + (n + 1)).containsAll(acknowledged).contains("web-v1", "web-v2");
        HttpResponse<String> vs = cluster.node(n).get("/api/v1/rules/VirtualService/default/web", TOKEN);
        assertThat(vs.statusCode()).as(vs.body()).isEqualTo(200);
        assertThat(cluster.node(n).get("/api/v1/rules/DestinationRule/default/web", TOKEN).statusCode()).isEqualTo(200);
      }
      // writes go on through either survivor
      GatewayHttp.register(cluster.node(2), TOKEN, GatewayHttp.instance("after-kill", "default", "late", "v1", 9));
      acknowledged.add("after-kill");
      // tokens too: node 1's token still works, and one created on node 3 works on node 2
      assertThat(cluster.node(1).get("/api/v1/status", viewer).statusCode()).isEqualTo(200);
      String operator = cluster.createToken(2, "deployer", "operator");
      assertThat(cluster.node(1).send("DELETE", "/api/v1/instances/after-kill", operator, null).statusCode())
          .isEqualTo(204);
      GatewayHttp.register(cluster.node(1), operator, GatewayHttp.instance("after-kill", "default", "late", "v1", 9));
      Thread.sleep(Math.max(0, 6000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed)));
      long errorsAtFiveSeconds = errors.get();
      Thread.sleep(2000);
      running.set(false);
      for (Future<?> f : traffic) {
        f.get(30, TimeUnit.SECONDS);
      }
      long lastErrorAfterKillMillis = lastErrorNanos.get() == 0 ? -1
          : TimeUnit.NANOSECONDS.toMillis(lastErrorNanos.get() - killed);
      System.out.printf("ClusterFailoverIT: %d gateway requests, %d errors (last %d ms after the kill); node 2 led %d ms "
          + "after the kill%n", sent.get(), errors.get(), lastErrorAfterKillMillis, leaderAfterMillis);
      assertThat(errors.get()).as("gateway errors later than 5 s after the kill").isEqualTo(errorsAtFiveSeconds);
      assertThat(lastErrorAfterKillMillis).as("last gateway error, ms after the kill").isLessThan(5000);

      // a change made on node 3 reaches node 2's gateway
      HttpBackend v3 = HttpBackend.start("web-v3", "v3");
      closing.add(v3);
      GatewayHttp.register(cluster.node(2), TOKEN, GatewayHttp.instance("web-v3", "default", "web", "v3", v3.port()));
      GatewayHttp.await("node 2's gateway routes to v3, registered on node 3", Duration.ofSeconds(20),
          () -> GatewayHttp.get(gateways[0], "/api/web/v3/items"), r -> r.statusCode() == 200);
      acknowledged.add("web-v3");

      // node 1 comes back on its old data, follows node 2 and catches up
      cluster.start(0);
      ThreeNodes.until("node 1 follows node 2 in sync", Duration.ofSeconds(60),
          () -> cluster.inSync(1, "registry") == 2 && cluster.inSync(1, "rules") == 2);
      assertThat(cluster.replication(0, "registry").getString("mode")).isEqualTo("follower");
      assertThat(cluster.instanceIds(0)).containsAll(acknowledged);
      assertThat(cluster.node(0).get("/api/v1/rules/VirtualService/default/web", TOKEN).statusCode()).isEqualTo(200);
      assertThat(cluster.node(0).get("/api/v1/status", operator).statusCode()).as("a token made while node 1 was down")
          .isEqualTo(200);

      JsonObject view = new JsonObject(cluster.node(0).get("/api/v1/cluster", TOKEN).body());
      assertThat(view.getJsonArray("members")).hasSize(3);
      assertThat(view.getJsonObject("quorum").getBoolean("ok")).isTrue();
      assertThat(view.getJsonObject("leaders").getString("registry"))
          .isEqualTo(new JsonObject(cluster.node(1).get("/api/v1/status", TOKEN).body()).getJsonObject("cluster")
              .getString("member"));
    } catch (AssertionError | Exception e) {
      cluster.printReplicationLog();
      throw e;
    } finally {
      pool.shutdownNow();
      cluster.close();
      for (AutoCloseable c : closing) {
        c.close();
      }
    }
  }
}
