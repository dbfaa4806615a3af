package io.meridian.bench;

import io.meridian.common.config.ScrapeOptions;
import io.meridian.telemetry.impl.scrape.Scraper;
import io.meridian.telemetry.impl.series.Family;
import io.meridian.telemetry.impl.series.Sample;
import io.meridian.telemetry.impl.series.Series;
import io.meridian.telemetry.impl.series.SeriesStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark behind {@code scripts/bench/scrape}: the scraper alone (fetch, gunzip, parse, enrich)
 * against N targets × S series at an interval, the targets served by a generator in a child JVM
 * (one port per target, gzip), the samples handed to a store that only counts them. Prints the
 * scraping JVM's CPU (process CPU time over wall time, GC and JIT included) and heap.
 */
public final class ScrapeBench {

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("generator")) {
      generator(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      return;
    }
    int targets = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int series = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    Duration interval = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 15);
    int measureIntervals = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    Process generator = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
        "-cp", System.getProperty("java.class.path"), ScrapeBench.class.getName(), "generator", String.valueOf(targets),
        String.valueOf(series)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(generator.getInputStream()));
      List<ScrapeOptions.Target> list = new ArrayList<>();
      for (int i = 0; i < targets; i++) {
        list.add(new ScrapeOptions.Target("t" + i, "http://127.0.0.1:" + Integer.parseInt(out.readLine().trim()) + "/metrics", Map.of()));
      }
      run(list, series, interval, measureIntervals);
    } finally {
      generator.destroy();
      generator.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void run(List<ScrapeOptions.Target> list, int series, Duration interval, int measureIntervals) throws Exception {
    AtomicLong samples = new AtomicLong();
    AtomicLong scrapes = new AtomicLong();
    SeriesStore counting = new SeriesStore() {
      @Override
      public void ingest(String target, long timeMillis, List<Sample> s, Collection<Family> families) {
        samples.addAndGet(s.size());
        scrapes.incrementAndGet();
      }

      @Override
      public void dropTarget(String target) {
      }

      @Override
      public List<Series> select(String name, Map<String, String> match, long fromMillis, long toMillis) {
        return List.of();
      }
    };
    Vertx vertx = Vertx.vertx();
    Context context = vertx.getOrCreateContext();
    ScrapeOptions options = new ScrapeOptions(true, interval, Duration.ofSeconds(10), 32, 8L * 1024 * 1024, "default", false, list);
    Scraper[] scraper = new Scraper[1];
    context.runOnContext(v -> {
      scraper[0] = new Scraper(vertx, options, counting, new SimpleMeterRegistry());
      scraper[0].start();
    });
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    Thread.sleep(2 * interval.toMillis()); // warm-up: every target scraped twice
    long cpu0 = os.getProcessCpuTime();
    long wall0 = System.nanoTime();
    long samples0 = samples.get();
    long scrapes0 = scrapes.get();
    long maxHeap = 0;
    long end = wall0 + measureIntervals * interval.toNanos();
    while (System.nanoTime() < end) {
      Thread.sleep(200);
      maxHeap = Math.max(maxHeap, memory.getHeapMemoryUsage().getUsed());
    }
    double wall = (System.nanoTime() - wall0) / 1e9;
    double cores = (os.getProcessCpuTime() - cpu0) / 1e9 / wall;
    System.gc();
    long liveHeap = memory.getHeapMemoryUsage().getUsed();
    JsonObject state = Future.<JsonObject>future(p -> context.runOnContext(v -> scraper[0].targets(new JsonObject()).onComplete(p)))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long down = state.getJsonArray("targets").stream().filter(t -> !"up".equals(((JsonObject) t).getString("health"))).count();
    System.out.printf("| %d × %d series, every %ds | %.0f | %.0f | %.3f | %d MiB | %d MiB | %d |%n", list.size(), series,
        interval.toSeconds(), (scrapes.get() - scrapes0) / wall, (samples.get() - samples0) / wall, cores, maxHeap >> 20,
        liveHeap >> 20, down);
    Future.<Void>future(p -> context.runOnContext(v -> scraper[0].stop().onComplete(p)))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The generator: one HTTP server per target on a free 127.0.0.1 port (printed), each answering its own S series. */
  private static void generator(int targets, int series) throws Exception {
    Vertx vertx = Vertx.vertx();
    for (int t = 0; t < targets; t++) {
      StringBuilder text = new StringBuilder();
      int families = Math.max(1, series / 100);
      for (int f = 0; f < families; f++) {
        text.append("# HELP app_requests_").append(f).append("_total Requests of kind ").append(f).append('\n');
        text.append("# TYPE app_requests_").append(f).append("_total counter\n");
        for (int s = 0; s < series / families; s++) {
          text.append("app_requests_").append(f).append("_total{method=\"").append(s % 2 == 0 ? "GET" : "POST")
              .append("\",code=\"").append(200 + s % 5).append("\",path=\"/api/v1/items/").append(s).append("\"} ")
              .append(t * 1000L + s).append(".5\n");
        }
      }
      Buffer body = Buffer.buffer(text.toString());
      int port = vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(true))
          .requestHandler(r -> r.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(body))
          .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
      System.out.println(port);
    }
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until the benchmark closes our stdin (or dies)
    }
    System.exit(0);
  }

  private ScrapeBench() {
  }
}
