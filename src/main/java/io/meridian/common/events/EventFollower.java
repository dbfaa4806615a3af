package io.meridian.common.events;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Follows an indexed event stream (the registry's, the rules') without gaps or duplicates,
 * from a known index.
 *
 * <p>Protocol (for any consumer, on any node):
 * <ol>
 *   <li>subscribe to the events address first ({@link #ready()}); events are buffered while
 *       the position is unknown;</li>
 *   <li>load a snapshot — its reply carries the index {@code N} it reflects — and call
 *       {@link #begin(long) begin(N)};</li>
 *   <li>events {@code <= N} are dropped, events {@code N+1, N+2, …} are delivered in order;
 *       when an index is skipped (a message lost between nodes, or the subscription started
 *       late), the missing events are fetched from the owner ({@code since});</li>
 *   <li>when the owner no longer keeps them, {@code onReset} is called with the current
 *       index: the consumer reloads its snapshot and calls {@code begin} again.</li>
 * </ol>
 * Events are JSON objects with an {@code index}; {@code since(n)} answers
 * {@code {"index", "events", "more"}} or {@code {"index", "reset": true}}. All callbacks run on
 * the context that created the follower.
 */
public final class EventFollower {

  /** Events buffered ahead of a gap before the follower gives up and resets. */
  static final int MAX_BUFFER = 100_000;

  private final Vertx vertx;
  private final Function<Long, Future<JsonObject>> since;
  private final Handler<JsonObject> onEvent;
  private final Handler<Long> onReset;
  private final MessageConsumer<JsonObject> consumer;
  private final TreeMap<Long, JsonObject> buffer = new TreeMap<>();
  private long last = -1;
  private boolean catchingUp;
  private boolean closed;

  /**
   * @param address the events address (e.g. {@code Addresses.REGISTRY_EVENTS})
   * @param since   asks the owner for the events after an index
   * @param onEvent receives each event in index order
   * @param onReset receives the owner's current index when events were lost for good
   */
  public EventFollower(Vertx vertx, String address, Function<Long, Future<JsonObject>> since, Handler<JsonObject> onEvent,
      Handler<Long> onReset) {
    this.vertx = vertx;
    this.since = since;
    this.onEvent = onEvent;
    this.onReset = onReset;
    this.consumer = vertx.eventBus().consumer(address, message -> offer(message.body()));
  }

  /** Completes when the subscription is in place (cluster-wide). */
  public Future<Void> ready() {
    return consumer.completion();
  }

  /** Sets the position: the index of the snapshot the consumer holds. */
  public void begin(long index) {
    last = index;
    buffer.headMap(index, true).clear();
    catchUp();
  }

  /** The index of the last event delivered (or begun at); -1 before {@link #begin}. */
  public long position() {
    return last;
  }

  public Future<Void> close() {
    closed = true;
    buffer.clear();
    return consumer.unregister();
  }

  private void offer(JsonObject event) {
    if (closed) {
      return;
    }
    long index = event.getLong("index");
    if (last < 0 || index > last + 1 || catchingUp) {
      if (index > last) {
        buffer.put(index, event);
      }
      if (buffer.size() > MAX_BUFFER) {
        reset(index);
      } else if (last >= 0 && !catchingUp) {
        catchUp();
      }
      return;
    }
    if (index <= last) {
      return;
    }
    deliver(event);
    flush();
  }

  private void flush() {
    buffer.headMap(last, true).clear();
    while (!buffer.isEmpty() && buffer.firstKey() == last + 1) {
      deliver(buffer.pollFirstEntry().getValue());
    }
    if (!buffer.isEmpty()) {
      catchUp();
    }
  }

  private void catchUp() {
    if (catchingUp || closed || last < 0) {
      return;
    }
    catchingUp = true;
    long from = last;
    since.apply(from).onComplete(ar -> {
      catchingUp = false;
      if (closed) {
        return;
      }
      if (ar.failed()) {
        vertx.setTimer(1000, t -> catchUp());
        return;
      }
      JsonObject reply = ar.result();
      if (reply.getBoolean("reset", false)) {
        reset(reply.getLong("index"));
        return;
      }
      JsonArray events = reply.getJsonArray("events");
      for (int i = 0; i < events.size(); i++) {
        JsonObject event = events.getJsonObject(i);
        if (event.getLong("index") == last + 1) {
          deliver(event);
        }
      }
      if (reply.getBoolean("more", false)) {
        catchUp();
      } else {
        flush();
      }
    });
  }

  private void reset(long currentIndex) {
    buffer.clear();
    last = -1;
    onReset.handle(currentIndex);
  }

  private void deliver(JsonObject event) {
    last = event.getLong("index");
    onEvent.handle(event);
  }
}
