package io.meridian.ui;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** A server-sent-events reader for tests: collects every event of one stream in order. */
final class SseClient implements AutoCloseable {

  record Event(String name, JsonObject data) {
  }

  final int status;
  private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
  private final List<Event> seen = new ArrayList<>();
  private final Stream<String> lines;
  private final Thread reader;
  private volatile boolean ended;

  private SseClient(HttpResponse<Stream<String>> response) {
    this.status = response.statusCode();
    this.lines = response.body();
    this.reader = new Thread(this::read, "sse-test-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Opens {@code url}; {@code token} as a bearer header unless {@code null}. */
  static SseClient open(HttpClient http, String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return new SseClient(http.send(b.build(), HttpResponse.BodyHandlers.ofLines()));
  }

  private void read() {
    String name = "message";
    StringBuilder data = new StringBuilder();
    try {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.isEmpty()) {
          if (data.length() > 0) {
            queue.add(new Event(name, new JsonObject(data.toString())));
          }
          name = "message";
          data.setLength(0);
        } else if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
    } catch (RuntimeException e) {
      // closed by the test
    } finally {
      ended = true;
      queue.add(new Event("<end>", new JsonObject()));
    }
  }

  /** The next event matching {@code filter} within {@code seconds} (events before it are kept in {@link #seen}). */
  Event next(Predicate<Event> filter, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      long left = deadline - System.nanoTime();
      Event e = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("no matching event within " + seconds + " s; seen " + seen.size() + " events");
      }
      seen.add(e);
      if (filter.test(e)) {
        return e;
      }
    }
  }

  Event next(String name, long seconds) throws InterruptedException {
    return next(e -> e.name().equals(name), seconds);
  }

  /** Every event read so far (drains what has arrived). */
  List<Event> seen() {
    queue.drainTo(seen);
    return seen;
  }

  boolean ended() {
    return ended;
  }

  @Override
  public void close() {
    lines.close();
  }
}
