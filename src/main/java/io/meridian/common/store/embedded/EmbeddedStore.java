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
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * <p>The file is append-only while it is open: MVStore never reuses free space
 * ({@code setReuseSpace(false)}), because after a crash it finds the newest chunks only at
 * the end of the file or through its header and per-chunk predictions, and chunks written
 * into reused space were lost that way (see docs/store.md). The file is kept bounded by
 * <em>compaction by copy</em> ({@link Compaction}): the live maps are copied into a new file
 * next to it, which is synced and renamed atomically over the old one; a crash at any point
 * leaves either the old or the new complete file. It runs at open and in the writer thread
 * between commits (writes wait meanwhile); reads during the swap retry on the new file.
 *
 * <p>Meters: {@code meridian.store.commits} (timer, commit + fsync),
 * {@code meridian.store.batches} (batches per commit), {@code meridian.store.writes}
 * (operations written), {@code meridian.store.failures}.
 */
public final class EmbeddedStore implements Store {

  /** File name of the store inside the data directory. */
  public static final String FILE_NAME = "meridian.mv";
  /** The compacted copy while it is being written; a leftover one is deleted at open. */
  static final String COMPACT_FILE_NAME = "meridian.mv.compact";
  /** Held for the store's lifetime, also while the store file is swapped by a compaction. */
  static final String LOCK_FILE_NAME = "meridian.lock";

  /**
   * When the store compacts itself: once the file is at least {@code minFileBytes} and more
   * than {@code maxGrowth} times the live data MVStore reports in it.
   *
   * @param minFileBytes never compact a file smaller than this
   * @param maxGrowth    file size over live data that triggers a compaction (&gt; 1)
   */
  public record Compaction(long minFileBytes, double maxGrowth) {

    /** 64 MB, 4× the live data. */
    public static final Compaction DEFAULT = new Compaction(64L << 20, 4.0);

    public Compaction {
      if (minFileBytes < 0) {
        throw new IllegalArgumentException("minFileBytes must be >= 0");
      }
      if (!(maxGrowth > 1.0)) {
        throw new IllegalArgumentException("maxGrowth must be > 1");
      }
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStore.class);
  private static final int MAX_GROUP = 1024;

  private record Pending(List<WriteBatch.Op> ops, CompletableFuture<Void> done) {
  }

  /** One open store file and its maps; replaced as a whole by a compaction. */
  private record Opened(MVStore mv, Map<String, MVMap<String, String>> maps) {

    Opened(MVStore mv) {
      this(mv, new ConcurrentHashMap<>());
    }

    MVMap<String, String> existing(String name) {
      MVMap<String, String> m = maps.get(name);
      if (m != null) {
        return m;
      }
      WriteBatch.checkMap(name);
      return mv.hasMap(name) ? map(name) : null;
    }

    MVMap<String, String> map(String name) {
      return maps.computeIfAbsent(name, n -> mv.openMap(n, mapBuilder()));
    }
  }

  /** Queued by {@link #close()} after the last write; the writer stops when it takes it. */
  private static final Pending STOP = new Pending(List.of(), new CompletableFuture<>());

  private final Path file;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Compaction compaction;
  private volatile Opened opened;
  private long nextCompactionCheck;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final Timer commitTimer;
  private final DistributionSummary batchesPerCommit;
  private final Counter writes;
  private final Counter failures;
  private final Counter compactions;
  private final Object closeLock = new Object();
  private volatile boolean closed;
  private volatile Throwable fatal;

