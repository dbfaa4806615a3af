package io.meridian.telemetry.impl.trace;

import static io.meridian.telemetry.impl.trace.Spans.id;
import static io.meridian.telemetry.impl.trace.Spans.span;
import static io.meridian.telemetry.impl.trace.Spans.trace;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The export queue: bound, batches, retries, counters. */
class SpanExporterTest {

  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A transport whose answers the test gives: each send waits for its promise. */
  static final class Scripted implements SpanExporter.Transport {
    final List<List<Span>> batches = new CopyOnWriteArrayList<>();
    final List<Promise<Void>> pending = new CopyOnWriteArrayList<>();

    @Override
    public String kind() {
      return "test";
    }

    @Override
    public String endpoint() {
      return "http://test";
    }

    @Override
    public Future<Void> send(List<Span> batch) {
      batches.add(batch);
      Promise<Void> p = Promise.promise();
      pending.add(p);
      return p.future();
    }

    @Override
    public Future<Void> close() {
      return Future.succeededFuture();
    }
  }

  private static List<Span> spans(int n, int from) {
    List<Span> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(span(trace(from + i), id(0), null, "svc", "op", i, 1));
    }
    return list;
  }

  private double count(String name) {
    return meters.get(name).tag("exporter", "test").counter().count();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void verifiesThatSpansBeyondTheQueueAreDroppedAndCountedWhileABatchIsInFlight() throws Exception {
    Scripted transport = new Scripted();
    SpanExporter exporter = new SpanExporter(vertx, transport, 10, 25, 0, meters);
    exporter.offer(spans(10, 0));            // a full batch: sent at once, stays in flight
    await("the first batch", () -> transport.batches.size() == 1);
    exporter.offer(spans(30, 100));          // 25 fit in the queue, 5 dropped
    assertThat(exporter.queued()).isEqualTo(25);
    assertThat(count("meridian.telemetry.export.dropped")).isEqualTo(5);
    exporter.offer(spans(1, 200));           // full: dropped
    assertThat(count("meridian.telemetry.export.dropped")).isEqualTo(6);
    assertThat(transport.batches).hasSize(1);  // one batch in flight at a time

    transport.pending.get(0).complete();
    await("the queued batches", () -> transport.batches.size() == 2);
    transport.pending.get(1).complete();
    await("the third batch", () -> transport.batches.size() == 3);
    transport.pending.get(2).complete();
    await("the last, partial batch", () -> transport.batches.size() == 4);
    transport.pending.get(3).complete();
    await("all exported", () -> count("meridian.telemetry.export.exported") == 35);
    assertThat(transport.batches.stream().map(List::size)).containsExactly(10, 10, 10, 5);
    assertThat(transport.batches.get(1).get(0).traceId()).isEqualTo(trace(100));
    assertThat(count("meridian.telemetry.export.failed")).isZero();
    assertThat(meters.get("meridian.telemetry.export.queued").gauge().value()).isZero();
  }

  @Test
  void verifiesThatARetryableFailureIsRetriedAndAPermanentOneIsCountedAsFailed() throws Exception {
    Scripted transport = new Scripted();
    SpanExporter exporter = new SpanExporter(vertx, transport, 4, 100, 2, meters);
    exporter.offer(spans(4, 0));
    await("the first attempt", () -> transport.batches.size() == 1);
    transport.pending.get(0).fail(new SpanExporter.ExportException("HTTP 503", true));
    await("the retry", () -> transport.batches.size() == 2);
    assertThat(transport.batches.get(1)).isEqualTo(transport.batches.get(0));
    transport.pending.get(1).complete();
    await("exported", () -> count("meridian.telemetry.export.exported") == 4);

    exporter.offer(spans(4, 10));
    await("the next batch", () -> transport.batches.size() == 3);
    transport.pending.get(2).fail(new SpanExporter.ExportException("HTTP 400 bad span", false));
    await("failed", () -> count("meridian.telemetry.export.failed") == 4);
    assertThat(transport.batches).hasSize(3);

    exporter.offer(spans(4, 20));   // retries run out: 1 + 2 attempts
    for (int attempt = 0; attempt < 3; attempt++) {
      int n = 4 + attempt;
      await("attempt " + attempt, () -> transport.batches.size() == n);
      transport.pending.get(n - 1).fail(new SpanExporter.ExportException("connection refused", true));
    }
    await("failed after retries", () -> count("meridian.telemetry.export.failed") == 8);
    assertThat(transport.batches).hasSize(6);
  }

  @Test
  void verifiesThatAPartialBatchLeavesAfterTheFlushDelay() throws Exception {
    Scripted transport = new Scripted();
    SpanExporter exporter = new SpanExporter(vertx, transport, 100, 1000, 0, meters);
    exporter.offer(spans(3, 0));
    await("the partial batch", () -> transport.batches.size() == 1);
    assertThat(transport.batches.get(0)).hasSize(3);
  }
}
