package io.meridian.xds.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meridian.registry.Instance;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ADS protocol rules of one stream, state of the world and incremental: per-type versions
 * and nonces, ACK and NACK bookkeeping, no answer to an ACK or a NACK, stale nonces ignored,
 * pushes only on change, CDS before EDS and LDS before RDS, debounced bursts.
 */
class SessionTest {

  static final Node SIDECAR = XdsFixtures.node("sidecar-1", Map.of("tenant", "shop", "plane", "data", "role", "sidecar"));
  static final Node PROXYLESS = XdsFixtures.node("client-1", Map.of("tenant", "default", "plane", "default"));

  Vertx vertx;
  Context context;
  XdsServer server;
  SimpleMeterRegistry meters;
  final AtomicReference<Translator.Model> model = new AtomicReference<>(XdsFixtures.model());
  final List<DiscoveryResponse> sotw = new CopyOnWriteArrayList<>();
  final List<DeltaDiscoveryResponse> delta = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    meters = new SimpleMeterRegistry();
    server = onLoop(() -> new XdsServer(vertx, Duration.ofMillis(50), model::get, meters));
    onLoop(() -> {
      server.start();
      return null;
    });
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  <T> T onLoop(Supplier<T> action) {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        result.complete(action.get());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  Session openSotw() {
    return onLoop(() -> server.open(sotw::add, null));
  }

  Session openDelta() {
    return onLoop(() -> server.open(null, delta::add));
  }

  void send(Session session, DiscoveryRequest request) {
    onLoop(() -> {
      session.onRequest(request);
      return null;
    });
  }

  void send(Session session, DeltaDiscoveryRequest request) {
    onLoop(() -> {
      session.onDeltaRequest(request);
      return null;
    });
  }

  static DiscoveryRequest request(Node node, String type, List<String> names, DiscoveryResponse answering) {
    DiscoveryRequest.Builder r = DiscoveryRequest.newBuilder().setTypeUrl(type).addAllResourceNames(names);
    if (node != null) {
      r.setNode(node);
    }
    if (answering != null) {
      r.setVersionInfo(answering.getVersionInfo()).setResponseNonce(answering.getNonce());
    }
    return r.build();
  }

  static DiscoveryRequest nack(DiscoveryResponse answering, String lastGoodVersion, String message) {
    return DiscoveryRequest.newBuilder().setTypeUrl(answering.getTypeUrl()).setVersionInfo(lastGoodVersion)
        .setResponseNonce(answering.getNonce()).setErrorDetail(Status.newBuilder().setCode(3).setMessage(message)).build();
  }

  /** Replaces the model and waits for the debounced push (or for nothing, after the window). */
  void change(Translator.Model next) {
    model.set(next);
    onLoop(() -> {
      server.changed();
      return null;
    });
    sleep(250);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The fixture model without the instance {@code id}. */
  static Translator.Model without(Translator.Model model, String id) {
    List<Instance> instances = new ArrayList<>(model.instances());
    instances.removeIf(i -> i.id().equals(id));
    return new Translator.Model(instances, model.rules());
  }

  static List<String> names(DiscoveryResponse response) {
    List<String> names = new ArrayList<>();
    for (Any any : response.getResourcesList()) {
      try {
        names.add(switch (TypeUrls.shortName(any.getTypeUrl())) {
          case "cds" -> any.unpack(Cluster.class).getName();
          case "eds" -> any.unpack(ClusterLoadAssignment.class).getClusterName();
          case "lds" -> any.unpack(Listener.class).getName();
          default -> any.unpack(RouteConfiguration.class).getName();
        });
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
    return names;
  }

  @Test
  void sotwAckIsNotAnsweredAndAChangeIsPushedWithEveryResource() {
    Session s = openSotw();
    send(s, request(SIDECAR, TypeUrls.CLUSTER, List.of(), null));
    assertThat(sotw).hasSize(1);
    DiscoveryResponse first = sotw.get(0);
    assertThat(first.getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(names(first)).contains(Translator.BLACK_HOLE, "outbound|8080||orders.shop.svc.cluster.local").hasSize(6);
    assertThat(first.getVersionInfo()).isNotEmpty();
    assertThat(first.getNonce()).isNotEmpty();

    send(s, request(null, TypeUrls.CLUSTER, List.of(), first)); // ACK
    assertThat(sotw).hasSize(1);
    JsonObject cds = onLoop(s::status).getJsonObject("types").getJsonObject("cds");
    assertThat(cds.getString("ackedVersion")).isEqualTo(first.getVersionInfo());
    assertThat(cds.getString("sentVersion")).isEqualTo(first.getVersionInfo());

    // a change that leaves this node's clusters as they are: nothing is sent
    change(without(model.get(), "secret-0"));
    assertThat(sotw).hasSize(1);

    // ledger loses all its instances: its cluster goes, and the response still carries every other cluster
    change(without(without(model.get(), "ledger-0"), "ledger-1"));
    assertThat(sotw).hasSize(2);
    DiscoveryResponse second = sotw.get(1);
    assertThat(second.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
    assertThat(second.getNonce()).isNotEqualTo(first.getNonce());
    assertThat(names(second)).hasSize(5).doesNotContain("outbound|7000||ledger.shop.svc.cluster.local");
  }

  @Test
  void aNackKeepsTheLastGoodVersionIsRecordedAndNeverResent() {
    Session s = openSotw();
    send(s, request(SIDECAR, TypeUrls.CLUSTER, List.of(), null));
    DiscoveryResponse first = sotw.get(0);
    send(s, request(null, TypeUrls.CLUSTER, List.of(), first));
    change(without(model.get(), "payments-0"));
    DiscoveryResponse second = sotw.get(1);
    send(s, nack(second, first.getVersionInfo(), "cluster outbound|8080||orders: unsupported lb_policy"));
    sleep(150);
    assertThat(sotw).as("no resend after a NACK").hasSize(2);
    JsonObject cds = onLoop(s::status).getJsonObject("types").getJsonObject("cds");
    assertThat(cds.getString("ackedVersion")).isEqualTo(first.getVersionInfo());
    assertThat(cds.getJsonObject("nack").getString("message")).contains("unsupported lb_policy");
    assertThat(cds.getJsonObject("nack").getString("rejectedVersion")).isEqualTo(second.getVersionInfo());
    assertThat(meters.get("meridian.xds.nacks").tag("type", "cds").counter().count()).isEqualTo(1.0);
    // the next real change is sent (and ACKed)
    change(without(without(model.get(), "ledger-0"), "ledger-1"));
    assertThat(sotw).hasSize(3);
    send(s, request(null, TypeUrls.CLUSTER, List.of(), sotw.get(2)));
    assertThat(onLoop(s::status).getJsonObject("types").getJsonObject("cds").getString("ackedVersion"))
        .isEqualTo(sotw.get(2).getVersionInfo());
  }

  @Test
  void sotwLoadAssignmentsAndRoutesAreSentOnlyWhenTheyChange() {
    Session s = openSotw();
    List<String> both = List.of("outbound|9080||reviews.default.svc.cluster.local", "outbound|9080||ratings.default.svc.cluster.local");
    send(s, request(PROXYLESS, TypeUrls.ENDPOINT, both, null));
    assertThat(names(sotw.get(0))).containsExactlyInAnyOrderElementsOf(both);
    send(s, request(null, TypeUrls.ENDPOINT, both, sotw.get(0)));
    change(without(model.get(), "reviews-v3"));
    assertThat(sotw).hasSize(2);
    assertThat(names(sotw.get(1))).containsExactly("outbound|9080||reviews.default.svc.cluster.local");
    // the dump still shows everything the client holds
    assertThat(onLoop(s::lastSent).get("eds")).containsOnlyKeys(both);
  }

  @Test
  void aStaleNonceIsIgnored() {
    Session s = openSotw();
    send(s, request(PROXYLESS, TypeUrls.ENDPOINT, List.of("outbound|9080||reviews.default.svc.cluster.local"), null));
    DiscoveryResponse first = sotw.get(0);
    send(s, request(null, TypeUrls.ENDPOINT, List.of("outbound|9080||reviews.default.svc.cluster.local"), first));
    change(without(model.get(), "reviews-v3"));
    assertThat(sotw).hasSize(2);
    // a request answering the first response (not the latest) changes nothing and gets nothing
    send(s, request(null, TypeUrls.ENDPOINT, List.of("outbound|9080||ratings.default.svc.cluster.local"), first));
    assertThat(sotw).hasSize(2);
    assertThat(onLoop(s::status).getJsonObject("types").getJsonObject("eds").getJsonArray("subscribed").getList())
        .containsExactly("outbound|9080||reviews.default.svc.cluster.local");
    // the same request answering the latest response changes the subscription: answered at once
    send(s, request(null, TypeUrls.ENDPOINT, List.of("outbound|9080||reviews.default.svc.cluster.local",
        "outbound|9080||ratings.default.svc.cluster.local"), sotw.get(1)));
    assertThat(sotw).hasSize(3);
    assertThat(names(sotw.get(2))).containsExactly("outbound|9080||ratings.default.svc.cluster.local",
        "outbound|9080||reviews.default.svc.cluster.local");
  }

  @Test
  void typesArePushedInOrderCdsBeforeEdsAndLdsBeforeRds() {
    Session s = openSotw();
    // subscribe in the "wrong" order
    send(s, request(PROXYLESS, TypeUrls.ROUTE, List.of("reviews"), null));
    send(s, request(null, TypeUrls.LISTENER, List.of("reviews"), null));
    send(s, request(null, TypeUrls.ENDPOINT, List.of("outbound|9080|v1|reviews.default.svc.cluster.local"), null));
    send(s, request(null, TypeUrls.CLUSTER, List.of("outbound|9080|v1|reviews.default.svc.cluster.local"), null));
    sotw.forEach(r -> send(s, request(null, r.getTypeUrl(), names(r).isEmpty() ? List.of() : names(r), r)));
    sotw.clear();
    // one change touching clusters (a new policy), endpoints (v1 moves) and routes (the VirtualService goes)
    List<Instance> instances = new ArrayList<>(model.get().instances());
    instances.removeIf(i -> i.id().startsWith("reviews-v1"));
    instances.add(XdsFixtures.instance(new JsonObject().put("id", "reviews-v1b").put("tenant", "default").put("kind", "mesh")
        .put("labels", new JsonObject().put("zone", "z9"))
        .put("endpoints", new io.vertx.core.json.JsonArray().add(new JsonObject().put("plane", "default").put("address", "10.0.0.99")))
        .put("services", new io.vertx.core.json.JsonArray().add(new JsonObject().put("name", "reviews").put("version", "v1")
            .put("port", 9080).put("protocol", "grpc").put("planes", new io.vertx.core.json.JsonArray().add("default"))))));
    List<io.meridian.rules.Rule> rules = new ArrayList<>(model.get().rules());
    rules.removeIf(r -> r.name().equals("reviews"));
    rules.add(XdsFixtures.rule(new JsonObject("{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"DestinationRule\","
        + "\"metadata\":{\"name\":\"reviews\"},\"spec\":{\"host\":\"reviews\",\"trafficPolicy\":{\"loadBalancer\":"
        + "{\"simple\":\"LEAST_REQUEST\"}},\"subsets\":[{\"name\":\"v1\",\"labels\":{\"version\":\"v1\"}}]}}")));
    change(new Translator.Model(instances, rules));
    List<String> order = sotw.stream().map(r -> TypeUrls.shortName(r.getTypeUrl())).toList();
    assertThat(order).containsExactly("cds", "eds", "rds"); // the proxyless listener itself does not change
    ClusterLoadAssignment cla = unpack(sotw.get(1).getResources(0), ClusterLoadAssignment.class);
    assertThat(cla.getEndpointsList()).extracting(l -> l.getLocality().getZone()).containsExactly("z9");
  }

  @Test
  void aBurstOfChangesBecomesOnePush() {
    Session s = openSotw();
    send(s, request(SIDECAR, TypeUrls.CLUSTER, List.of(), null));
    send(s, request(null, TypeUrls.CLUSTER, List.of(), sotw.get(0)));
    Translator.Model base = model.get();
    onLoop(() -> {
      // ten changes within the window, ending with ledger gone
      for (int i = 0; i < 10; i++) {
        model.set(i % 2 == 0 ? without(base, "payments-0") : base);
        server.changed();
      }
      model.set(without(without(base, "ledger-0"), "ledger-1"));
      server.changed();
      return null;
    });
    sleep(300);
    assertThat(sotw).hasSize(2);
    assertThat(names(sotw.get(1))).doesNotContain("outbound|7000||ledger.shop.svc.cluster.local");
    assertThat(meters.get("meridian.xds.push.latency").timer().count()).isEqualTo(1);
  }

  @Test
  void deltaSendsOnlyWhatChangedAndNamesWhatWasRemoved() {
    Session s = openDelta();
    send(s, DeltaDiscoveryRequest.newBuilder().setNode(SIDECAR).setTypeUrl(TypeUrls.CLUSTER).build());
    assertThat(delta).hasSize(1);
    DeltaDiscoveryResponse first = delta.get(0);
    assertThat(first.getResourcesList()).hasSize(6).allMatch(r -> !r.getVersion().isEmpty());
    send(s, DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER).setResponseNonce(first.getNonce()).build());
    assertThat(delta).hasSize(1);

    change(without(without(model.get(), "ledger-0"), "ledger-1"));
    assertThat(delta).hasSize(2);
    assertThat(delta.get(1).getResourcesList()).isEmpty();
    assertThat(delta.get(1).getRemovedResourcesList()).containsExactly("outbound|7000||ledger.shop.svc.cluster.local");

    // EDS by name; one endpoint goes: only that assignment is sent again
    send(s, DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT)
        .addResourceNamesSubscribe("outbound|8080||orders.shop.svc.cluster.local")
        .addResourceNamesSubscribe("outbound|8443||payments.fin.svc.cluster.local").build());
    assertThat(delta).hasSize(3);
    assertThat(delta.get(2).getResourcesList()).hasSize(2);
    change(without(model.get(), "orders-1a2b"));
    DeltaDiscoveryResponse eds = delta.stream().filter(r -> r.getTypeUrl().equals(TypeUrls.ENDPOINT)).reduce((a, b) -> b).get();
    assertThat(eds.getResourcesList()).extracting(r -> r.getName()).containsExactly("outbound|8080||orders.shop.svc.cluster.local");
    // unsubscribing is not answered with resources
    int before = delta.size();
    send(s, DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT)
        .addResourceNamesUnsubscribe("outbound|8443||payments.fin.svc.cluster.local").build());
    assertThat(delta.size() - before).isLessThanOrEqualTo(1);
    assertThat(onLoop(s::status).getString("protocol")).isEqualTo("delta");
  }

  @Test
  void deltaReconnectWithKnownVersionsGetsOnlyWhatIsNew() {
    Session s = openDelta();
    send(s, DeltaDiscoveryRequest.newBuilder().setNode(SIDECAR).setTypeUrl(TypeUrls.CLUSTER).build());
    DeltaDiscoveryResponse first = delta.get(0);
    Map<String, String> versions = new java.util.TreeMap<>();
    first.getResourcesList().forEach(r -> versions.put(r.getName(), r.getVersion()));
    versions.remove("outbound|8443||payments.fin.svc.cluster.local");
    versions.put("outbound|9999||gone.shop.svc.cluster.local", "abc");
    delta.clear();
    Session again = openDelta();
    send(again, DeltaDiscoveryRequest.newBuilder().setNode(SIDECAR).setTypeUrl(TypeUrls.CLUSTER)
        .putAllInitialResourceVersions(versions).build());
    assertThat(delta).hasSize(1);
    assertThat(delta.get(0).getResourcesList()).extracting(r -> r.getName()).containsExactly("outbound|8443||payments.fin.svc.cluster.local");
    assertThat(delta.get(0).getRemovedResourcesList()).containsExactly("outbound|9999||gone.shop.svc.cluster.local");
  }

  @Test
  void aBadNodeIsRefusedWithTheKeyNamed() {
    Session s = openSotw();
    assertThatThrownBy(() -> send(s, request(null, TypeUrls.CLUSTER, List.of(), null)))
        .hasMessageContaining("must carry the node");
    Session t = openSotw();
    assertThatThrownBy(() -> send(t, request(XdsFixtures.node("x", Map.of("role", "router")), TypeUrls.CLUSTER, List.of(), null)))
        .hasMessageContaining("node.metadata.role");
    Session u = openSotw();
    assertThatThrownBy(() -> send(u, request(XdsFixtures.node("x", Map.of("plane", "Data Plane")), TypeUrls.CLUSTER, List.of(), null)))
        .hasMessageContaining("node.metadata.plane");
    Session v = openSotw();
    assertThatThrownBy(() -> send(v, request(XdsFixtures.node("x", Map.of("labels", "zone=a")), TypeUrls.CLUSTER, List.of(), null)))
        .hasMessageContaining("node.metadata.labels");
  }

  @Test
  void nothingIsSentBeforeTheModelIsLoaded() throws Exception {
    XdsServer cold = onLoop(() -> new XdsServer(vertx, Duration.ofMillis(50), model::get, new SimpleMeterRegistry()));
    Session s = onLoop(() -> cold.open(sotw::add, null));
    send(s, request(SIDECAR, TypeUrls.CLUSTER, List.of(), null));
    assertThat(sotw).isEmpty();
    onLoop(() -> {
      cold.start();
      return null;
    });
    assertThat(sotw).hasSize(1);
  }

  @Test
  void clientSideChecksCatchWhatGrpcXdsRejects() {
    HttpConnectionManager noRouter = HttpConnectionManager.newBuilder().setStatPrefix("x").build();
    Listener l = Listener.newBuilder().setName("x").setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(noRouter))).build();
    assertThat(Snapshot.check(l)).contains("router");
    assertThat(Snapshot.check(Cluster.newBuilder().setName("c").setType(Cluster.DiscoveryType.EDS).build())).contains("eds_config");
    assertThat(Snapshot.check(ClusterLoadAssignment.newBuilder().setClusterName("c")
        .addEndpoints(LocalityLbEndpoints.newBuilder()).build())).contains("weight 0");
    assertThat(Snapshot.check(RouteConfiguration.newBuilder().setName("r").build())).contains("domains");
    assertThat(Snapshot.check(Listener.newBuilder().setName("0.0.0.0_1").build())).contains("filter chains");
  }

  static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
