package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.meridian.it.xds.Echo;
import io.meridian.it.xds.XdsClientProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The xDS server on the real jar with real clients: grpc-java's proxyless grpc-xds (each client
 * its own JVM, as grpc-xds reads its bootstrap once per JVM) calling real gRPC backends
 * registered in the registry, and a small incremental (delta) ADS client of our own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XdsIT {

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final String CONF = """
      registry:
        planes:
          - name: default
          - name: data
            cidrs: [127.0.0.1/32]
          - name: mgmt
            cidrs: [127.0.0.2/32]
      """;

  @TempDir
  static Path work;

  MeridianProcess meridian;
  String token;
  int xdsPort;
  final List<Echo> backends = new ArrayList<>();
  XdsClientProcess client;

  @BeforeAll
  void start() throws Exception {
    int admin = MeridianProcess.freePort();
    Files.writeString(work.resolve("meridian.yaml"), CONF);
    meridian = MeridianProcess.start(work, MeridianProcess.loopbackEnv(admin, work.resolve("data")), admin,
        "--conf", work.resolve("meridian.yaml").toString());
    meridian.awaitReady(Duration.ofSeconds(60));
    token = Files.readString(work.resolve("data").resolve("admin.token")).trim();
    JsonObject status = new JsonObject(meridian.get("/api/v1/status", token).body());
    xdsPort = status.getJsonObject("ports").getInteger("xds");
    for (String name : List.of("greeter-v1", "greeter-v1b", "greeter-v2")) {
      Echo echo = Echo.start(name, 0, List.of("127.0.0.1"));
      backends.add(echo);
      String version = name.equals("greeter-v2") ? "v2" : "v1";
      register(name, "[{\"plane\":\"default\",\"address\":\"127.0.0.1\"}]",
          "[{\"name\":\"greeter\",\"version\":\"" + version + "\",\"port\":" + echo.port() + ",\"protocol\":\"grpc\"}]");
    }
    client = XdsClientProcess.start(XdsClientProcess.bootstrap(xdsPort, "client-a",
        new JsonObject().put("tenant", "default").put("plane", "default").put("role", "proxyless")), work);
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    for (Echo e : backends) {
      e.stop();
    }
    if (meridian != null) {
      meridian.close();
    }
  }

  void register(String id, String endpoints, String services) throws Exception {
    HttpResponse<String> r = meridian.send("POST", "/api/v1/instances", token,
        "{\"id\":\"" + id + "\",\"endpoints\":" + endpoints + ",\"services\":" + services + "}");
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
  }

  HttpResponse<String> applyYaml(String yaml) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + meridian.adminPort() + "/api/v1/rules/apply"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/yaml")
        .POST(HttpRequest.BodyPublishers.ofString(yaml)).build(), HttpResponse.BodyHandlers.ofString());
  }

  void apply(String yaml) throws Exception {
    HttpResponse<String> r = applyYaml(yaml);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (r.body().contains("registry is unavailable") && System.nanoTime() < deadline) {
      Thread.sleep(100);
      r = applyYaml(yaml);
    }
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** greeter's DestinationRule (subsets v1, v2) with a load balancer. */
  static String greeterRule(String loadBalancer) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter}
        spec:
          host: greeter
          trafficPolicy:
            loadBalancer: {simple: %s}
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """.formatted(loadBalancer);
  }

  JsonObject clientStatus(String nodeId) throws Exception {
    JsonObject all = new JsonObject(meridian.get("/api/v1/xds/clients", token).body());
    for (Object c : all.getJsonArray("clients")) {
      JsonObject client = (JsonObject) c;
      if (client.getJsonObject("node").getString("id").equals(nodeId)) {
        return client;
      }
    }
    return null;
  }

  /** Waits until the node has ACKed what it was last sent for every type and {@code dump} satisfies {@code test}. */
  JsonObject awaitDump(String nodeId, Predicate<JsonObject> test) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    JsonObject dump = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = meridian.get("/api/v1/xds/config_dump?node=" + nodeId, token);
      if (r.statusCode() == 200) {
        dump = new JsonObject(r.body());
        boolean acked = dump.getJsonObject("configs").stream().allMatch(e -> {
          JsonObject t = (JsonObject) e.getValue();
          return t.getString("sentVersion") != null && t.getString("sentVersion").equals(t.getString("ackedVersion"));
        });
        if (acked && test.test(dump)) {
          return dump;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("config_dump of " + nodeId + " never matched: " + dump);
  }

  @Test
  @Order(1)
  void aProxylessClientReachesTheRegisteredBackends() throws Exception {
    JsonObject result = client.call("greeter", 60);
    assertThat(result.getInteger("errors")).as(result.encode() + "\n" + client.log()).isZero();
    assertThat(result.getJsonObject("backends").fieldNames()).containsExactlyInAnyOrder("greeter-v1", "greeter-v1b", "greeter-v2");

    // what it got is visible: the client list and the config dump
    JsonObject status = clientStatus("client-a");
    assertThat(status).isNotNull();
    assertThat(status.getString("protocol")).isEqualTo("sotw");
    assertThat(status.getJsonObject("node").getString("plane")).isEqualTo("default");
    assertThat(status.getJsonObject("scope").getJsonArray("planes").getList()).containsExactly("default");
    for (String type : List.of("lds", "rds", "cds", "eds")) {
      JsonObject t = status.getJsonObject("types").getJsonObject(type);
      assertThat(t.getString("ackedVersion")).as(type).isEqualTo(t.getString("sentVersion"));
      assertThat(t.getString("lastPush")).as(type).isNotNull();
    }
    JsonObject dump = awaitDump("client-a", d -> true);
    assertThat(dump.getJsonObject("configs").getJsonObject("lds").getJsonArray("resources").getJsonObject(0).getString("name"))
        .isEqualTo("greeter");
    JsonArray endpoints = dump.getJsonObject("configs").getJsonObject("eds").getJsonArray("resources");
    assertThat(endpoints.encode()).contains("127.0.0.1").contains(String.valueOf(backends.get(2).port()));
    assertThat(meridian.get("/api/v1/xds/config_dump?node=nobody", token).statusCode()).isEqualTo(404);
    assertThat(meridian.get("/api/v1/xds/config_dump", token).statusCode()).isEqualTo(400);
  }

  @Test
  @Order(2)
  void removingAnInstanceTakesEffectInTheClientPromptly() throws Exception {
    CompletableFuture<JsonObject> gone = CompletableFuture.supplyAsync(() -> {
      try {
        return client.command("gone greeter greeter-v1b 15000", Duration.ofSeconds(30));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(300); // the client is calling (and still reaching v1b)
    long removedAt = System.currentTimeMillis();
    HttpResponse<String> r = meridian.send("DELETE", "/api/v1/instances/greeter-v1b", token, null);
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 204);
    JsonObject result = gone.get(60, TimeUnit.SECONDS);
    assertThat(result.containsKey("timeout")).as(result.encode() + "\n" + client.log()).isFalse();
    long millis = Math.max(0, result.getLong("at") - removedAt);
    System.out.printf("xDS: instance removal reached the grpc-xds client after %d ms (debounce 100 ms)%n", millis);
    // a functional bound (the 1 s figure is measured and reported by scripts/bench/xds)
    assertThat(millis).isLessThan(10_000);
  }

  @Test
  @Order(3)
  void aWeightedSplitAndAHeaderMatchAreObserved() throws Exception {
    apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter}
        spec:
          host: greeter
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: greeter}
        spec:
          hosts: [greeter]
          http:
          - match:
            - headers:
                x-canary: {exact: "true"}
            route:
            - destination: {host: greeter, subset: v2}
          - route:
            - destination: {host: greeter, subset: v1}
              weight: 80
            - destination: {host: greeter, subset: v2}
              weight: 20
        """);
    awaitDump("client-a", d -> d.getJsonObject("configs").getJsonObject("rds").encode().contains("\"weight\":80"));
    JsonObject split = client.call("greeter", 1000);
    assertThat(split.getInteger("errors")).as(split.encode()).isZero();
    int v1 = split.getJsonObject("backends").getInteger("greeter-v1", 0);
    int v2 = split.getJsonObject("backends").getInteger("greeter-v2", 0);
    System.out.printf("xDS: 80/20 split over 1000 RPCs: v1=%d v2=%d%n", v1, v2);
    assertThat(v1 + v2).isEqualTo(1000);
    assertThat(v1).isBetween(750, 850);

    JsonObject canary = client.call("greeter", 100, "x-canary=true");
    assertThat(canary.getJsonObject("backends").getMap()).containsOnlyKeys("greeter-v2");
    assertThat(canary.getInteger("errors")).isZero();
  }

  @Test
  @Order(4)
  void aNackedResourceIsVisibleAndTheClientKeepsItsLastGoodConfig() throws Exception {
    // grpc-xds does not implement RANDOM load balancing: it rejects the clusters
    apply(greeterRule("RANDOM"));
    JsonObject nack = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (nack == null && System.nanoTime() < deadline) {
      nack = clientStatus("client-a").getJsonObject("types").getJsonObject("cds").getJsonObject("nack");
      Thread.sleep(100);
    }
    assertThat(nack).as("a NACK of the clusters is recorded").isNotNull();
    System.out.println("xDS: grpc-xds NACK as shown by /api/v1/xds/clients: " + nack.encode());
    assertThat(nack.getString("message")).containsIgnoringCase("RANDOM");
    JsonObject cds = clientStatus("client-a").getJsonObject("types").getJsonObject("cds");
    assertThat(cds.getString("ackedVersion")).isNotEqualTo(cds.getString("sentVersion"));

    JsonObject stillWorking = client.call("greeter", 200);
    assertThat(stillWorking.getInteger("errors")).as(stillWorking.encode()).isZero();
    assertThat(stillWorking.getJsonObject("backends").getInteger("greeter-v1", 0)).isBetween(120, 200);

    String metrics = meridian.get("/metrics", token).body();
    assertThat(metrics).contains("meridian_xds_nacks_total{type=\"cds\"}").contains("meridian_xds_streams")
        .contains("meridian_xds_pushes_total").contains("meridian_xds_push_latency_seconds_bucket");

    // fixing the rule is accepted again
    apply(greeterRule("LEAST_REQUEST"));
    awaitDump("client-a", d -> d.getJsonObject("configs").getJsonObject("cds").encode().contains("LEAST_REQUEST"));
  }

  @Test
  @Order(5)
  void aClientOnOnePlaneOnlyEverConnectsToThatPlanesAddresses() throws Exception {
    Echo dual = Echo.start("dual-0", MeridianProcess.freePort(), List.of("127.0.0.1", "127.0.0.2"));
    backends.add(dual);
    register("dual-0", "[{\"plane\":\"data\",\"address\":\"127.0.0.1\"},{\"plane\":\"mgmt\",\"address\":\"127.0.0.2\"}]",
        "[{\"name\":\"dual\",\"port\":" + dual.port() + ",\"protocol\":\"grpc\",\"planes\":[\"data\",\"mgmt\"]}]");
    for (String[] plane : new String[][] {{"data", "127.0.0.1"}, {"mgmt", "127.0.0.2"}}) {
      try (XdsClientProcess c = XdsClientProcess.start(XdsClientProcess.bootstrap(xdsPort, "client-" + plane[0],
          new JsonObject().put("plane", plane[0])), work)) {
        JsonObject result = c.call("dual", 100);
        assertThat(result.getInteger("errors")).as(result.encode() + "\n" + c.log()).isZero();
        assertThat(result.getJsonObject("local").getMap()).as(plane[0]).containsOnlyKeys(plane[1]);
        JsonObject dump = awaitDump("client-" + plane[0], d -> true);
        String eds = dump.getJsonObject("configs").getJsonObject("eds").encode();
        assertThat(eds).contains(plane[1]).doesNotContain(plane[0].equals("data") ? "127.0.0.2" : "127.0.0.1\"");
        // the other tenants' and planes' services are not offered at all
        assertThat(c.call("greeter", 1).getString("error")).isNotNull();
      }
      // the client's JVM is gone: so is its stream
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (clientStatus("client-" + plane[0]) != null && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(clientStatus("client-" + plane[0])).as("stream of a client that exited").isNull();
    }
  }

  @Test
  @Order(6)
  void anIncrementalClientGetsOnlyChangesAndRemovals() throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", xdsPort).usePlaintext().build();
    BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
    try {
      StreamObserver<DeltaDiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
          .deltaAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DeltaDiscoveryResponse value) {
              responses.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
          });
      Node node = Node.newBuilder().setId("delta-1").setMetadata(com.google.protobuf.Struct.newBuilder()
          .putFields("role", com.google.protobuf.Value.newBuilder().setStringValue("sidecar").build())).build();
      String cds = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(cds).build());
      DeltaDiscoveryResponse first = responses.poll(20, TimeUnit.SECONDS);
      assertThat(first).isNotNull();
      // greeter's instances listen on different ports: the service port is the most common one, ties → the lowest
      int servicePort = Math.min(backends.get(0).port(), backends.get(2).port());
      assertThat(first.getResourcesList()).extracting(Resource::getName)
          .contains("outbound|" + servicePort + "||greeter.default.svc.cluster.local", "BlackHoleCluster");
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(cds).setResponseNonce(first.getNonce()).build());

      register("extra-0", "[{\"plane\":\"default\",\"address\":\"127.0.0.1\"}]",
          "[{\"name\":\"extra\",\"port\":7777,\"protocol\":\"http\"}]");
      DeltaDiscoveryResponse added = responses.poll(20, TimeUnit.SECONDS);
      assertThat(added).isNotNull();
      assertThat(added.getResourcesList()).extracting(Resource::getName).containsExactly("outbound|7777||extra.default.svc.cluster.local");
      assertThat(added.getResources(0).getResource().unpack(Cluster.class).getType()).isEqualTo(Cluster.DiscoveryType.EDS);
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(cds).setResponseNonce(added.getNonce()).build());

      meridian.send("DELETE", "/api/v1/instances/extra-0", token, null);
      DeltaDiscoveryResponse removed = responses.poll(20, TimeUnit.SECONDS);
      assertThat(removed).isNotNull();
      assertThat(removed.getResourcesList()).isEmpty();
      assertThat(removed.getRemovedResourcesList()).containsExactly("outbound|7777||extra.default.svc.cluster.local");
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(cds).setResponseNonce(removed.getNonce()).build());
      assertThat(responses.poll(500, TimeUnit.MILLISECONDS)).as("an ACK is not answered").isNull();

      JsonObject status = clientStatus("delta-1");
      assertThat(status.getString("protocol")).isEqualTo("delta");
      assertThat(status.getJsonObject("types").getJsonObject("cds").getString("ackedVersion"))
          .isEqualTo(status.getJsonObject("types").getJsonObject("cds").getString("sentVersion"));
      requests.onCompleted();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (clientStatus("delta-1") != null && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(clientStatus("delta-1")).as("a stream the client ended").isNull();
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(7)
  void aNodeWithBadMetadataIsRefusedWithTheKeyNamed() throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", xdsPort).usePlaintext().build();
    try {
      CompletableFuture<Throwable> error = new CompletableFuture<>();
      StreamObserver<DeltaDiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
          .deltaAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DeltaDiscoveryResponse value) {
            }

            @Override
            public void onError(Throwable t) {
              error.complete(t);
            }

            @Override
            public void onCompleted() {
              error.complete(null);
            }
          });
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster")
          .setNode(Node.newBuilder().setId("bad").setMetadata(com.google.protobuf.Struct.newBuilder()
              .putFields("role", com.google.protobuf.Value.newBuilder().setStringValue("router").build()))).build());
      Throwable t = error.get(20, TimeUnit.SECONDS);
      assertThat(t).isInstanceOf(io.grpc.StatusRuntimeException.class);
      io.grpc.Status status = ((io.grpc.StatusRuntimeException) t).getStatus();
      assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription()).contains("node.metadata.role");
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
