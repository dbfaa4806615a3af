package io.meridian.bench;

import io.meridian.common.config.SeriesOptions;
import io.meridian.telemetry.impl.series.Family;
import io.meridian.telemetry.impl.series.MemorySeriesStore;
import io.meridian.telemetry.impl.series.Sample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Memory and ingest cost of the series store (docs/telemetry.md, memory model): N targets ×
 * ~1,000 series shaped like scripts/bench/telemetry's generator (counters that grow, gauges that
 * move, histograms), enriched with registry-like labels, 240 scrapes at 15 s with a few ms of
 * jitter (1 h of retention). Prints the store's estimate, the heap actually retained (after a
 * full GC) and the ingest cost per sample.
 *
 * <p>{@code java -cp target/classes:target/test-classes:$(cat cp.txt) io.meridian.bench.SeriesStoreMemoryBench 100}
 */
public final class SeriesStoreMemoryBench {

  static final int ROUTES = 300;
  static final int QUEUES = 100;
  static final int HIST_ROUTES = 20;
  static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  public static void main(String[] args) throws Exception {
    int targets = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int scrapes = args.length > 1 ? Integer.parseInt(args[1]) : 240;
    long t0 = 1_700_000_000_000L;
    long[] now = {t0};
    List<Family> families = List.of(new Family("app_http_requests_total", "counter", ""),
        new Family("app_queue_depth", "gauge", ""), new Family("app_request_duration_seconds", "histogram", ""),
        new Family("app_pool_size", "gauge", ""));
    long heap0 = usedHeap();
    MemorySeriesStore store = new MemorySeriesStore(new SeriesOptions(Duration.ofHours(1), 10_000_000, 1L << 40),
        () -> now[0], Runnable::run, new SimpleMeterRegistry());
    Random random = new Random(1);
    long samples = 0;
    long nanos = 0;
    for (int scrape = 0; scrape < scrapes; scrape++) {
      for (int target = 0; target < targets; target++) {
        long n = (long) scrape * targets + target;
        long time = t0 + scrape * 15_000L + target * 10L + random.nextInt(8); // scheduled + jitter
        now[0] = time;
        List<Sample> body = body(target, n, scrape);
        long start = System.nanoTime();
        store.ingest("target-" + target, time, body, families);
        nanos += System.nanoTime() - start;
        samples += body.size();
      }
    }
    store.maintain();
    long heap1 = usedHeap();
    MemorySeriesStore.Stats stats = store.stats();
    System.out.printf("targets %d, series %,d, points %,d%n", targets, stats.series(), stats.points());
    System.out.printf("estimate %,d bytes = %.2f bytes/point%n", stats.bytes(), stats.bytesPerPoint());
    System.out.printf("heap retained %,d bytes = %.2f bytes/point%n", heap1 - heap0, (double) (heap1 - heap0) / stats.points());
    System.out.printf("ingest %.0f ns/sample (%,d samples, 1 thread)%n", (double) nanos / samples, samples);
    if (args.length > 2) {
      Thread.sleep(Long.parseLong(args[2]));
    }
    if (store.seriesCount() < 0) {
      System.out.println(store); // keeps the store reachable until after the measurement
    }
  }

  static long usedHeap() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  /** ~1,000 samples like the benchmark generator's, with enrichment labels added. */
  public static List<Sample> body(int target, long n, int scrape) {
    List<Sample> out = new ArrayList<>(1100);
    Map<String, String> enrich = Map.of("tenant", "default", "service", "svc-" + (target % 50), "version", "v" + (target % 3),
        "instance", "inst-" + target, "plane", "data", "kind", "mesh");
    long t = n / 1000 + target;
    for (int r = 0; r < ROUTES; r++) {
      out.add(new Sample("app_http_requests_total", labels(enrich, "route", "/api/r" + r, "method", "GET", "code", "200"),
          1000 + t * (r % 7 + 1) + n % 5));
      out.add(new Sample("app_http_requests_total", labels(enrich, "route", "/api/r" + r, "method", "GET", "code", "500"),
          r % 3 == 0 ? t + n % 2 : 0));
    }
    for (int q = 0; q < QUEUES; q++) {
      out.add(new Sample("app_queue_depth", labels(enrich, "queue", "q" + q), (n * 31 + q * 17) % 100));
    }
    for (int r = 0; r < HIST_ROUTES; r++) {
      long count = 500 + t * 10 + n % 10;
      for (int i = 0; i < BUCKETS.length; i++) {
        out.add(new Sample("app_request_duration_seconds_bucket", labels(enrich, "route", "/api/r" + r, "le", Double.toString(BUCKETS[i])),
            count * (i + 1) / (BUCKETS.length + 1)));
      }
      out.add(new Sample("app_request_duration_seconds_bucket", labels(enrich, "route", "/api/r" + r, "le", "+Inf"), count));
      out.add(new Sample("app_request_duration_seconds_sum", labels(enrich, "route", "/api/r" + r), count * 0.0421));
      out.add(new Sample("app_request_duration_seconds_count", labels(enrich, "route", "/api/r" + r), count));
    }
    for (int p = 0; p < 20; p++) {
      out.add(new Sample("app_pool_size", labels(enrich, "pool", "p" + p), p + 10));
    }
    return out;
  }

  static Map<String, String> labels(Map<String, String> enrich, String... pairs) {
    Map<String, String> m = new HashMap<>(enrich);
    for (int i = 0; i + 1 < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }
}
