package io.meridian.common.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.store.StoreException;
import io.meridian.common.store.WriteBatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStoreTest {

  @TempDir
  Path dir;

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void putGetListDeleteAndReopen() throws Exception {
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      await(store.put("things", "b", "2"));
      await(store.write(new WriteBatch().put("things", "a", "1").put("things", "c/x", "3").put("other", "z", "9")));
      assertThat(store.get("things", "a")).isEqualTo("1");
      assertThat(store.list("things", "").stream().map(Map.Entry::getKey)).containsExactly("a", "b", "c/x");
      assertThat(store.list("things", "c/").stream().map(Map.Entry::getValue)).containsExactly("3");
      await(store.delete("things", "b"));
      assertThat(store.get("things", "b")).isNull();
      assertThat(store.size("things")).isEqualTo(2);
    }
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      assertThat(store.get("things", "a")).isEqualTo("1");
      assertThat(store.get("things", "b")).isNull();
      assertThat(store.get("other", "z")).isEqualTo("9");
      assertThat(store.get("missing-map", "a")).isNull();
      assertThat(store.list("missing-map", "")).isEmpty();
    }
  }

  @Test
  void aSecondOpenerIsRefusedWhileTheFirstHoldsTheStore() {
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      assertThatThrownBy(() -> EmbeddedStore.open(dir, null))
          .isInstanceOf(StoreException.class).hasMessageContaining("locked");
    }
  }

  @Test
  void concurrentWritesShareCommitsAndAllArrive() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (EmbeddedStore store = EmbeddedStore.open(dir, meters)) {
      List<Future<Void>> writes = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      List<List<Future<Void>>> perThread = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int id = t;
        List<Future<Void>> mine = new ArrayList<>();
        perThread.add(mine);
        threads.add(new Thread(() -> {
          for (int i = 0; i < 250; i++) {
            mine.add(store.put("load", id + "-" + i, "v" + i));
          }
        }));
      }
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
      perThread.forEach(writes::addAll);
      await(Future.all(writes));
      assertThat(store.size("load")).isEqualTo(2000);
      long commits = meters.get("meridian.store.commits").timer().count();
      assertThat(commits).isLessThan(2000); // group commit: fewer fsyncs than writes
      assertThat(meters.get("meridian.store.writes").counter().count()).isEqualTo(2000);
    }
  }

  @Test
  void writesAfterCloseFailAndPendingWritesAreFlushedByClose() throws Exception {
    EmbeddedStore store = EmbeddedStore.open(dir, null);
    List<Future<Void>> pending = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      pending.add(store.put("m", "k" + i, "v"));
    }
    store.close();
    store.close(); // idempotent
    for (Future<Void> f : pending) {
      await(f);
    }
    assertThatThrownBy(() -> await(store.put("m", "late", "v"))).hasCauseInstanceOf(StoreException.class);
    try (EmbeddedStore reopened = EmbeddedStore.open(dir, null)) {
      assertThat(reopened.size("m")).isEqualTo(100);
      assertThat(reopened.get("m", "late")).isNull();
    }
  }

  @Test
  void invalidMapNamesAreRejectedBeforeTouchingTheStore() {
    assertThatThrownBy(() -> new WriteBatch().put("Bad Name", "k", "v")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WriteBatch().put("ok", null, "v")).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aFileThatIsNotAStoreIsAClearError() throws Exception {
    java.nio.file.Files.writeString(dir.resolve(EmbeddedStore.FILE_NAME), "this is not a store".repeat(500));
    assertThatThrownBy(() -> EmbeddedStore.open(dir, null)).isInstanceOf(StoreException.class)
        .hasMessageContaining(EmbeddedStore.FILE_NAME);
  }

  /** Verifies that MVStore never writes a chunk into reused space (see docs/store.md). */
  @Test
  void theFileIsAppendOnly() throws Exception {
    try (EmbeddedStore store = EmbeddedStore.open(dir, null, new EmbeddedStore.Compaction(Long.MAX_VALUE, 2))) {
      assertThat(store.reusesSpace()).isFalse();
      long previous = 0;
      for (int i = 0; i < 50; i++) {
        await(store.put("m", "k", "v" + i)); // every commit makes the previous chunk dead
        long size = Files.size(store.file());
        assertThat(size).as("commit %d appends", i).isGreaterThan(previous);
        previous = size;
      }
    }
  }

  /** Verifies that a file of mostly dead chunks is compacted by copy at open, data intact. */
  @Test
  void aFileOfMostlyDeadDataIsCompactedAtOpen() throws Exception {
    long grown;
    try (EmbeddedStore store = EmbeddedStore.open(dir, null, new EmbeddedStore.Compaction(Long.MAX_VALUE, 2))) {
      for (int i = 0; i < 500; i++) {
        await(store.write(new WriteBatch().put("m", "k" + (i % 20), "v" + i).put("other", "x", "y" + i)));
      }
      grown = Files.size(store.file());
    }
    try (EmbeddedStore store = EmbeddedStore.open(dir, null, new EmbeddedStore.Compaction(0, 2))) {
      long compacted = Files.size(store.file());
      assertThat(compacted).isLessThan(grown / 10);
      assertThat(store.size("m")).isEqualTo(20);
      assertThat(store.get("m", "k19")).isEqualTo("v499");
      assertThat(store.get("other", "x")).isEqualTo("y499");
      assertThat(dir.resolve(EmbeddedStore.COMPACT_FILE_NAME)).doesNotExist();
      await(store.put("m", "after", "1"));
    }
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      assertThat(store.get("m", "after")).isEqualTo("1");
      assertThat(store.get("m", "k0")).isEqualTo("v480");
    }
  }

  /**
   * Verifies that the writer compacts the file while running, keeping it bounded, while
   * readers on other threads keep getting answers and every acknowledged write stays.
   */
  @Test
  void theFileIsCompactedWhileRunningAndReadsContinue() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (EmbeddedStore store = EmbeddedStore.open(dir, meters, new EmbeddedStore.Compaction(256 * 1024, 2))) {
      await(store.put("m", "fixed", "here"));
      List<Throwable> readFailures = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
      Thread reader = new Thread(() -> {
        while (reading.get()) {
          try {
            assertThat(store.get("m", "fixed")).isEqualTo("here");
            assertThat(store.list("m", "fix")).hasSize(1);
          } catch (Throwable t) {
            readFailures.add(t);
          }
        }
      });
      reader.start();
      long largest = 0;
      for (int i = 0; i < 2000; i++) {
        await(store.put("m", "k" + (i % 50), "v" + i));
        largest = Math.max(largest, Files.size(store.file()));
      }
      reading.set(false);
      reader.join();
      assertThat(readFailures).isEmpty();
      assertThat(meters.get("meridian.store.compactions").counter().count()).isGreaterThan(0);
      assertThat(largest).isLessThan(4L << 20);
      assertThat(store.get("m", "k49")).isEqualTo("v1999");
    }
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      assertThat(store.size("m")).isEqualTo(51);
      assertThat(store.get("m", "k0")).isEqualTo("v1950");
    }
  }

  /** Verifies that a compaction cut short by a crash (a partial copy left behind) loses nothing. */
  @Test
  void aHalfWrittenCompactedCopyIsDiscardedAtOpen() throws Exception {
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      await(store.put("m", "k", "v"));
    }
    Files.write(dir.resolve(EmbeddedStore.COMPACT_FILE_NAME), new byte[10_000]);
    try (EmbeddedStore store = EmbeddedStore.open(dir, null, new EmbeddedStore.Compaction(0, 1.01))) {
      assertThat(store.get("m", "k")).isEqualTo("v");
      await(store.put("m", "k2", "v2"));
    }
    assertThat(dir.resolve(EmbeddedStore.COMPACT_FILE_NAME)).doesNotExist();
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      assertThat(store.get("m", "k2")).isEqualTo("v2");
    }
  }

  @Test
  void compactionPolicyIsValidated() {
    assertThatThrownBy(() -> new EmbeddedStore.Compaction(-1, 2)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EmbeddedStore.Compaction(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
