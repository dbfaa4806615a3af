package io.meridian.telemetry.impl.series;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.SeriesOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemorySeriesStoreTest {

  static final long T0 = 1_700_000_000_000L;

  final AtomicLong now = new AtomicLong(T0);
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  MemorySeriesStore store(Duration retention, int maxSeries, long maxBytes) {
    return new MemorySeriesStore(new SeriesOptions(retention, maxSeries, maxBytes), now::get, Runnable::run, meters);
  }

  MemorySeriesStore store() {
    return store(Duration.ofHours(1), 1_000_000, 1L << 30);
  }

  static Sample sample(String name, double value, String... labels) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) {
      map.put(labels[i], labels[i + 1]);
    }
    return new Sample(name, map, value);
  }

  /** Verifies that ingested points come back from select by name and labels, across sealed chunks, in the asked range. */
  @Test
  void selectReturnsPointsOfMatchingSeriesInRange() {
    MemorySeriesStore store = store();
    for (int i = 0; i < 300; i++) {
      now.set(T0 + i * 15_000L);
      store.ingest("t1", now.get(), List.of(
          sample("reqs_total", i * 2.0, "service", "a", "code", "200"),
          sample("reqs_total", i, "service", "b", "code", "200")), List.of(new Family("reqs_total", "counter", "")));
    }
    List<Series> all = store.select("reqs_total", Map.of(), T0, now.get());
    assertThat(all).hasSize(2);
    List<Series> a = store.select("reqs_total", Map.of("service", "a"), T0 + 15_000L * 10, T0 + 15_000L * 250);
    assertThat(a).hasSize(1);
    Series s = a.get(0);
    assertThat(s.labels()).containsEntry("service", "a").containsEntry("code", "200");
    assertThat(s.times()).hasSize(241);
    assertThat(s.times()[0]).isEqualTo(T0 + 15_000L * 10);
    assertThat(s.values()[0]).isEqualTo(20.0);
    assertThat(s.values()[240]).isEqualTo(500.0);
    assertThat(store.select("reqs_total", Map.of("service", "c"), T0, now.get())).isEmpty();
    assertThat(store.select("nope", Map.of(), T0, now.get())).isEmpty();
    assertThat(store.select("reqs_total", Map.of(), now.get() + 1, now.get() + 10)).isEmpty();
    assertThat(meters.get("meridian.telemetry.samples.ingested").counter().count()).isEqualTo(600);
    assertThat(meters.get("meridian.telemetry.series").gauge().value()).isEqualTo(2);
  }

  /** Verifies that the retention drops whole chunks and then series without points, and frees their bytes. */
  @Test
  void retentionDropsExpiredChunksAndSeries() {
    MemorySeriesStore store = store(Duration.ofMinutes(10), 1000, 1L << 30);
    for (int i = 0; i < 200; i++) { // 50 minutes at 15 s
      now.set(T0 + i * 15_000L);
      store.ingest("t1", now.get(), List.of(sample("g", i, "k", "v")), List.of());
    }
    long full = store.bytes();
    store.maintain();
    Series s = store.select("g", Map.of(), 0, Long.MAX_VALUE).get(0);
    // chunks span a quarter of the retention: at most retention + one chunk is kept
    assertThat(s.times()[0]).isGreaterThanOrEqualTo(now.get() - Duration.ofMinutes(10 + 3).toMillis());
    assertThat(s.times()[s.times().length - 1]).isEqualTo(now.get());
    assertThat(store.bytes()).isLessThan(full);
    now.addAndGet(Duration.ofMinutes(11).toMillis());
    store.maintain();
    assertThat(store.select("g", Map.of(), 0, Long.MAX_VALUE)).isEmpty();
    assertThat(store.seriesCount()).isZero();
  }

  /** Verifies that series beyond maxSeries are refused and counted while known series keep being written. */
  @Test
  void maxSeriesRefusesNewSeries() {
    MemorySeriesStore store = store(Duration.ofHours(1), 3, 1L << 30);
    List<Sample> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(sample("m", i, "i", Integer.toString(i)));
    }
    store.ingest("t", T0, five, List.of());
    store.ingest("t", T0 + 15_000, five, List.of());
    assertThat(store.seriesCount()).isEqualTo(3);
    assertThat(store.select("m", Map.of(), 0, Long.MAX_VALUE)).allSatisfy(s -> assertThat(s.times()).hasSize(2));
    assertThat(meters.get("meridian.telemetry.series.refused").counter().count()).isEqualTo(4);
    assertThat(store.stats().refused()).isEqualTo(4);
  }

  /** Verifies that over maxBytes, stale series go first, then the least recently written, down to 90 % of the budget. */
  @Test
  void maxBytesEvictsStalestSeriesFirst() {
    MemorySeriesStore store = store(Duration.ofHours(1), 1_000_000, 1024 * 1024);
    // target "old": written once, then gone (stale)
    List<Sample> old = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      old.add(sample("old", i, "i", Integer.toString(i)));
    }
    store.ingest("old", T0, old, List.of());
    store.dropTarget("old");
    // target "live": many series, written repeatedly
    int round = 0;
    while (store.stats().evicted() == 0) {
      round++;
      now.set(T0 + round * 15_000L);
      List<Sample> live = new ArrayList<>();
      for (int i = 0; i < 500 * round && i < 5000; i++) {
        live.add(sample("live", i, "i", Integer.toString(i), "round", Integer.toString(i < 500 * (round - 1) ? 0 : round)));
      }
      store.ingest("live", now.get(), live, List.of());
      assertThat(round).isLessThan(100);
    }
    assertThat(store.bytes()).isLessThanOrEqualTo(1024 * 1024);
    assertThat(store.select("old", Map.of(), 0, Long.MAX_VALUE)).as("stale series evicted first").isEmpty();
    assertThat(meters.get("meridian.telemetry.series.evicted").counter().count()).isGreaterThanOrEqualTo(100);
    // the newest round's series survive
    long lastRound = now.get();
    assertThat(store.select("live", Map.of(), lastRound, lastRound)).isNotEmpty();
  }

  /** Verifies that a series a target stops exposing, and a dropped target's series, leave federation but stay queryable. */
  @Test
  void staleSeriesLeaveFederationButStayQueryable() {
    MemorySeriesStore store = store();
    SeriesSelector all = SeriesSelector.parse("{__name__=~\".+\"}");
    store.ingest("t1", T0, List.of(sample("up", 1, "job", "a"), sample("x", 5, "job", "a")), List.of());
    store.ingest("t2", T0, List.of(sample("up", 1, "job", "b")), List.of());
    assertThat(store.federate(List.of(all), null, 100).entries()).hasSize(3);
    now.set(T0 + 15_000);
    store.ingest("t1", now.get(), List.of(sample("up", 1, "job", "a")), List.of());
    assertThat(store.federate(List.of(all), null, 100).entries()).extracting(FederationPage.Entry::name)
        .containsExactly("up", "up");
    store.dropTarget("t2");
    assertThat(store.federate(List.of(all), null, 100).entries()).singleElement()
        .satisfies(e -> assertThat(e.labels()).containsEntry("job", "a"));
    assertThat(store.select("x", Map.of(), 0, Long.MAX_VALUE)).hasSize(1);
    assertThat(store.select("up", Map.of("job", "b"), 0, Long.MAX_VALUE)).hasSize(1);
    // exposed again: fresh
    store.ingest("t1", now.get() + 15_000, List.of(sample("up", 1, "job", "a"), sample("x", 6, "job", "a")), List.of());
    assertThat(store.federate(List.of(SeriesSelector.parse("x")), null, 100).entries()).hasSize(1);
    // older than the look-back: left out
    now.addAndGet(MemorySeriesStore.LOOKBACK_MILLIS + 60_000);
    assertThat(store.federate(List.of(all), null, 100).entries()).isEmpty();
  }

  /** Verifies that federation pages keep families contiguous and together return every series exactly once. */
  @Test
  void federationPagesCoverEverySeriesOnceInFamilyOrder() {
    MemorySeriesStore store = store();
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      samples.add(sample("h_bucket", i, "le", Integer.toString(i)));
      samples.add(sample("a_total", i, "i", Integer.toString(i)));
    }
    samples.add(sample("h_sum", 1));
    samples.add(sample("h_count", 1));
    samples.add(sample("z", 1));
    store.ingest("t", T0, samples, List.of(new Family("h", "histogram", ""), new Family("a", "counter", "")));
    List<FederationPage.Entry> all = new ArrayList<>();
    FederationPage.Cursor cursor = null;
    int pages = 0;
    do {
      FederationPage page = store.federate(List.of(SeriesSelector.parse("{__name__=~\".+\"}")), cursor, 4);
      all.addAll(page.entries());
      cursor = page.next();
      pages++;
    } while (cursor != null);
    assertThat(pages).isGreaterThanOrEqualTo(5);
    assertThat(all).hasSize(17);
    assertThat(all).extracting(FederationPage.Entry::family).containsExactly(
        "a_total", "a_total", "a_total", "a_total", "a_total", "a_total", "a_total",
        "h", "h", "h", "h", "h", "h", "h", "h", "h", "z");
    assertThat(all.get(0).type()).isEqualTo("counter");
    assertThat(all.get(7).type()).isEqualTo("histogram");
    assertThat(all.get(16).type()).isEqualTo("untyped");
  }

  /** Verifies that concurrent writers (one per target) and readers neither lose points nor fail. */
  @Test
  void concurrentWritersAndReadersSmoke() throws Exception {
    MemorySeriesStore store = store();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        String target = "t" + t;
        work.add(pool.submit(() -> {
          for (int i = 0; i < 500; i++) {
            List<Sample> samples = new ArrayList<>();
            for (int s = 0; s < 50; s++) {
              samples.add(sample("c_total", i, "target", target, "s", Integer.toString(s), "shared", "x"));
            }
            store.ingest(target, T0 + i * 1000L, samples, List.of());
          }
        }));
      }
      for (int r = 0; r < 2; r++) {
        work.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            for (Series s : store.select("c_total", Map.of("shared", "x"), 0, Long.MAX_VALUE)) {
              for (int k = 1; k < s.times().length; k++) {
                assertThat(s.times()[k]).isGreaterThan(s.times()[k - 1]);
              }
            }
            store.federate(List.of(SeriesSelector.parse("c_total")), null, 1000);
          }
        }));
      }
      for (Future<?> f : work) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Series> all = store.select("c_total", Map.of(), 0, Long.MAX_VALUE);
    assertThat(all).hasSize(200).allSatisfy(s -> {
      assertThat(s.times()).hasSize(500);
      assertThat(s.values()[499]).isEqualTo(499.0);
    });
    assertThat(store.stats().points()).isEqualTo(100_000);
  }
}
