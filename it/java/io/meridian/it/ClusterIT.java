package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies {@code --cluster} with two real JVMs on 127.0.0.1 and different roles: they form a
 * Hazelcast cluster and each answers for the other over the clustered event bus — the xDS
 * server on one node serves what the registry on the other holds, and the other node's API
 * lists its clients.
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
            "--cluster", "--roles", "registry,rules");
         MeridianProcess two = MeridianProcess.start(work.resolve("n2"), env(admin2, hz2, hz1, name, "n2"), admin2,
            "--cluster", "--roles", "xds,gateway")) {
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
      assertThat(roleSets).containsExactlyInAnyOrder(List.of("registry", "rules"), List.of("xds", "gateway"));

      String token1 = Files.readString(work.resolve("n1").resolve("data").resolve("admin.token")).trim();
      JsonObject status = new JsonObject(one.get("/api/v1/status", token1).body());
      assertThat(status.getJsonObject("cluster").getString("name")).isEqualTo(name);
      assertThat(status.getJsonObject("cluster").getJsonArray("members")).hasSize(2);

      // the xDS server on node two serves what is registered on node one, and node one's API lists its client
      int xds = new JsonObject(two.get("/api/v1/status", token).body()).getJsonObject("ports").getInteger("xds");
      assertThat(one.send("POST", "/api/v1/instances", token1, "{\"id\":\"orders-1\",\"endpoints\":[{\"address\":\"10.0.0.5\"}],"
          + "\"services\":[{\"name\":\"orders\",\"port\":8080}]}").statusCode()).isEqualTo(201);
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", xds).usePlaintext().build();
      try {
        BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
        StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(new StreamObserver<>() {
              @Override
              public void onNext(DiscoveryResponse value) {
                responses.add(value);
              }

              @Override
              public void onError(Throwable t) {
              }

              @Override
              public void onCompleted() {
              }
            });
        requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(CDS).setNode(Node.newBuilder().setId("sidecar-1")
            .setMetadata(Struct.newBuilder().putFields("role", Value.newBuilder().setStringValue("sidecar").build()))).build());
        // the registration reaches node two's xDS server over the bus: the cluster comes at once or in the next push
        List<String> names = new java.util.ArrayList<>();
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!names.contains("outbound|8080||orders.default.svc.cluster.local") && System.nanoTime() < deadline) {
          DiscoveryResponse clusters = responses.poll(1, TimeUnit.SECONDS);
          if (clusters != null) {
            names.clear();
            for (com.google.protobuf.Any any : clusters.getResourcesList()) {
              names.add(any.unpack(Cluster.class).getName());
            }
            requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(CDS).setVersionInfo(clusters.getVersionInfo())
                .setResponseNonce(clusters.getNonce()).build());
          }
        }
        assertThat(names).contains("outbound|8080||orders.default.svc.cluster.local");
        JsonObject clients = null;
        deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
          clients = new JsonObject(one.get("/api/v1/xds/clients", token1).body());
          if (!clients.getJsonArray("clients").isEmpty()) {
            break;
          }
          Thread.sleep(200);
        }
        assertThat(clients.getJsonArray("servers")).hasSize(1);
        assertThat(clients.getJsonArray("clients")).hasSize(1);
        assertThat(clients.getJsonArray("clients").getJsonObject(0).getJsonObject("node").getString("id")).isEqualTo("sidecar-1");
        assertThat(one.get("/api/v1/xds/config_dump?node=sidecar-1", token1).body()).contains("orders.default.svc.cluster.local");
        requests.onCompleted();
      } finally {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  private Map<String, String> env(int admin, int hzPort, int otherHzPort, String name, String dir) {
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(admin, work.resolve(dir).resolve("data")));
    env.put("MERIDIAN_CLUSTER_PORT", String.valueOf(hzPort));
    env.put("MERIDIAN_CLUSTER_MEMBERS", "127.0.0.1:" + hzPort + ",127.0.0.1:" + otherHzPort);
    env.put("MERIDIAN_CLUSTER_NAME", name);
    env.put("MERIDIAN_CLUSTER_HOST", "127.0.0.1");
    return env;
  }
}
