package io.meridian.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Telemetry benchmark (scripts/bench/telemetry): N targets × ~1,000 series each, served by a
 * generator in this JVM (pinned to core 0), found by Meridian through their registry metrics
 * bindings. Meridian runs {@code --roles registry,telemetry} pinned to core 1.
 *
 * <ol>
 * <li>CPU: at the production interval (15 s), Meridian's CPU over a measured window, next to
 * Debian Prometheus scraping the same targets at the same interval (the peer).</li>
 * <li>Memory: the same targets at a short interval with a retention that holds the same 240
 * points per series as 1 h at 15 s, heap after a full GC once the window is full.</li>
 * </ol>
 * Prints a markdown block for docs/benchmarks.md.
 */
public final class TelemetryBench {

  static int targets = 500;
  static int cpuInterval = 15;
  static int cpuSeconds = 180;
  static int memInterval = 3;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    if (args.length > 1) {
      targets = Integer.parseInt(args[1]);
    }
    if (args.length > 2) {
      cpuSeconds = Integer.parseInt(args[2]);
    }
    if (args.length > 3) {
      memInterval = Integer.parseInt(args[3]);
    }
    Vertx vertx = Vertx.vertx();
    Generator generator = new Generator(vertx);
    int genPort = await(generator.listen());
    System.out.printf("%n**Telemetry benchmark** — %d targets × %d series (generator pinned to core 0, scrapers to core 1); %s%n%n",
        targets, Generator.SERIES, java.time.LocalDate.now());
    System.out.println("| what | interval | measured | CPU (share of one core) | memory |");
    System.out.println("| --- | --- | --- | --- | --- |");
    try {
      // 1. CPU at 15 s: Meridian, then Prometheus on the same targets
      try (Server m = Server.meridian(jar, cpuInterval, 3600, vertx)) {
        m.register(targets, genPort);
        m.awaitTargetsUp(targets, cpuInterval * 3 + 30);
        Thread.sleep(cpuInterval * 1000L); // one more full round after all are up
        double cpu0 = cpuSeconds(m.pid);
        long scrapes0 = generator.requests.get();
        long t0 = System.nanoTime();
        Thread.sleep(cpuSeconds * 1000L);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (cpuSeconds(m.pid) - cpu0) / seconds;
        long scrapes = generator.requests.get() - scrapes0;
        JsonObject store = m.storeFigures();
        System.out.printf("| Meridian scraper + store | %d s | %.0f s, %,d scrapes (%.1f/s) | **%.3f** | RSS %.0f MB; %s |%n",
            cpuInterval, seconds, scrapes, scrapes / seconds, cpu, rssKb(m.pid) / 1024.0, store.getString("text"));
      }
      Path promDir = Files.createTempDirectory("meridian-telemetry-bench-prom");
      try (Prometheus p = Prometheus.start(promDir, targets, genPort, cpuInterval)) {
        Thread.sleep((cpuInterval * 3L + 10) * 1000L);
        double cpu0 = cpuSeconds(p.pid());
        long scrapes0 = generator.requests.get();
        long t0 = System.nanoTime();
        Thread.sleep(cpuSeconds * 1000L);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (cpuSeconds(p.pid()) - cpu0) / seconds;
        long scrapes = generator.requests.get() - scrapes0;
        System.out.printf("| peer: Prometheus %s | %d s | %.0f s, %,d scrapes (%.1f/s) | **%.3f** | RSS %.0f MB |%n",
            p.version, cpuInterval, seconds, scrapes, scrapes / seconds, cpu, rssKb(p.pid()) / 1024.0);
      }

      // 2. memory: 240 points per series (1 h at 15 s) reached at a short interval (0: skipped)
      if (memInterval <= 0) {
        return;
      }
      int retention = memInterval * 240;
      try (Server m = Server.meridian(jar, memInterval, retention, vertx)) {
        m.register(targets, genPort);
        m.awaitTargetsUp(targets, memInterval * 3 + 60);
        double cpu0 = cpuSeconds(m.pid);
        long t0 = System.nanoTime();
        Thread.sleep((retention + 2L * memInterval) * 1000L);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (cpuSeconds(m.pid) - cpu0) / seconds;
        new ProcessBuilder("jcmd", Long.toString(m.pid), "GC.run").redirectErrorStream(true).start().waitFor(60, TimeUnit.SECONDS);
        double heap = m.heapBytes();
        JsonObject store = m.storeFigures();
        System.out.printf("| Meridian, window full (240 points/series, retention %d s) | %d s | %.0f s | %.3f | heap after full GC **%.0f MB**,"
                + " RSS %.0f MB (-Xmx%s); %s |%n",
            retention, memInterval, seconds, cpu, heap / 1048576, rssKb(m.pid) / 1024.0, Server.XMX, store.getString("text"));
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Serves {@code /metrics/<i>}: ~1,000 series per target whose counters grow and gauges move on every scrape. */
  static final class Generator {
    static final int ROUTES = 300;
    static final int QUEUES = 100;
    static final int HIST_ROUTES = 20;
    static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    static final int SERIES = ROUTES * 2 + QUEUES + HIST_ROUTES * (BUCKETS.length + 1 + 2) + 20;

    final Vertx vertx;
    final AtomicLong requests = new AtomicLong();

    Generator(Vertx vertx) {
      this.vertx = vertx;
    }

    Future<Integer> listen() {
      HttpServer server = vertx.createHttpServer();
      server.requestHandler(req -> {
        String path = req.path();
        if (!path.startsWith("/metrics/")) {
          req.response().setStatusCode(404).end();
          return;
        }
        int target = Integer.parseInt(path.substring("/metrics/".length()));
        long n = requests.incrementAndGet();
        req.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(body(target, n));
      });
      return server.listen(0, "127.0.0.1").map(HttpServer::actualPort);
    }

    static Buffer body(int target, long n) {
      StringBuilder b = new StringBuilder(SERIES * 80);
      long t = n / 1000 + target; // moves slowly, like real counters scraped per target
      b.append("# HELP app_http_requests_total Requests served\n# TYPE app_http_requests_total counter\n");
      for (int r = 0; r < ROUTES; r++) {
        b.append("app_http_requests_total{route=\"/api/r").append(r).append("\",method=\"GET\",code=\"200\"} ")
            .append(1000 + t * (r % 7 + 1) + n % 5).append('\n');
        b.append("app_http_requests_total{route=\"/api/r").append(r).append("\",method=\"GET\",code=\"500\"} ")
            .append(r % 3 == 0 ? t + n % 2 : 0).append('\n');
      }
      b.append("# HELP app_queue_depth Items waiting\n# TYPE app_queue_depth gauge\n");
      for (int q = 0; q < QUEUES; q++) {
        b.append("app_queue_depth{queue=\"q").append(q).append("\"} ").append((n * 31 + q * 17) % 100).append('\n');
      }
      b.append("# HELP app_request_duration_seconds Request latency\n# TYPE app_request_duration_seconds histogram\n");
      for (int r = 0; r < HIST_ROUTES; r++) {
        long count = 500 + t * 10 + n % 10;
        for (int i = 0; i < BUCKETS.length; i++) {
          b.append("app_request_duration_seconds_bucket{route=\"/api/r").append(r).append("\",le=\"").append(BUCKETS[i])
              .append("\"} ").append(count * (i + 1) / (BUCKETS.length + 1)).append('\n');
        }
        b.append("app_request_duration_seconds_bucket{route=\"/api/r").append(r).append("\",le=\"+Inf\"} ").append(count).append('\n');
        b.append("app_request_duration_seconds_sum{route=\"/api/r").append(r).append("\"} ").append(count * 0.0421).append('\n');
        b.append("app_request_duration_seconds_count{route=\"/api/r").append(r).append("\"} ").append(count).append('\n');
      }
      b.append("# HELP app_pool_size Connections\n# TYPE app_pool_size gauge\n");
      for (int p = 0; p < 20; p++) {
        b.append("app_pool_size{pool=\"p").append(p).append("\"} ").append(p + 10).append('\n');
      }
      return Buffer.buffer(b.toString());
    }
  }

  /** The Meridian process under test. */
  static final class Server implements AutoCloseable {
    static final String XMX = System.getProperty("bench.xmx", "1g");
    final Process process;
    final long pid;
    final HttpClient http;
    final String token = "bench-admin-token-0123456789";
    final Path work;

    Server(Process process, HttpClient http, Path work) {
      this.process = process;
      this.pid = process.pid();
      this.http = http;
      this.work = work;
    }

    static Server meridian(Path jar, int interval, int retentionSeconds, Vertx vertx) throws Exception {
      Path work = Files.createTempDirectory("meridian-telemetry-bench");
      int admin = freePort();
      List<String> command = new ArrayList<>(List.of("taskset", "-c", "1", "java", "-Xmx" + XMX, "-jar", jar.toString(),
          "--roles", "registry,telemetry"));
      ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile())
          .redirectOutput(work.resolve("server.log").toFile()).redirectErrorStream(true);
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("MERIDIAN_"));
      env.put("MERIDIAN_HOST", "127.0.0.1");
      env.put("MERIDIAN_ADMIN_PORT", Integer.toString(admin));
      env.put("MERIDIAN_CONSUL_PORT", "0");
      env.put("MERIDIAN_TELEMETRY_ZIPKIN_PORT", "0");
      env.put("MERIDIAN_ADMIN_TOKEN", "bench-admin-token-0123456789");
      env.put("MERIDIAN_LOG_LEVEL", "warn");
      env.put("MERIDIAN_TELEMETRY_SCRAPE_INTERVAL", interval + "s");
      env.put("MERIDIAN_TELEMETRY_SERIES_RETENTION", retentionSeconds + "s");
      Server s = new Server(pb.start(), vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(admin).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(16)), work);
      s.waitReady();
      return s;
    }