  private EmbeddedStore(Path file, FileChannel lockChannel, FileLock lock, MVStore mv, Compaction compaction,
                        MeterRegistry meters) {
    this.file = file;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.opened = new Opened(mv);
    this.compaction = compaction;
    this.nextCompactionCheck = compaction.minFileBytes();
    MeterRegistry registry = meters == null ? new SimpleMeterRegistry() : meters;
    this.commitTimer = Timer.builder("meridian.store.commits")
        .description("Store commits including fsync").publishPercentileHistogram(false).register(registry);
    this.batchesPerCommit = DistributionSummary.builder("meridian.store.batches")
        .description("Write batches carried by one commit (group commit)").register(registry);
    this.writes = Counter.builder("meridian.store.writes").description("Store operations written").register(registry);
    this.failures = Counter.builder("meridian.store.failures").description("Store commits that failed").register(registry);
    this.compactions = Counter.builder("meridian.store.compactions")
        .description("Store files compacted by copy while running").register(registry);
    this.writer = new Thread(this::writeLoop, "meridian-store-writer");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  /**
   * Opens (creating if needed) the store in {@code dataDir}, compacting with
   * {@link Compaction#DEFAULT}.
   *
   * @param meters where to register the store's meters, or {@code null}
   * @throws StoreException when the directory cannot be created, the store is locked by another
   *                        process, or the file is not a readable store
   */
  public static EmbeddedStore open(Path dataDir, MeterRegistry meters) {
    return open(dataDir, meters, Compaction.DEFAULT);
  }

  /**
   * Opens (creating if needed) the store in {@code dataDir}; compacts the file first when
   * {@code compaction} says it is too large for its live data.
   *
   * @param meters where to register the store's meters, or {@code null}
   * @throws StoreException when the directory cannot be created, the store is locked by another
   *                        process, or the file is not a readable store
   */
  public static EmbeddedStore open(Path dataDir, MeterRegistry meters, Compaction compaction) {
    try {
      Files.createDirectories(dataDir);
    } catch (Exception e) {
      throw new StoreException("cannot create data directory " + dataDir + ": " + e.getMessage(), e);
    }
    Path file = dataDir.resolve(FILE_NAME);
    FileChannel lockChannel = null;
    FileLock lock = null;
    MVStore mv = null;
    try {
      lockChannel = FileChannel.open(dataDir.resolve(LOCK_FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new StoreException("store " + file + " is locked: another Meridian process uses data directory " + dataDir);
      }
      Files.deleteIfExists(dataDir.resolve(COMPACT_FILE_NAME)); // a compaction cut short: the old file is whole
      mv = openFile(file, dataDir);
      if (shouldCompact(mv, compaction)) {
        mv = compactAtOpen(mv, file);
      }
      return new EmbeddedStore(file, lockChannel, lock, mv, compaction, meters);
    } catch (IOException e) {
      release(mv, lock, lockChannel);
      throw new StoreException("cannot open store " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      release(mv, lock, lockChannel);
      throw e;
    }
  }

  private static MVStore compactAtOpen(MVStore mv, Path file) {
    long size = mv.getFileStore().size();
    LOG.info("compacting store {} at open ({} bytes, {}% live)", file, size, livePercent(mv));
    MVStore compacted;
    try {
      compacted = compact(mv, file);
    } catch (StoreException e) {
      throw e; // swapped but not reopened
    } catch (IOException | RuntimeException e) {
      LOG.warn("compacting store {} failed, opening it uncompacted: {}", file, e.toString());
      return mv;
    }
    mv.closeImmediately();
    LOG.info("compacted store {}: {} -> {} bytes", file, size, compacted.getFileStore().size());
    return compacted;
  }

  private static MVStore openFile(Path file, Path dataDir) {
    try {
      MVStore mv = new MVStore.Builder()
          .fileName(file.toString())
          .autoCommitDisabled()
          .cacheSize(16)
          .open();
      mv.setReuseSpace(false); // append only: see the class comment
      return mv;
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
  }

  private static void release(MVStore mv, FileLock lock, FileChannel lockChannel) {
    if (mv != null) {
      mv.closeImmediately();
    }
    try {
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException ignored) {
      // nothing more to release
    }
  }

  /** Percentage of the file MVStore reports as live data (0-100). */
  private static int livePercent(MVStore mv) {
    return mv.getFillRate() * mv.getFileStore().getChunksFillRate() / 100;
  }

  private static boolean shouldCompact(MVStore mv, Compaction compaction) {
    long size = mv.getFileStore().size();
    return size >= compaction.minFileBytes() && size * livePercent(mv) / 100.0 * compaction.maxGrowth() < size;
  }

  /**
   * Copies the live maps of {@code mv} into {@link #COMPACT_FILE_NAME}, syncs and closes it,
   * renames it atomically over {@code file}, syncs the directory, and reopens {@code file}.
   * The caller closes {@code mv} (its file is unlinked by then) once nothing reads it. A
   * failure before the rename leaves the old store as it was (IOException or
   * RuntimeException); a failure after it is a {@link StoreException}.
   */
  private static MVStore compact(MVStore mv, Path file) throws IOException {
    Path dir = file.getParent();
    Path copy = dir.resolve(COMPACT_FILE_NAME);
    Files.deleteIfExists(copy);
    MVStore target = new MVStore.Builder().fileName(copy.toString()).autoCommitDisabled().cacheSize(16).open();
    try {
      for (String name : mv.getMapNames()) {
        MVMap<String, String> from = mv.openMap(name, mapBuilder());
        MVMap<String, String> to = target.openMap(name, mapBuilder());
        int n = 0;
        Cursor<String, String> cursor = from.cursor(null);
        while (cursor.hasNext()) {
          String key = cursor.next();
          to.put(key, cursor.getValue());
          if (++n % 50_000 == 0) {
            target.commit(); // bounds the memory of one copy
          }
        }
      }
      target.commit();
      target.sync();
      target.close(0);
    } catch (RuntimeException e) {
      target.closeImmediately();
      Files.deleteIfExists(copy);
      throw e;
    }
    try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(copy, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    // from here on the old file is unlinked: a failure must stop the writes, never fall back
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true); // the rename itself is durable
    } catch (IOException e) {
      throw new StoreException("cannot sync data directory " + dir + " after compacting: " + e.getMessage(), e);
    }
    return openFile(file, dir);
  }

  /** The store file. */
  public Path file() {
    return file;
  }

  /** Whether MVStore may write chunks into free space (never: see the class comment). */
  boolean reusesSpace() {
    return opened.mv().isSpaceReused();
  }

  @Override
  public String get(String map, String key) {
    return read(o -> {
      MVMap<String, String> m = o.existing(map);
      return m == null ? null : m.get(key);
    });
  }

  @Override
  public List<Map.Entry<String, String>> list(String map, String prefix) {
    return read(o -> list(o, map, prefix));
  }

  private static List<Map.Entry<String, String>> list(Opened o, String map, String prefix) {
    MVMap<String, String> m = o.existing(map);
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
    return read(o -> {
      MVMap<String, String> m = o.existing(map);
      return m == null ? 0L : m.sizeAsLong();
    });
  }

  /** Runs a read; when a compaction closed the file under it, runs it again on the new file. */
  private <T> T read(Function<Opened, T> read) {
    while (true) {
      Opened o = opened;
      try {
        return read.apply(o);
      } catch (MVStoreException | IllegalStateException e) { // "this store is closed"
        if (opened == o) {
          throw e;
        }
      }
    }
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
    MVStore mv = opened.mv();
    try {
      if (fatal == null) {
        // never MVStore's own compaction (close(n > 0) moves chunks): a file compacted that way
        // lost later commits to a kill -9 in our crash test (H2 2.5.252)
        mv.close(0);
      } else {
        mv.closeImmediately();
      }
    } catch (RuntimeException e) {
      LOG.warn("closing store {} failed: {}", file, e.toString());
    }
    release(null, lock, lockChannel);
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
        maybeCompact();
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
    Opened o = opened;
    MVStore mv = o.mv();
    try {
      for (Pending pending : group) {
        for (WriteBatch.Op op : pending.ops()) {
          MVMap<String, String> m = o.map(op.map());
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

  /**
   * Runs in the writer thread between commits: compacts the file when it has grown past the
   * policy. Checking MVStore's fill rates walks its chunk list, so it is done only when the
   * file passed the next check size.
   */
  private void maybeCompact() {
    if (fatal != null) {
      return;
    }
    MVStore mv = opened.mv();
    long size = mv.getFileStore().size();
    if (size < nextCompactionCheck) {
      return;
    }
    if (!shouldCompact(mv, compaction)) {
      nextCompactionCheck = Math.max(compaction.minFileBytes(), size + size / 4);
      return;
    }
    long start = System.nanoTime();
    try {
      MVStore compacted = compact(mv, file);
      opened = new Opened(compacted);
      mv.closeImmediately(); // reads that still hold it retry on the new file
      compactions.increment();
      long after = compacted.getFileStore().size();
      nextCompactionCheck = Math.max(compaction.minFileBytes(), (long) (after * compaction.maxGrowth()));
      LOG.info("compacted store {}: {} -> {} bytes in {} ms", file, size, after,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    } catch (StoreException e) {
      // the file was swapped but cannot be opened again: no further writes
      failures.increment();
      fatal = e;
      LOG.error("store compaction failed; the store accepts no further writes: {}", e.toString());
    } catch (IOException | RuntimeException e) {
      // the copy failed (disk full?): the old file is untouched and stays in use
      nextCompactionCheck = size * 2;
      LOG.warn("store compaction failed, continuing with the uncompacted file: {}", e.toString());
    }
  }

  private static void fail(List<Pending> group, Throwable failure) {
    for (Pending pending : group) {
      pending.done().completeExceptionally(failure);
    }
  }

  private static MVMap.Builder<String, String> mapBuilder() {
    return new MVMap.Builder<String, String>().keyType(StringDataType.INSTANCE).valueType(StringDataType.INSTANCE);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
