package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies {@code --cluster} with two real JVMs on 127.0.0.1 and different roles: they form a
 * Hazelcast cluster and each answers for the other over the clustered event bus.
 */
class ClusterIT {

  @TempDir
  Path work;

  @Test
  void twoNodesWithDifferentRolesFormAClusterAndSeeEachOtherOverTheBus() throws Exception {
    int hz1 = MeridianProcess.freePort();
    int hz2 = MeridianProcess.freePort();
    String name = "it-" + Long.toString(System.nanoTime(), 36);
    int admin1 = MeridianProcess.freePort();
    int admin2 = MeridianProcess.freePort();
    try (MeridianProcess one = MeridianProcess.start(work.resolve("n1"), env(admin1, hz1, hz2, name, "n1"), admin1,
            "--cluster", "--roles", "registry,rules,xds");
         MeridianProcess two = MeridianProcess.start(work.resolve("n2"), env(admin2, hz2, hz1, name, "n2"), admin2,
            "--cluster", "--roles", "gateway")) {
      one.awaitReady(Duration.ofSeconds(90));
      two.awaitReady(Duration.ofSeconds(90));
      String token = Files.readString(work.resolve("n2").resolve("data").resolve("admin.token")).trim();

      JsonObject cluster = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        cluster = new JsonObject(two.get("/api/v1/cluster", token).body());
        if (cluster.getJsonArray("members").size() == 2
            && cluster.getJsonArray("members").stream().allMatch(m -> ((JsonObject) m).containsKey("roles"))) {
          break;
        }
        Thread.sleep(200);
      }
      assertThat(cluster.getBoolean("clustered")).isTrue();
      JsonArray members = cluster.getJsonArray("members");
      assertThat(members).hasSize(2);
      Set<List<String>> roleSets = members.stream()
          .map(m -> ((JsonObject) m).getJsonArray("roles").stream().map(r -> ((JsonObject) r).getString("name")).toList())
          .collect(Collectors.toSet());
      assertThat(roleSets).containsExactlyInAnyOrder(List.of("registry", "rules", "xds"), List.of("gateway"));

      JsonObject status = new JsonObject(one.get("/api/v1/status",
          Files.readString(work.resolve("n1").resolve("data").resolve("admin.token")).trim()).body());
      assertThat(status.getJsonObject("cluster").getString("name")).isEqualTo(name);
      assertThat(status.getJsonObject("cluster").getJsonArray("members")).hasSize(2);
    }
  }

  private Map<String, String> env(int admin, int hzPort, int otherHzPort, String name, String dir) {
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(admin, work.resolve(dir).resolve("data")));
    env.put("MERIDIAN_CLUSTER_PORT", String.valueOf(hzPort));
    env.put("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1:" + hzPort + ",127.0.0.1:" + otherHzPort);
    env.put("MERIDIAN_CLUSTER_NAME", name);
    env.put("MERIDIAN_CLUSTER_HOST", "127.0.0.1");
    return env;
  }
}
