package io.meridian.telemetry.impl.series;

import io.meridian.common.config.SeriesOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The {@link SeriesStore} in memory (docs/telemetry.md, memory model): one series per (name,
 * labels) with interned label strings, points compressed in {@link Chunk}s (sealed after
 * {@value #CHUNK_POINTS} points, a quarter of the retention or {@value #CHUNK_BYTES} bytes).
 *
 * <ul>
 *   <li>Retention: {@link #maintain()} drops chunks whose newest point is older than the
 *       retention, and series left without points.</li>
 *   <li>{@code maxSeries}: a new series beyond it is refused (counted in
 *       {@code meridian_telemetry_series_refused_total}); its samples are dropped.</li>
 *   <li>{@code maxBytes}: the estimate ({@link #bytes()}: objects, arrays, chunks, interned
 *       strings, index entries) above it evicts series on the background executor, stale
 *       ones first then the least recently written, down to 90 % of the budget (counted in
 *       {@code meridian_telemetry_series_evicted_total}).</li>
 *   <li>Staleness: a series a target stopped exposing, or whose target was dropped, is stale:
 *       {@link #federate} leaves it out, {@link #select} still returns its points.</li>
 * </ul>
 * Threads: any number of writers (each series is guarded by its own lock; one writer per
 * target at a time is what the scraper does) and readers.
 */
public final class MemorySeriesStore implements SeriesStore {

  /** Points per sealed chunk at most (2 h at 15 s would be 480). */
  public static final int CHUNK_POINTS = 120;
  /** Stream bytes per chunk at most (hardly compressible values). */
  public static final int CHUNK_BYTES = 1024;
  /** Like Prometheus: {@link #federate} leaves out a series whose newest point is older. */
  public static final long LOOKBACK_MILLIS = 5 * 60_000;
  /** Estimated bytes of an interned string besides its characters (String, array, pool entry). */
  static final int STRING_BYTES = 24 + 16 + 48;

  private final long retentionMillis;
  private final int maxSeries;
  private final long maxBytes;
  private final long maxSpanMillis;
  private final LongSupplier clock;
  private final Executor background;

  private final ConcurrentHashMap<String, NameIndex> names = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TargetState> targets = new ConcurrentHashMap<>();
  private volatile ConcurrentHashMap<String, String> pool = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicInteger seriesCount = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong removedSinceRebuild = new AtomicLong();
  private final AtomicBoolean evicting = new AtomicBoolean();
  private final AtomicLong evicted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong ingested = new AtomicLong();
  private final MeterRegistry meters;
  private final List<io.micrometer.core.instrument.Meter> registered = new ArrayList<>();
  private final Counter evictedMeter;
  private final Counter refusedMeter;
  private final Counter ingestedMeter;

  /**
   * @param clock      now, in epoch milliseconds (retention and the federation look-back)
   * @param background runs eviction off the writer's thread
   * @param meters     where the store's meters are registered
   */
  public MemorySeriesStore(SeriesOptions options, LongSupplier clock, Executor background, MeterRegistry meters) {
    this.retentionMillis = options.retention().toMillis();
    this.maxSeries = options.maxSeries();
    this.maxBytes = options.maxBytes();
    this.maxSpanMillis = Math.max(1, retentionMillis / 4);
    this.clock = clock;
    this.background = background;
    this.meters = meters;
    registered.add(Gauge.builder("meridian.telemetry.series", seriesCount, AtomicInteger::get)
        .description("Time series held in memory").register(meters));
    registered.add(Gauge.builder("meridian.telemetry.series.bytes", bytes, AtomicLong::get).baseUnit("bytes")
        .description("Estimated memory of the time series (points, labels, index)").register(meters));
    evictedMeter = Counter.builder("meridian.telemetry.series.evicted")
        .description("Series evicted because the memory budget was exceeded").register(meters);
    refusedMeter = Counter.builder("meridian.telemetry.series.refused")
        .description("New series refused because maxSeries was reached").register(meters);
    ingestedMeter = Counter.builder("meridian.telemetry.samples.ingested")
        .description("Samples written into the time series").register(meters);
    registered.addAll(List.of(evictedMeter, refusedMeter, ingestedMeter));
  }

  /** Removes the store's meters from the registry (the role stops). */
  public void closeMeters() {
    registered.forEach(meters::remove);
  }

  @Override
  public void ingest(String target, long timeMillis, List<Sample> samples, Collection<Family> families) {
    TargetState state = targets.computeIfAbsent(target, t -> new TargetState());
    Map<String, Family> familyByName = null;
    if (families != null && !families.isEmpty()) {
      familyByName = new HashMap<>(families.size() * 2);
      for (Family f : families) {
        familyByName.put(f.name(), f);
      }
    }
    long written = 0;
    synchronized (state) {
      List<MemSeries> current = new ArrayList<>(samples.size());
      for (Sample sample : samples) {
        MemSeries series = write(state, sample, timeMillis, familyByName);
        if (series != null) {
          current.add(series);
          written++;
        }
      }
      for (MemSeries previous : state.current) {
        if (previous.lastTime != timeMillis && previous.owner == state) {
          previous.stale = true;
        }
      }
      state.current = current.toArray(new MemSeries[0]);
    }
    ingested.addAndGet(written);
    ingestedMeter.increment(written);
    overBudget();
  }

  @Override
  public void dropTarget(String target) {
    TargetState state = targets.remove(target);
    if (state == null) {
      return;
    }
    synchronized (state) {
      for (MemSeries s : state.current) {
        if (s.owner == state) {
          s.stale = true;
        }
      }
      state.current = new MemSeries[0];
    }
  }

  @Override
  public List<Series> select(String name, Map<String, String> match, long fromMillis, long toMillis) {
    return select(name, labels -> {
      for (Map.Entry<String, String> e : match.entrySet()) {
        if (!e.getValue().equals(labels.label(e.getKey()))) {
          return false;
        }
      }
      return true;
    }, fromMillis, toMillis);
  }

  private List<Series> select(String name, Predicate<MemSeries.Key> keep, long from, long to) {
    NameIndex index = names.get(name);
    List<Series> out = new ArrayList<>();
    if (index == null) {
      return out;
    }
    for (MemSeries s : index.series.values()) {
      if (s.lastTime < from || !keep.test(s.key)) {
        continue;
      }
      Series points;
      synchronized (s) {
        points = s.removed ? null : s.points(from, to);
      }
      if (points != null) {
        out.add(points);
      }
    }
    return out;
  }

  /** The newest non-stale sample of every series a selector matches, in pages (see {@link FederationPage}). */
  public FederationPage federate(List<SeriesSelector> selectors, FederationPage.Cursor after, int limit) {
    long oldest = clock.getAsLong() - LOOKBACK_MILLIS;
    List<NameIndex> indexes = new ArrayList<>();
    for (NameIndex index : names.values()) {
      if (selectors.stream().anyMatch(sel -> sel.nameMatches(index.name))) {
        indexes.add(index);
      }
    }
    Comparator<NameIndex> order = Comparator.comparing((NameIndex i) -> i.family).thenComparing(i -> i.name);
    indexes.sort(order);
    List<FederationPage.Entry> entries = new ArrayList<>();
    for (NameIndex index : indexes) {
      int position = after == null ? 1 : compare(index.family, index.name, after.family(), after.name());
      if (position < 0) {
        continue;
      }
      long afterId = position == 0 ? after.id() : -1;
      List<MemSeries> matching = new ArrayList<>();
      for (MemSeries s : index.series.values()) {
        if (s.id > afterId && !s.stale && s.lastTime >= oldest && selectors.stream().anyMatch(sel -> sel.matches(s.key))) {
          matching.add(s);
        }
      }
      matching.sort(Comparator.comparingLong(s -> s.id));
      for (MemSeries s : matching) {
        long time;
        double value;
        synchronized (s) {
          if (s.removed) {
            continue;
          }
          time = s.lastTime;
          value = s.lastValue();
        }
        entries.add(new FederationPage.Entry(index.family, index.type, s.key.name, s.key.labelMap(), time, value));
        if (entries.size() >= limit) {
          return new FederationPage(entries, new FederationPage.Cursor(index.family, index.name, s.id), after);
        }
      }
    }
    return new FederationPage(entries, null, after);
  }

  private static int compare(String family, String name, String afterFamily, String afterName) {
    int c = family.compareTo(afterFamily);
    return c != 0 ? c : name.compareTo(afterName);
  }

  /**
   * Applies the retention: drops expired chunks and series without points left, and rebuilds
   * the string pool after many removals. Run it periodically.
   */
  public void maintain() {
    long cutoff = clock.getAsLong() - retentionMillis;
    for (NameIndex index : names.values()) {
      for (MemSeries s : index.series.values()) {
        long freed;
        boolean expired;
        synchronized (s) {
          if (s.removed) {
            continue;
          }
          freed = s.dropBefore(cutoff);
          expired = s.lastTime < cutoff;
        }
        bytes.addAndGet(-freed);
        if (expired) {
          remove(index, s);
        }
      }
      if (index.series.isEmpty()) {
        names.remove(index.name, index);
      }
    }
    if (removedSinceRebuild.get() > Math.max(1000, seriesCount.get() / 2)) {
      rebuildPool();
    }
  }

  /** The estimated bytes held (see the class comment). */
  public long bytes() {
    return bytes.get();
  }

  /** Series held. */
  public int seriesCount() {
    return seriesCount.get();
  }

  /** Counts and sizes for operators and benchmarks; counts points (walks every series). */
  public Stats stats() {
    long points = 0;
    for (NameIndex index : names.values()) {
      for (MemSeries s : index.series.values()) {
        synchronized (s) {
          points += s.removed ? 0 : s.pointCount();
        }
      }
    }
    return new Stats(seriesCount.get(), points, bytes.get(), maxBytes, evicted.get(), refused.get(), ingested.get());
  }

  /** The store's figures at one moment. */
  public record Stats(int series, long points, long bytes, long maxBytes, long evicted, long refused, long samplesIngested) {
    /** Estimated bytes per point held, everything included ({@code NaN} without points). */
    public double bytesPerPoint() {
      return points == 0 ? Double.NaN : (double) bytes / points;
    }
  }

  private MemSeries write(TargetState state, Sample sample, long time, Map<String, Family> families) {
    NameIndex index = names.get(sample.name());
    if (index == null) {
      index = names.computeIfAbsent(intern(sample.name()), n -> new NameIndex(n, families));
    } else if (families != null && index.type.equals("untyped")) {
      index.resolve(families);
    }
    MemSeries.Key probe = new MemSeries.Key(sample.name(), sortedPairs(sample.labels()));
    for (int attempt = 0; attempt < 3; attempt++) {
      MemSeries series = index.series.get(probe);
      if (series == null) {
        series = create(index, probe);
        if (series == null) {
          return null;
        }
      }
      long delta;
      synchronized (series) {
        if (series.removed) {
          index = names.computeIfAbsent(index.name, n -> new NameIndex(n, families));
          continue;
        }
        delta = series.append(time, sample.value(), CHUNK_POINTS, maxSpanMillis, CHUNK_BYTES);
        if (delta == Long.MIN_VALUE) {
          return series.lastTime == time ? series : null; // a duplicate in this scrape, or out of order
        }
        series.stale = false;
        series.owner = state;
      }
      bytes.addAndGet(delta);
      return series;
    }
    return null;
  }

  private MemSeries create(NameIndex index, MemSeries.Key probe) {
    if (seriesCount.incrementAndGet() > maxSeries) {
      seriesCount.decrementAndGet();
      refused.incrementAndGet();
      refusedMeter.increment();
      return null;
    }
    String[] labels = probe.labels.clone();
    for (int i = 0; i < labels.length; i++) {
      labels[i] = intern(labels[i]);
    }
    MemSeries series = new MemSeries(ids.incrementAndGet(), new MemSeries.Key(index.name, labels));
    MemSeries existing = index.series.putIfAbsent(series.key, series);
    if (existing != null) {
      seriesCount.decrementAndGet();
      return existing;
    }
    long size;
    synchronized (series) {
      size = series.bytes();
    }
    bytes.addAndGet(size);
    if (names.get(index.name) != index) {
      // the name's index was removed as empty meanwhile: put the series where readers look
      remove(index, series);
      NameIndex live = names.computeIfAbsent(index.name, n -> new NameIndex(n, null));
      live.family = index.family;
      live.type = index.type;
      return create(live, probe);
    }
    return series;
  }

  private void remove(NameIndex index, MemSeries s) {
    long freed;
    synchronized (s) {
      if (s.removed) {
        return;
      }
      s.removed = true;
      freed = s.bytes();
    }
    index.series.remove(s.key, s);
    seriesCount.decrementAndGet();
    bytes.addAndGet(-freed);
    removedSinceRebuild.incrementAndGet();
  }

  private void overBudget() {
    if (bytes.get() > maxBytes && evicting.compareAndSet(false, true)) {
      try {
        background.execute(() -> {
          try {
            evict();
          } finally {
            evicting.set(false);
          }
        });
      } catch (RuntimeException e) {
        evicting.set(false);
        throw e;
      }
    }
  }

  /** Evicts stale series first, then the least recently written, until 90 % of the budget. */
  void evict() {
    long goal = maxBytes - maxBytes / 10;
    if (bytes.get() <= maxBytes) {
      return;
    }
    record Candidate(NameIndex index, MemSeries series, boolean stale, long lastTime) {
    }
    List<Candidate> all = new ArrayList<>(seriesCount.get());
    for (NameIndex index : names.values()) {
      for (MemSeries s : index.series.values()) {
        all.add(new Candidate(index, s, s.stale, s.lastTime));
      }
    }
    all.sort(Comparator.comparing((Candidate c) -> !c.stale).thenComparingLong(c -> c.lastTime));
    for (Candidate c : all) {
      if (bytes.get() <= goal) {
        break;
      }
      int before = seriesCount.get();
      remove(c.index, c.series);
      if (seriesCount.get() < before) {
        evicted.incrementAndGet();
        evictedMeter.increment();
      }
    }
  }

  private String intern(String s) {
    ConcurrentHashMap<String, String> p = pool;
    String known = p.putIfAbsent(s, s);
    if (known != null) {
      return known;
    }
    bytes.addAndGet(STRING_BYTES + s.length());
    return s;
  }

  /** Replaces the pool by one holding only what live series use, and recounts its bytes. */
  private void rebuildPool() {
    removedSinceRebuild.set(0);
    ConcurrentHashMap<String, String> fresh = new ConcurrentHashMap<>();
    ConcurrentHashMap<String, String> old = pool;
    pool = fresh;
    for (NameIndex index : names.values()) {
      fresh.putIfAbsent(index.name, index.name);
      for (MemSeries s : index.series.values()) {
        for (String label : s.key.labels) {
          fresh.putIfAbsent(label, label);
        }
      }
    }
    long oldBytes = 0;
    for (String s : old.keySet()) {
      oldBytes += STRING_BYTES + s.length();
    }
    long newBytes = 0;
    for (String s : fresh.keySet()) {
      newBytes += STRING_BYTES + s.length();
    }
    bytes.addAndGet(newBytes - oldBytes);
  }

  private static String[] sortedPairs(Map<String, String> labels) {
    String[] names = labels.keySet().toArray(new String[0]);
    Arrays.sort(names);
    String[] pairs = new String[names.length * 2];
    for (int i = 0; i < names.length; i++) {
      pairs[2 * i] = names[i];
      pairs[2 * i + 1] = labels.get(names[i]);
    }
    return pairs;
  }

  /** What a target exposed in its last scrape. */
  private static final class TargetState {
    MemSeries[] current = new MemSeries[0];
  }

  /** The series of one metric name, and the family it belongs to (for {@code # TYPE}). */
  private static final class NameIndex {
    final String name;
    volatile String family;
    volatile String type = "untyped";
    final ConcurrentHashMap<MemSeries.Key, MemSeries> series = new ConcurrentHashMap<>();

    NameIndex(String name, Map<String, Family> families) {
      this.name = name;
      this.family = name;
      if (families != null) {
        resolve(families);
      }
    }

    /**
     * The family of a sample name: its own when declared (counters, gauges, summaries'
     * quantiles), the stem's for a histogram's {@code _bucket}/{@code _sum}/{@code _count} and a
     * summary's {@code _sum}/{@code _count}; a counter {@code x_total} of family {@code x} is
     * typed counter under its own name (text format 0.0.4).
     */
    void resolve(Map<String, Family> families) {
      Family own = families.get(name);
      if (own != null) {
        family = name;
        type = FederationPage.type(own.type());
        return;
      }
      for (String suffix : new String[] {"_bucket", "_sum", "_count", "_total"}) {
        if (!name.endsWith(suffix)) {
          continue;
        }
        Family stem = families.get(name.substring(0, name.length() - suffix.length()));
        if (stem == null) {
          continue;
        }
        String t = FederationPage.type(stem.type());
        if ((t.equals("histogram") && !suffix.equals("_total")) || (t.equals("summary") && (suffix.equals("_sum") || suffix.equals("_count")))) {
          family = stem.name();
          type = t;
        } else if (t.equals("counter") && suffix.equals("_total")) {
          family = name;
          type = "counter";
        }
        return;
      }
    }
  }
}