    void waitReady() throws Exception {
      for (int i = 0; i < 600; i++) {
        try {
          if (await(request(HttpMethod.GET, "/ready", null)).statusCode() == 200) {
            return;
          }
        } catch (Exception notYet) {
          // not listening yet
        }
        Thread.sleep(100);
      }
      throw new IllegalStateException("Meridian did not become ready:\n" + Files.readString(work.resolve("server.log")));
    }

    Future<io.vertx.core.http.HttpClientResponse> request(HttpMethod method, String uri, String body) {
      return http.request(new RequestOptions().setMethod(method).setURI(uri).putHeader("Authorization", "Bearer " + token)
              .putHeader("Content-Type", "application/json"))
          .compose(req -> body == null ? req.send() : req.send(body));
    }

    String get(String uri) throws Exception {
      return await(request(HttpMethod.GET, uri, null).compose(r -> r.body().map(Buffer::toString)));
    }

    void register(int n, int genPort) throws Exception {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        JsonObject instance = new JsonObject().put("id", "app-" + i).put("tenant", "bench")
            .put("endpoints", new JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
            .put("services", new JsonArray().add(new JsonObject().put("name", "svc-" + (i % 50)).put("version", "v" + (i % 3))
                .put("port", genPort).put("protocol", "http")
                .put("metrics", new JsonObject().put("path", "/metrics/" + i).put("port", genPort))));
        done.add(request(HttpMethod.POST, "/api/v1/instances", instance.encode()).compose(r -> {
          if (r.statusCode() / 100 != 2) {
            return r.body().compose(b -> Future.failedFuture("registration answered " + r.statusCode() + ": " + b));
          }
          return Future.succeededFuture();
        }));
        if (done.size() >= 32) {
          await(Future.all(done));
          done.clear();
        }
      }
      await(Future.all(done));
    }

