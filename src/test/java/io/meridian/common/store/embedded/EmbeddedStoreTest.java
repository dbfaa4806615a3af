package io.meridian.common.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.store.StoreException;
import io.meridian.common.store.WriteBatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
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
}
