package io.meridian.common.events;


import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.Addresses;
import io.meridian.registry.RegistryClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Verifies the follower's protocol against a scripted registry peer on the bus: buffered
 * events before the snapshot, duplicates dropped, gaps filled from the {@code events} action,
 * and a reset when the peer no longer keeps the missing events.
 */
class EventFollowerTest {

  Vertx vertx;
  final List<Long> delivered = new CopyOnWriteArrayList<>();
  final List<Long> resets = new CopyOnWriteArrayList<>();
  /** Events the scripted registry still keeps (it answers "events since" from these). */
  volatile long keptFrom = 1;
  final AtomicLong catchUps = new AtomicLong();

  static JsonObject event(long index) {
    return new JsonObject().put("index", index).put("type", "updated").put("tenant", "default").put("id", "i" + index)
        .put("services", new JsonArray()).put("instance", new JsonObject().put("id", "i" + index));
  }

  static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY, message -> {
      long since = message.body().getLong("since");
      catchUps.incrementAndGet();
      if (since + 1 < keptFrom) {
        message.reply(new JsonObject().put("index", 100).put("reset", true));
        return;
      }
      JsonArray events = new JsonArray();
      LongStream.rangeClosed(since + 1, 10).forEach(i -> events.add(event(i)));
      message.reply(new JsonObject().put("index", 10).put("events", events).put("more", false));
    }).completion());
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  private EventFollower follower() throws Exception {
    EventFollower[] holder = new EventFollower[1];
    await(vertx.getOrCreateContext().executeBlocking(() -> null).compose(v -> {
      RegistryClient client = new RegistryClient(vertx);
      holder[0] = new EventFollower(vertx, Addresses.REGISTRY_EVENTS, client::events, e -> delivered.add(e.getLong("index")),
          resets::add);
      return holder[0].ready();
    }));
    return holder[0];
  }

  private void waitFor(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (delivered.size() + resets.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void deliversEachIndexOnceInOrderAndFillsGaps() throws Exception {
    EventFollower follower = follower();
    // published before the snapshot position is known: buffered
    vertx.eventBus().publish(Addresses.REGISTRY_EVENTS, event(3));
    vertx.eventBus().publish(Addresses.REGISTRY_EVENTS, event(4));
    Thread.sleep(100);
    assertThat(delivered).isEmpty();
    vertx.runOnContext(v -> follower.begin(3));
    // a duplicate, then a jump from 4 to 7: 5 and 6 come from the registry
    vertx.eventBus().publish(Addresses.REGISTRY_EVENTS, event(4));
    vertx.eventBus().publish(Addresses.REGISTRY_EVENTS, event(7));
    waitFor(7);
    assertThat(delivered).startsWith(4L, 5L, 6L, 7L).doesNotHaveDuplicates().isSorted();
    assertThat(delivered.get(delivered.size() - 1)).isEqualTo(10L);
    assertThat(catchUps.get()).isPositive();
  }

  @Test
  void resetsWhenTheMissingEventsAreNoLongerKept() throws Exception {
    keptFrom = 50;
    EventFollower follower = follower();
    vertx.runOnContext(v -> follower.begin(3));
    waitFor(1);
    assertThat(resets).containsExactly(100L);
    assertThat(delivered).isEmpty();
    assertThat(follower.position()).isEqualTo(-1);
  }
}
