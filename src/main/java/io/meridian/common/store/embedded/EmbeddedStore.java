package io.meridian.common.store.embedded;

import io.meridian.common.store.Store;
import io.meridian.common.store.StoreException;
import io.meridian.common.store.WriteBatch;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.StringDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link Store}: an H2 MVStore file in the data directory, written by one thread
 * with group commit.
 *
 * <p>Callers enqueue batches; the writer thread takes every batch waiting, applies them,
 * commits once (MVStore appends a checksummed chunk) and fsyncs once, then completes all
 * their futures. Under load many batches share one fsync, so throughput does not pay one
 * disk flush per write. After a crash MVStore opens at the newest complete chunk: a torn
 * chunk is ignored, and every acknowledged batch was in a synced chunk.
 *
 * <p>Meters: {@code meridian.store.commits} (timer, commit + fsync),
 * {@code meridian.store.batches} (batches per commit), {@code meridian.store.writes}
 * (operations written), {@code meridian.store.failures}.
 */
public final class EmbeddedStore implements Store {

  /** File name of the store inside the data directory. */
  public static final String FILE_NAME = "meridian.mv";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStore.class);
  private static final int MAX_GROUP = 1024;

  private record Pending(List<WriteBatch.Op> ops, CompletableFuture<Void> done) {
  }

  /** Queued by {@link #close()} after the last write; the writer stops when it takes it. */
  private static final Pending STOP = new Pending(List.of(), new CompletableFuture<>());

  private final Path file;
  private final MVStore mv;
  private final Map<String, MVMap<String, String>> maps = new ConcurrentHashMap<>();
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final Timer commitTimer;
  private final DistributionSummary batchesPerCommit;
  private final Counter writes;
  private final Counter failures;
  private final Object closeLock = new Object();
  private volatile boolean closed;
  private volatile Throwable fatal;

  private EmbeddedStore(Path file, MVStore mv, MeterRegistry meters) {
    this.file = file;
    this.mv = mv;
    MeterRegistry registry = meters == null ? new SimpleMeterRegistry() : meters;
    this.commitTimer = Timer.builder("meridian.store.commits")
        .description("Store commits including fsync").publishPercentileHistogram(false).register(registry);
    this.batchesPerCommit = DistributionSummary.builder("meridian.store.batches")
        .description("Write batches carried by one commit (group commit)").register(registry);
    this.writes = Counter.builder("meridian.store.writes").description("Store operations written").register(registry);
    this.failures = Counter.builder("meridian.store.failures").description("Store commits that failed").register(registry);
    this.writer = new Thread(this::writeLoop, "meridian-store-writer");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  /**
   * Opens (creating if needed) the store in {@code dataDir}.
   *
   * @param meters where to register the store's meters, or {@code null}
   * @throws StoreException when the directory cannot be created, the file is locked by another
   *                        process, or the file is not a readable store
   */
  public static EmbeddedStore open(Path dataDir, MeterRegistry meters) {
    try {
      Files.createDirectories(dataDir);
    } catch (Exception e) {
      throw new StoreException("cannot create data directory " + dataDir + ": " + e.getMessage(), e);
    }
    Path file = dataDir.resolve(FILE_NAME);
    MVStore mv;
    try {
      mv = new MVStore.Builder()
          .fileName(file.toString())
          .autoCommitDisabled()
          .cacheSize(16)
          .open();
    } catch (MVStoreException e) {
      int code = e.getErrorCode();
      if (code == DataUtils.ERROR_FILE_LOCKED) {
        throw new StoreException("store " + file + " is locked: another Meridian process uses data directory " + dataDir, e);
      }
      if (code == DataUtils.ERROR_FILE_CORRUPT || code == DataUtils.ERROR_UNSUPPORTED_FORMAT) {
        throw new StoreException("store " + file + " is not a readable Meridian store: " + firstLine(e.getMessage()), e);
      }
      throw new StoreException("cannot open store " + file + ": " + firstLine(e.getMessage()), e);
    } catch (IllegalStateException e) {
      throw new StoreException("cannot open store " + file + ": " + firstLine(e.getMessage()), e);
    }
    return new EmbeddedStore(file, mv, meters);
  }

  /** The store file. */
  public Path file() {
    return file;
  }

  @Override
  public String get(String map, String key) {
    MVMap<String, String> m = existingMap(map);
    return m == null ? null : m.get(key);
  }

  @Override
  public List<Map.Entry<String, String>> list(String map, String prefix) {
    MVMap<String, String> m = existingMap(map);
    List<Map.Entry<String, String>> result = new ArrayList<>();
    if (m == null) {
      return result;
    }
    Cursor<String, String> cursor = m.cursor(prefix.isEmpty() ? null : prefix);
    while (cursor.hasNext()) {
      String key = cursor.next();
      if (!key.startsWith(prefix)) {
        break;
      }
      result.add(new AbstractMap.SimpleImmutableEntry<>(key, cursor.getValue()));
    }
    return result;
  }

  @Override
  public long size(String map) {
    MVMap<String, String> m = existingMap(map);
    return m == null ? 0 : m.sizeAsLong();
  }

  @Override
  public Future<Void> write(WriteBatch batch) {
    Context context = Vertx.currentContext();
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (fatal != null) {
      done.completeExceptionally(new StoreException("store failed earlier and accepts no writes: " + fatal.getMessage(), fatal));
    } else if (batch.isEmpty()) {
      done.complete(null);
    } else {
      synchronized (closeLock) {
        if (closed) {
          done.completeExceptionally(new StoreException("store is closed"));
        } else {
          queue.add(new Pending(batch.ops(), done));
        }
      }
    }
    return context == null ? Future.fromCompletionStage(done) : Future.fromCompletionStage(done, context);
  }

  @Override
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(STOP); // never interrupt the writer: an interrupt closes MVStore's FileChannel
    }
    try {
      writer.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (fatal == null) {
        // no compaction on close: a file compacted at close lost later commits to a kill -9 in
        // our crash test (H2 2.5.252); free space is reused by later commits instead
        mv.close(0);
      } else {
        mv.closeImmediately();
      }
    } catch (RuntimeException e) {
      LOG.warn("closing store {} failed: {}", file, e.toString());
    }
  }

  private void writeLoop() {
    List<Pending> group = new ArrayList<>();
    while (true) {
      Pending first;
      try {
        first = queue.poll(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        continue; // only close() stops the writer, after the queue is drained
      }
      if (first == null) {
        continue;
      }
      group.add(first);
      queue.drainTo(group, MAX_GROUP - 1);
      boolean stop = group.remove(STOP); // STOP is queued last: nothing follows it
      if (!group.isEmpty()) {
        commit(group);
      }
      group.clear();
      if (stop) {
        return;
      }
    }
  }

  private void commit(List<Pending> group) {
    if (fatal != null) {
      fail(group, new StoreException("store failed earlier and accepts no writes: " + fatal.getMessage(), fatal));
      return;
    }
    long start = System.nanoTime();
    int opCount = 0;
    try {
      for (Pending pending : group) {
        for (WriteBatch.Op op : pending.ops()) {
          MVMap<String, String> m = map(op.map());
          if (op.value() == null) {
            m.remove(op.key());
          } else {
            m.put(op.key(), op.value());
          }
          opCount++;
        }
      }
      mv.commit();
      mv.sync();
    } catch (Throwable t) {
      failures.increment();
      fatal = t;
      LOG.error("store commit failed; the store accepts no further writes: {}", t.toString());
      try {
        mv.rollback();
      } catch (Throwable ignored) {
        // the store is unusable; reads keep the last committed state where possible
      }
      fail(group, new StoreException("store write failed: " + t.getMessage(), t));
      return;
    }
    commitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    batchesPerCommit.record(group.size());
    writes.increment(opCount);
    for (Pending pending : group) {
      pending.done().complete(null);
    }
  }

  private static void fail(List<Pending> group, Throwable failure) {
    for (Pending pending : group) {
      pending.done().completeExceptionally(failure);
    }
  }

  private MVMap<String, String> existingMap(String name) {
    MVMap<String, String> m = maps.get(name);
    if (m != null) {
      return m;
    }
    WriteBatch.checkMap(name);
    return mv.hasMap(name) ? map(name) : null;
  }

  private MVMap<String, String> map(String name) {
    return maps.computeIfAbsent(name, n -> mv.openMap(n,
        new MVMap.Builder<String, String>().keyType(StringDataType.INSTANCE).valueType(StringDataType.INSTANCE)));
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
