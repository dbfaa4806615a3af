package io.meridian.telemetry.impl.trace;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports spans to one destination through a bounded queue: {@link #offer} never blocks and
 * drops what does not fit (counted in {@code meridian.telemetry.export.dropped}); batches of at
 * most {@code batchSize} spans go out one at a time, as soon as a batch is full or
 * {@link #FLUSH_DELAY} after the first span waits; a failed batch is retried {@code retries}
 * times with exponential backoff when the failure may pass ({@link ExportException#retryable}),
 * then counted as failed. Everything runs on Vert.x timers and the transport's non-blocking
 * client.
 */
public final class SpanExporter {

  /** How long a span may wait for its batch to fill. */
  public static final Duration FLUSH_DELAY = Duration.ofMillis(500);
  /** The first retry's delay; doubled for each further one, at most {@link #MAX_BACKOFF}. */
  public static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  public static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.telemetry.export");

  /** Sends one batch; fails with an {@link ExportException} saying whether a retry may help. */
  public interface Transport {
    /** Short kind for meters and logs: {@code zipkin}, {@code otlp}. */
    String kind();

    /** Where to, for meters and logs. */
    String endpoint();

    Future<Void> send(List<Span> batch);

    Future<Void> close();
  }

  /** A failed export: {@code retryable} when trying again later may succeed (5xx, 429, timeouts, connection errors). */
  public static final class ExportException extends RuntimeException {
    private final boolean retryable;

    public ExportException(String message, boolean retryable) {
      super(message, null, false, false);
      this.retryable = retryable;
    }

    public boolean retryable() {
      return retryable;
    }
  }

  private final Vertx vertx;
  private final Transport transport;
  private final int batchSize;
  private final int queueSize;
  private final int retries;
  private final ArrayDeque<Span> queue = new ArrayDeque<>();
  private final Counter exported;
  private final Counter failed;
  private final Counter dropped;
  private boolean sending;
  private long timer = -1;
  private boolean closed;

  public SpanExporter(Vertx vertx, Transport transport, int batchSize, int queueSize, int retries, MeterRegistry meters) {
    this.vertx = vertx;
    this.transport = transport;
    this.batchSize = batchSize;
    this.queueSize = queueSize;
    this.retries = retries;
    Tags tags = Tags.of("exporter", transport.kind(), "endpoint", transport.endpoint());
    this.exported = Counter.builder("meridian.telemetry.export.exported").description("Spans exported")
        .tags(tags).register(meters);
    this.failed = Counter.builder("meridian.telemetry.export.failed")
        .description("Spans given up on after the last retry").tags(tags).register(meters);
    this.dropped = Counter.builder("meridian.telemetry.export.dropped")
        .description("Spans dropped because the export queue was full").tags(tags).register(meters);
    Gauge.builder("meridian.telemetry.export.queued", this, SpanExporter::queued).description("Spans waiting for export")
        .tags(tags).register(meters);
  }

  /** Queues spans for export; those beyond the queue's capacity are dropped and counted. Never blocks. */
  public void offer(List<Span> spans) {
    int drop = 0;
    synchronized (this) {
      if (closed) {
        drop = spans.size();
      } else {
        for (Span s : spans) {
          if (queue.size() < queueSize) {
            queue.add(s);
          } else {
            drop++;
          }
        }
      }
    }
    if (drop > 0) {
      dropped.increment(drop);
    }
    schedule();
  }

  /** Spans waiting. */
  public synchronized int queued() {
    return queue.size();
  }

  /** Stops taking spans, tries to send what is queued once (no retries), then closes the transport. */
  public Future<Void> close() {
    List<Span> rest;
    synchronized (this) {
      closed = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      rest = new ArrayList<>(queue);
      queue.clear();
    }
    Future<Void> last = rest.isEmpty() ? Future.succeededFuture()
        : transport.send(rest).onSuccess(v -> exported.increment(rest.size())).onFailure(e -> failed.increment(rest.size()));
    return last.recover(e -> Future.succeededFuture()).compose(v -> transport.close());
  }

  private void schedule() {
    List<Span> batch = null;
    synchronized (this) {
      if (sending || closed || queue.isEmpty()) {
        return;
      }
      if (queue.size() >= batchSize) {
        batch = take();
      } else if (timer < 0) {
        timer = vertx.setTimer(FLUSH_DELAY.toMillis(), id -> {
          List<Span> due;
          synchronized (this) {
            timer = -1;
            due = sending || closed || queue.isEmpty() ? null : take();
          }
          if (due != null) {
            send(due, 0);
          }
        });
      }
    }
    if (batch != null) {
      send(batch, 0);
    }
  }

  /** Takes the next batch and marks one in flight (holding the lock). */
  private List<Span> take() {
    List<Span> batch = new ArrayList<>(Math.min(batchSize, queue.size()));
    while (batch.size() < batchSize && !queue.isEmpty()) {
      batch.add(queue.poll());
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    sending = true;
    return batch;
  }

  private void send(List<Span> batch, int attempt) {
    Future<Void> sent;
    try {
      sent = transport.send(batch);
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> {
      if (ar.succeeded()) {
        exported.increment(batch.size());
        done();
        return;
      }
      Throwable cause = ar.cause();
      boolean retryable = !(cause instanceof ExportException ee) || ee.retryable();
      boolean stopping;
      synchronized (this) {
        stopping = closed;
      }
      if (retryable && attempt < retries && !stopping) {
        long delay = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt, 20));
        LOG.debug("export of {} spans to {} failed ({}); retry {} in {} ms", batch.size(), transport.endpoint(),
            cause.getMessage(), attempt + 1, delay);
        vertx.setTimer(delay, id -> send(batch, attempt + 1));
      } else {
        failed.increment(batch.size());
        LOG.warn("export of {} spans to {} failed after {} attempt(s): {}", batch.size(), transport.endpoint(), attempt + 1,
            cause.getMessage());
        done();
      }
    });
  }

  private void done() {
    synchronized (this) {
      sending = false;
    }
    schedule();
  }
}
