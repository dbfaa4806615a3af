package io.meridian.registry;

import io.meridian.testing.Examples;
import static io.meridian.registry.RegistryTestNode.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.meridian.common.Addresses;
import io.meridian.common.config.RegistryOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.net.Cidr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the registry's bus contract against the real verticle and store. */
class RegistryBusTest {

  static final RegistryOptions PLANES = new RegistryOptions(true, List.of(
      new RegistryOptions.Plane("data", List.of(Cidr.parse("10.0.0.0/8"))),
      new RegistryOptions.Plane("mgmt", List.of(Cidr.parse("192.168.0.0/16")))), 64 * 1024, 64, 10_000);

  static final String ORDERS = Examples.orders();

  @TempDir
  Path dir;

  Vertx vertx;
  RegistryTestNode node;
  final List<JsonObject> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    node = RegistryTestNode.start(vertx, dir, PLANES);
    await(vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> events.add(m.body())).completion());
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    await(vertx.close());
  }

  static String instance(String id, String tenant, String service, String address, String health) {
    return "{\"id\":\"" + id + "\",\"tenant\":\"" + tenant + "\",\"endpoints\":[{\"plane\":\"data\",\"address\":\"" + address
        + "\"}],\"services\":[{\"name\":\"" + service + "\",\"port\":8080}]" + (health == null ? "" : ",\"health\":" + health) + "}";
  }

  private void awaitEvents(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (events.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(events).hasSizeGreaterThanOrEqualTo(count);
  }

  @Test
  void changesArePublishedInIndexOrderWithoutGaps() throws Exception {
    JsonObject created = node.register(ORDERS);
    assertThat(created.getBoolean("created")).isTrue();
    JsonObject instance = created.getJsonObject("instance");
    assertThat(instance.getLong("revision")).isEqualTo(1);
    long first = instance.getLong("modifyIndex");

    node.register(instance("pay-1", "shop", "pay", "10.2.0.1", null));
    JsonObject updated = node.register(ORDERS.replace("\"zone\": \"a\"", "\"zone\": \"b\""));
    assertThat(updated.getBoolean("created")).isFalse();
    assertThat(updated.getJsonObject("instance").getLong("revision")).isEqualTo(2);
    await(node.client.deregister("pay-1", RegistryTestNode.OPERATOR));

    awaitEvents(4);
    assertThat(events).extracting(e -> e.getLong("index")).containsExactly(first, first + 1, first + 2, first + 3);
    assertThat(events).extracting(e -> e.getString("type")).containsExactly("registered", "registered", "updated", "deregistered");
    assertThat(events.get(3).getString("reason")).isEqualTo("deregistered by tester");
  }

  @Test
  void reRegisteringTheSameDocumentChangesNothing() throws Exception {
    node.register(ORDERS);
    JsonObject again = node.register(ORDERS);
    assertThat(again.getBoolean("changed")).isFalse();
    assertThat(again.getJsonObject("instance").getLong("revision")).isEqualTo(1);
    Thread.sleep(200);
    assertThat(events).hasSize(1);
  }

  @Test
  void anIdBelongsToOneTenant() throws Exception {
    node.register(instance("x-1", "shop", "x", "10.0.0.1", null));
    ApiException e = catchThrowableOfType(ApiException.class, () -> node.register(instance("x-1", "other", "x", "10.0.0.1", null)));
    assertThat(e.status()).isEqualTo(409);
  }

  @Test
  void endpointsAreResolvedForOnePlaneOnly() throws Exception {
    node.register(ORDERS);
    JsonObject data = await(node.client.endpoints("orders", "shop", "data", null, true, 0, null));
    assertThat(data.getJsonArray("endpoints")).hasSize(1);
    assertThat(data.getJsonArray("endpoints").getJsonObject(0).getString("hostPort")).isEqualTo("10.1.0.5:8080");
    JsonObject mgmt = await(node.client.endpoints("orders", "shop", "mgmt", null, true, 0, null));
    assertThat(mgmt.getJsonArray("endpoints")).isEmpty();
    assertThat(await(node.client.endpoints("orders-admin", "shop", "mgmt", null, true, 0, null)).encode())
        .contains("192.168.5.5:9090").doesNotContain("10.1.0.5");
    assertThat(catchThrowableOfType(ApiException.class,
        () -> await(node.client.endpoints("orders", "shop", null, null, true, 0, null))).field()).isEqualTo("plane");
  }

  @Test
  void ttlExpiryMarksCriticalThenDeregistersAndHeartbeatsRevive() throws Exception {
    node.register(instance("t-1", "shop", "t", "10.0.0.1", "{\"ttl\":\"1s\",\"deregisterAfter\":\"2s\"}"));
    await(node.client.heartbeat("t-1", null, null, RegistryTestNode.OPERATOR));
    awaitEvents(2);
    assertThat(events.get(1).getString("type")).isEqualTo("health");
    assertThat(events.get(1).getJsonObject("instance").getJsonObject("status").getString("state")).isEqualTo("critical");
    assertThat(events.get(1).getString("reason")).contains("TTL of 1s expired");
    assertThat(await(node.client.endpoints("t", "shop", "data", null, true, 0, null)).getJsonArray("endpoints")).isEmpty();
    assertThat(await(node.client.endpoints("t", "shop", "data", null, false, 0, null)).getJsonArray("endpoints")).hasSize(1);

    JsonObject beat = await(node.client.heartbeat("t-1", null, null, RegistryTestNode.OPERATOR));
    assertThat(beat.getJsonObject("status").getString("state")).isEqualTo("passing");
    awaitEvents(3);
    assertThat(events.get(2).getJsonObject("instance").getJsonObject("status").getString("state")).isEqualTo("passing");

    awaitEvents(5); // critical again after 1 s, deregistered 2 s later
    assertThat(events.get(4).getString("type")).isEqualTo("deregistered");
    assertThat(events.get(4).getString("reason")).contains("deregisterAfter (2s)");
    assertThat(catchThrowableOfType(ApiException.class, () -> await(node.client.get("t-1"))).status()).isEqualTo(404);
  }

  @Test
  void heartbeatsNeedATtlPolicyAndAKnownInstance() throws Exception {
    node.register(instance("n-1", "shop", "n", "10.0.0.1", null));
    assertThat(catchThrowableOfType(ApiException.class,
        () -> await(node.client.heartbeat("n-1", null, null, RegistryTestNode.OPERATOR))).status()).isEqualTo(409);
    assertThat(catchThrowableOfType(ApiException.class,
        () -> await(node.client.heartbeat("ghost", null, null, RegistryTestNode.OPERATOR))).status()).isEqualTo(404);
  }

  @Test
  void blockingQueriesWakeOnlyForWhatTheyWatch() throws Exception {
    node.register(ORDERS);
    JsonObject initial = await(node.client.endpoints("orders", "shop", "data", null, true, 0, null));
    long index = initial.getLong("index");
    Future<JsonObject> watching = node.client.endpoints("orders", "shop", "data", null, true, index, Duration.ofSeconds(20));
    node.register(instance("pay-1", "shop", "pay", "10.2.0.1", null));
    node.register(instance("orders-x", "other", "orders", "10.2.0.2", null));
    Thread.sleep(300);
    assertThat(watching.isComplete()).as("unrelated changes do not wake the query").isFalse();
    node.register(instance("orders-2", "shop", "orders", "10.1.0.6", null));
    JsonObject woken = watching.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(woken.getLong("index")).isGreaterThan(index);
    assertThat(woken.getJsonArray("endpoints")).hasSize(2);
    // an index older than a matching change answers at once
    assertThat(await(node.client.services("shop", index, Duration.ofSeconds(20))).getJsonArray("services")).isNotEmpty();
  }

  @Test
  void aBlockingQueryAnswersWhenItsWaitIsOver() throws Exception {
    node.register(ORDERS);
    long index = await(node.client.instances(null, null, null, null, 0, null)).getLong("index");
    JsonObject same = await(node.client.instances(null, null, null, null, index, Duration.ofMillis(300)));
    assertThat(same.getLong("index")).isEqualTo(index);
  }

  @Test
  void registrationsAndTheIndexSurviveARestart() throws Exception {
    node.register(ORDERS);
    node.register(instance("pay-1", "shop", "pay", "10.2.0.1", null));
    long before = await(node.client.instances(null, null, null, null, 0, null)).getLong("index");
    node.close();
    node = RegistryTestNode.start(vertx, dir, PLANES);
    JsonObject after = await(node.client.instances(null, null, null, null, 0, null));
    assertThat(after.getJsonArray("instances")).extracting(i -> ((JsonObject) i).getString("id"))
        .containsExactly("orders-7f9c", "pay-1");
    assertThat(after.getLong("index")).isGreaterThanOrEqualTo(before);
    JsonObject next = node.register(instance("pay-2", "shop", "pay", "10.2.0.2", null));
    assertThat(next.getJsonObject("instance").getLong("modifyIndex")).isGreaterThan(before);
    JsonObject orders = await(node.client.get("orders-7f9c")).getJsonObject("instance");
    assertThat(orders.getJsonObject("status").getString("state")).isEqualTo("passing");
    assertThat(orders.getJsonObject("status").getString("output")).isEqualTo("registry restarted");
  }

  @Test
  void theScopedViewFollowsConcurrentWritersExactly() throws Exception {
    Scope dataOfShop = new Scope(java.util.Set.of("shop"), java.util.Set.of("data"), null, java.util.Map.of(), false);
    RegistryView view = await(vertx.getOrCreateContext().<RegistryView>executeBlocking(() -> null)
        .compose(v -> RegistryView.follow(vertx, dataOfShop)));
    List<Long> seen = Collections.synchronizedList(new ArrayList<>());
    view.onChange(e -> seen.add(e.index()));

    List<Future<?>> writes = new ArrayList<>();
    for (int writer = 0; writer < 4; writer++) {
      int w = writer;
      writes.add(vertx.executeBlocking(() -> {
        for (int i = 0; i < 60; i++) {
          String id = "w" + w + "-" + (i % 15);
          String tenant = i % 3 == 0 ? "other" : "shop";
          if (i % 4 == 3) {
            try {
              await(node.client.deregister(id, RegistryTestNode.OPERATOR));
            } catch (ApiException notThere) {
              // registered in the other tenant or already gone
            }
          } else {
            try {
              node.register(instance(id, tenant, "svc" + (i % 5), "10.3." + w + "." + i, null));
            } catch (ApiException conflict) {
              // the id lives in the other tenant
            }
          }
        }
        return null;
      }, false));
    }
    await(Future.all(writes));
    long finalIndex = await(node.client.instances(null, null, null, null, 0, null)).getLong("index");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (view.index() < finalIndex && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(view.index()).isEqualTo(finalIndex);
    JsonObject truth = await(node.client.view(dataOfShop, 0, null));
    List<String> expected = truth.getJsonArray("instances").stream().map(i -> ((JsonObject) i).encode()).sorted().toList();
    List<String> actual = await(vertx.getOrCreateContext().executeBlocking(() ->
        view.instances().values().stream().map(i -> i.toJson().encode()).sorted().toList()));
    assertThat(actual).isEqualTo(expected);
    assertThat(seen).doesNotHaveDuplicates().isSorted();
    await(view.close());
  }
}
