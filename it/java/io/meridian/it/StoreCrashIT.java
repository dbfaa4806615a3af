package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.store.embedded.EmbeddedStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the store's crash contract with real SIGKILLs: a child JVM writes as fast as it can,
 * is killed at a random moment, and after reopening every acknowledged write is present,
 * batches are all-or-nothing, and the store opens cleanly — many times over the same file.
 */
class StoreCrashIT {

  private static final int ROUNDS = 30;

  @TempDir
  Path dir;

  @Test
  void everyAcknowledgedWriteSurvivesSigkillMidStream() throws Exception {
    killRounds(List.of());
  }

  /**
   * Verifies the same contract while the store compacts itself all the time (from 64 KB, at
   * 1.1× its live data, i.e. after almost every commit): kills land before, during and after
   * the copy, the rename and the reopen, at open and in the writer thread; the store always
   * opens at the old or the new complete file.
   */
  @Test
  void everyAcknowledgedWriteSurvivesSigkillDuringCompaction() throws Exception {
    int midCopy = killRounds(List.of(Long.toString(64 * 1024), "1.1"));
    System.out.println("StoreCrashIT: " + midCopy + " of " + ROUNDS + " kills left a compacted copy half-written");
  }

  /** Runs the kill rounds; returns how many kills left a half-written compacted copy behind. */
  private int killRounds(List<String> compaction) throws Exception {
    long seed = Long.getLong("crash.seed", System.nanoTime());
    System.out.println("StoreCrashIT seed " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
    Random random = new Random(seed);
    Set<Long> acked = new HashSet<>();
    long totalAcked = 0;
    int midCopy = 0;
    for (int round = 0; round < ROUNDS; round++) {
      long first = round * 10_000_000L;
      Path log = dir.resolve("acks-" + round + ".log");
      List<String> command = new java.util.ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), StoreCrashWriter.class.getName(), dir.toString(), Long.toString(first)));
      command.addAll(compaction);
      Process child = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .redirectOutput(log.toFile())
          .start();
      int stopAfter = 20 + random.nextInt(400);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acks(log).size() < stopAfter && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      child.destroyForcibly(); // SIGKILL while the writers are mid-stream
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
      if (Files.exists(dir.resolve(EmbeddedStore.FILE_NAME + ".compact"))) {
        midCopy++;
      }
      // everything the child printed before it died was acknowledged by the store
      List<Long> roundAcks = acks(log);
      acked.addAll(roundAcks);
      int seen = roundAcks.size();
      assertThat(seen).as("round %d wrote something before the kill", round).isGreaterThan(0);
      totalAcked = acked.size();
      verify(acked);
    }
    assertThat(totalAcked).isGreaterThan(ROUNDS * 20L);
    return midCopy;
  }

  @Test
  void aTornTailNeverStopsTheStoreFromOpening() throws Exception {
    // fill a store through a killed writer, then damage the file's tail in several ways
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), StoreCrashWriter.class.getName(), dir.toString(), "0")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      int acks = 0;
      String line;
      while ((line = out.readLine()) != null && acks < 500) {
        if (line.startsWith("ack ")) {
          acks++;
        }
      }
    } finally {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    Path original = dir.resolve(EmbeddedStore.FILE_NAME);
    long size = Files.size(original);
    Random random = new Random(7);
    for (long cut : List.of(1L, 17L, 100L, 4095L, 4096L, 5000L)) {
      Path copy = Files.createDirectories(dir.resolve("torn-" + cut));
      Path file = Files.copy(original, copy.resolve(EmbeddedStore.FILE_NAME));
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        raf.setLength(Math.max(0, size - cut));
        byte[] garbage = new byte[(int) Math.min(cut, 512)];
        random.nextBytes(garbage);
        raf.seek(raf.length());
        raf.write(garbage); // a partially written last block: new length ≠ old, content random
      }
      try (EmbeddedStore store = EmbeddedStore.open(copy, null)) {
        checkBatchesAreWhole(store);
      }
    }
  }

  private static List<Long> acks(Path log) throws java.io.IOException {
    if (!Files.exists(log)) {
      return List.of();
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    int complete = text.lastIndexOf('\n') + 1; // a line cut by the kill is not an acknowledgement
    return text.substring(0, complete).lines()
        .filter(l -> l.startsWith("ack ") && l.length() > 4)
        .map(l -> Long.parseLong(l.substring(4).trim()))
        .toList();
  }

  private void verify(Set<Long> acked) {
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      java.util.List<Long> missing = new java.util.ArrayList<>();
      for (long id : acked) {
        String key = id % 2 == 0 ? "k" + id : "b" + id + "-0";
        if (store.get("crash", key) == null) {
          missing.add(id);
        }
      }
      if (!missing.isEmpty()) {
        java.util.Collections.sort(missing);
        long maxAcked = acked.stream().mapToLong(Long::longValue).max().orElse(0);
        System.err.println("MISSING " + missing.size() + " of " + acked.size() + ": " + missing + " max acked " + maxAcked);
      }
      for (long id : acked) {
        if (id % 2 == 0) {
          assertThat(store.get("crash", "k" + id)).as("acknowledged k%d", id).isEqualTo(StoreCrashWriter.value(id));
        } else {
          for (int i = 0; i < 3; i++) {
            assertThat(store.get("crash", "b" + id + "-" + i)).as("acknowledged b%d-%d", id, i)
                .isEqualTo(StoreCrashWriter.value(id));
          }
        }
      }
      checkBatchesAreWhole(store);
    }
  }

  private static void checkBatchesAreWhole(EmbeddedStore store) {
    Set<String> batchKeys = new HashSet<>();
    for (Map.Entry<String, String> e : store.list("crash", "b")) {
      batchKeys.add(e.getKey());
    }
    for (String key : batchKeys) {
      String id = key.substring(1, key.indexOf('-'));
      for (int i = 0; i < 3; i++) {
        assertThat(batchKeys).as("batch %s is whole", id).contains("b" + id + "-" + i);
      }
    }
  }
}
