package io.meridian.bench;

import io.meridian.common.store.embedded.EmbeddedStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark behind {@code scripts/bench/store}: durable write throughput and latency of the
 * embedded store, one writer at a time and with many writes in flight (group commit), next
 * to the machine's raw fsync rate (a 200-byte append + {@code FileChannel.force} loop), which
 * bounds any store that syncs every acknowledged write.
 */
public final class StoreBench {

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("meridian-store-bench");
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    try {
      fsyncFloor(dir.resolve("raw.bin"), seconds);
      store(dir.resolve("seq"), seconds, 1);
      store(dir.resolve("c16"), seconds, 16);
      store(dir.resolve("c256"), seconds, 256);
      store(dir.resolve("c16-overwrite"), seconds, 16, 1000);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void fsyncFloor(Path file, double seconds) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer block = ByteBuffer.allocate(200);
      long end = System.nanoTime() + (long) (seconds * 1e9);
      long[] lat = new long[1 << 20];
      int n = 0;
      while (System.nanoTime() < end && n < lat.length) {
        long t = System.nanoTime();
        block.clear();
        ch.write(block);
        ch.force(false);
        lat[n++] = System.nanoTime() - t;
      }
      report("raw append+fsync (floor)", 1, n, seconds, Arrays.copyOf(lat, n), n, ch.size());
    }
  }

  private static void store(Path dir, double seconds, int inFlight) throws Exception {
    store(dir, seconds, inFlight, Integer.MAX_VALUE);
  }

  /** Writes {@code keys} distinct keys over and over (the file's growth is then dead data). */
  private static void store(Path dir, double seconds, int inFlight, int keys) throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    long fileSize;
    try (EmbeddedStore store = EmbeddedStore.open(dir, meters)) {
      String value = "{\"id\":\"orders-7f9c\",\"tenant\":\"shop\",\"endpoints\":[{\"plane\":\"data\",\"address\":\"10.1.0.5\"}],"
          + "\"services\":[{\"name\":\"orders\",\"version\":\"v2\",\"port\":8080}],\"revision\":1}";
      Semaphore window = new Semaphore(inFlight);
      AtomicLong done = new AtomicLong();
      long[] lat = new long[1 << 22];
      long end = System.nanoTime() + (long) (seconds * 1e9);
      long start = System.nanoTime();
      int n = 0;
      while (System.nanoTime() < end && n < lat.length) {
        window.acquire();
        int slot = n++;
        long t = System.nanoTime();
        store.put("bench", "instance/" + (slot % keys), value).onComplete(ar -> {
          lat[slot] = System.nanoTime() - t;
          done.incrementAndGet();
          window.release();
        });
      }
      window.acquire(inFlight);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long commits = meters.get("meridian.store.commits").timer().count();
      fileSize = Files.size(store.file());
      String name = "store, " + inFlight + " in flight" + (keys == Integer.MAX_VALUE ? "" : ", " + keys + " keys overwritten");
      report(name, inFlight, n, elapsed, Arrays.copyOf(lat, n), commits, fileSize);
    }
  }

  private static void report(String name, int inFlight, int n, double seconds, long[] lat, long syncs, long fileBytes) {
    Arrays.sort(lat);
    double p50 = lat[lat.length / 2] / 1e6;
    double p99 = lat[(int) (lat.length * 0.99)] / 1e6;
    System.out.printf("| %s | %,.0f | %.2f ms | %.2f ms | %,.0f | %.1f | %.1f MB (%,.0f B per write) |%n", name, n / seconds,
        p50, p99, syncs / seconds, n / (double) Math.max(1, syncs), fileBytes / 1e6, fileBytes / (double) Math.max(1, n));
  }

  private StoreBench() {
  }
}