    void awaitTargetsUp(int n, int seconds) throws Exception {
      long deadline = System.nanoTime() + seconds * 1_000_000_000L;
      String last = "";
      while (System.nanoTime() < deadline) {
        JsonObject answer = new JsonObject(get("/api/v1/telemetry/targets"));
        long up = answer.getJsonArray("targets").stream()
            .filter(t -> "registry".equals(((JsonObject) t).getString("kind")) && "up".equals(((JsonObject) t).getString("health")))
            .count();
        last = up + " registry targets up";
        if (up >= n) {
          return;
        }
        Thread.sleep(1000);
      }
      throw new IllegalStateException("targets not up in time: " + last);
    }

    double heapBytes() throws Exception {
      return get("/metrics").lines().filter(l -> l.startsWith("jvm_memory_used_bytes{area=\"heap\""))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The store's own meters: series held, estimated bytes, evicted, refused. */
    JsonObject storeFigures() throws Exception {
      StringBuilder text = new StringBuilder();
      for (String line : get("/metrics").lines().toList()) {
        if (line.startsWith("meridian_telemetry_series") && !line.startsWith("#")) {
          text.append(text.isEmpty() ? "" : ", ").append(line);
        }
      }
      return new JsonObject().put("text", text.toString());
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Debian Prometheus scraping the same targets (the peer). */
  record Prometheus(Process process, String version) implements AutoCloseable {
    long pid() {
      return process.pid();
    }

    static Prometheus start(Path dir, int n, int genPort, int interval) throws Exception {
      StringBuilder config = new StringBuilder("global:\n  scrape_interval: " + interval + "s\nscrape_configs:\n  - job_name: bench\n"
          + "    static_configs:\n");
      for (int i = 0; i < n; i++) {
        config.append("      - targets: ['127.0.0.1:").append(genPort).append("']\n        labels: {__metrics_path__: /metrics/")
            .append(i).append(", target: t").append(i).append("}\n");
      }
      Files.writeString(dir.resolve("prometheus.yml"), config.toString());
      String version = new String(new ProcessBuilder("prometheus", "--version").redirectErrorStream(true).start()
          .getInputStream().readAllBytes()).lines().findFirst().orElse("").replaceAll(".*version ([^ ]+).*", "$1");
      Process p = new ProcessBuilder("taskset", "-c", "1", "prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
          "--web.listen-address=127.0.0.1:" + freePort(), "--storage.tsdb.path=" + dir.resolve("data"))
          .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
      return new Prometheus(p, version);
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  static double cpuSeconds(long pid) throws IOException {
    String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  static long rssKb(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private TelemetryBench() {
  }
}
