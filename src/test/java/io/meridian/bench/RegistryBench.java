package io.meridian.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark behind {@code scripts/bench/registry}: the real jar as a separate process (pinned
 * to one core), driven over REST from this process (pinned to the other):
 * <ol>
 *   <li>register N instances (2 planes, 2 services each) with C requests in flight;</li>
 *   <li>heartbeat every instance once per 30 s TTL (N/30 per second) for a while, measuring the
 *       server's CPU; next to it, the same rate of {@code GET /health} (the HTTP floor);</li>
 *   <li>while heartbeats run, one change every 100 ms on a probe service, timing its delivery
 *       to an SSE stream and to a blocking query;</li>
 *   <li>heap after a full GC.</li>
 * </ol>
 * Prints a markdown block for docs/benchmarks.md.
 */
public final class RegistryBench {

  static int instances = 100_000;
  static int concurrency = 64;
  static int heartbeatSeconds = 120;
  static int floorSeconds = 30;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    if (args.length > 1) {
      instances = Integer.parseInt(args[1]);
    }
    if (args.length > 2) {
      heartbeatSeconds = Integer.parseInt(args[2]);
    }
    Path work = Files.createTempDirectory("meridian-registry-bench");
    int admin = freePort();
    String token = "bench-admin-token-0123456789";
    Files.writeString(work.resolve("planes.yaml"), """
        registry:
          planes:
            - name: data
              cidrs: [10.0.0.0/8]
            - name: mgmt
              cidrs: [172.16.0.0/12]
        """);
    List<String> command = new ArrayList<>(List.of("taskset", "-c", "1", "java", "-Xmx1g"));
    if (System.getProperty("bench.jfr") != null) {
      command.add("-XX:StartFlightRecording=settings=profile,delay=" + System.getProperty("bench.jfr") + ",duration=20s,filename="
          + work.resolve("server.jfr"));
      System.err.println("JFR: " + work.resolve("server.jfr"));
    }
    command.addAll(List.of("-jar", jar.toString(),
        "--conf", work.resolve("planes.yaml").toString(), "--roles", "registry"));
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile())
        .redirectOutput(work.resolve("server.log").toFile()).redirectErrorStream(true);
    pb.environment().put("MERIDIAN_HOST", "127.0.0.1");
    pb.environment().put("MERIDIAN_ADMIN_PORT", Integer.toString(admin));
    pb.environment().put("MERIDIAN_CONSUL_PORT", "0");
    pb.environment().put("MERIDIAN_ADMIN_TOKEN", token);
    pb.environment().put("MERIDIAN_LOG_LEVEL", "warn");
    Process server = pb.start();
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(admin)
          .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(concurrency));
      try {
        waitReady(http);
      } catch (IllegalStateException e) {
        System.err.println(Files.readString(work.resolve("server.log")));
        throw e;
      }
      long pid = server.pid();
      System.out.printf("%n**Registry benchmark** — %d instances, %d in flight, heartbeats for %d s; server pinned to core 1,"
          + " load generator to core 0; %s%n%n", instances, concurrency, heartbeatSeconds, java.time.LocalDate.now());

      // 1. registrations
      double cpu0 = cpuSeconds(pid);
      long t0 = System.nanoTime();
      long[] regLatency = run(http, instances, concurrency, i -> request(http, HttpMethod.POST, "/api/v1/instances", token,
          registration(i)), 201);
      double regSeconds = (System.nanoTime() - t0) / 1e9;
      double regCpu = cpuSeconds(pid) - cpu0;
      System.out.printf("| registrations | %,d in %.1f s = **%,.0f /s** | p50 %.2f ms, p99 %.2f ms | server CPU %.0f%% of a core |%n",
          instances, regSeconds, instances / regSeconds, pct(regLatency, 50), pct(regLatency, 99), 100 * regCpu / regSeconds);

      // 2. heartbeats at N/30 per second: the server's CPU for them alone
      int rate = instances / 30;
      double cpu1 = cpuSeconds(pid);
      long t1 = System.nanoTime();
      PacedResult beats = paced(vertx, http, rate, heartbeatSeconds, i -> request(http, HttpMethod.PUT,
          "/api/v1/instances/bench-" + (i % instances) + "/heartbeat", token, null), null);
      double hbSeconds = (System.nanoTime() - t1) / 1e9;
      double hbCpu = cpuSeconds(pid) - cpu1;
      System.out.printf("| heartbeats | %,d at %,d /s target (%,.0f /s achieved), %d failed | p50 %.2f ms, p99 %.2f ms | server CPU **%.0f%%** of a core |%n",
          beats.done, rate, beats.done / hbSeconds, beats.failed, pct(beats.latency, 50), pct(beats.latency, 99), 100 * hbCpu / hbSeconds);

      // 4. event delivery under the same heartbeat load: a change every 100 ms on a probe,
      //    watched by an SSE stream and a blocking query
      EventProbe probe = new EventProbe(vertx, http, token, admin);
      probe.start();
      paced(vertx, http, rate, 30, i -> request(http, HttpMethod.PUT,
          "/api/v1/instances/bench-" + (i % instances) + "/heartbeat", token, null), probe::change);
      Thread.sleep(500);

      // 3. the floor: the same request rate on /health
      double cpu2 = cpuSeconds(pid);
      long t2 = System.nanoTime();
      PacedResult floor = paced(vertx, http, rate, floorSeconds, i -> request(http, HttpMethod.GET, "/health", null, null), null);
      double floorSec = (System.nanoTime() - t2) / 1e9;
      double floorCpu = cpuSeconds(pid) - cpu2;
      System.out.printf("| peer: GET /health at the same rate | %,d | p50 %.2f ms, p99 %.2f ms | server CPU %.0f%% of a core |%n",
          floor.done, pct(floor.latency, 50), pct(floor.latency, 99), 100 * floorCpu / floorSec);

      probe.stop();
      long[] sse = probe.sseLatencies();
      long[] blocking = probe.blockingLatencies();
      System.out.printf("| change → SSE event | %d changes | p50 %.2f ms, p99 **%.2f ms**, max %.2f ms | |%n",
          sse.length, pct(sse, 50), pct(sse, 99), pct(sse, 100));
      System.out.printf("| change → blocking query answer | %d changes | p50 %.2f ms, p99 **%.2f ms**, max %.2f ms | |%n",
          blocking.length, pct(blocking, 50), pct(blocking, 99), pct(blocking, 100));

      // 5. heap after a full GC
      new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor(60, TimeUnit.SECONDS);
      String metrics = await(request(http, HttpMethod.GET, "/metrics", null, null)).body;
      double heap = metrics.lines().filter(l -> l.startsWith("jvm_memory_used_bytes{area=\"heap\""))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
      long rss = rssKb(pid);
      System.out.printf("| memory | heap after full GC **%.0f MB**, RSS %.0f MB (-Xmx1g) | | |%n", heap / 1048576, rss / 1024.0);
      System.out.printf("%nStore file: %.1f MB%n", Files.size(work.resolve("data").resolve("meridian.mv")) / 1048576.0);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  // ---- load generation ---------------------------------------------------------------------

  record Response(int status, String body) {
  }

  interface Call {
    Future<Response> call(int i);
  }

  static Future<Response> request(HttpClient http, HttpMethod method, String uri, String token, String body) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(uri);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return http.request(options)
        .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), b.toString())));
  }

  static String registration(int i) {
    int a = i / 65536;
    int b = (i / 256) % 256;
    int c = i % 256;
    return "{\"id\":\"bench-" + i + "\",\"tenant\":\"t" + (i % 10) + "\",\"labels\":{\"zone\":\"z" + (i % 3) + "\"},"
        + "\"endpoints\":[{\"plane\":\"data\",\"address\":\"10." + a + "." + b + "." + c + "\"},"
        + "{\"plane\":\"mgmt\",\"address\":\"172.16." + ((i / 256) % 256) + "." + c + "\"}],"
        + "\"services\":[{\"name\":\"svc-" + (i % 500) + "\",\"version\":\"v" + (i % 2 + 1) + "\",\"port\":8080,\"planes\":[\"data\"]},"
        + "{\"name\":\"svc-" + (i % 500) + "-admin\",\"port\":9090,\"planes\":[\"mgmt\"]}],"
        + "\"health\":{\"ttl\":\"30s\",\"deregisterAfter\":\"10m\"}}";
  }

  /** Runs {@code total} calls with {@code inFlight} outstanding; returns latencies (ns). */
  static long[] run(HttpClient http, int total, int inFlight, Call call, int expected) throws InterruptedException {
    long[] latency = new long[total];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(total);
    Runnable[] launch = new Runnable[1];
    launch[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= total) {
        return;
      }
      long start = System.nanoTime();
      call.call(i).onComplete(ar -> {
        latency[i] = System.nanoTime() - start;
        if (ar.failed() || ar.result().status != expected) {
          if (failed.incrementAndGet() <= 3) {
            System.err.println("request " + i + " failed: " + (ar.failed() ? ar.cause() : ar.result()));
          }
        }
        done.countDown();
        launch[0].run();
      });
    };
    for (int k = 0; k < inFlight; k++) {
      launch[0].run();
    }
    done.await();
    if (failed.get() > 0) {
      System.err.println(failed.get() + " requests failed");
    }
    return latency;
  }

  record PacedResult(long done, long failed, long[] latency) {
  }

  /** Sends {@code rate} calls per second for {@code seconds}, in 10 ms ticks; {@code everyTenth} runs every 100 ms. */
  static PacedResult paced(Vertx vertx, HttpClient http, int rate, int seconds, Call call, Runnable every100ms)
      throws InterruptedException {
    int total = rate * seconds;
    long[] latency = new long[total];
    AtomicInteger sent = new AtomicInteger();
    AtomicLong completed = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    long start = System.nanoTime();
    long[] ticks = {0};
    vertx.setPeriodic(10, id -> {
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      int due = (int) Math.min(total, (long) rate * elapsedMs / 1000);
      while (sent.get() < due) {
        int i = sent.getAndIncrement();
        long t = System.nanoTime();
        call.call(i).onComplete(ar -> {
          latency[i] = System.nanoTime() - t;
          if (ar.failed() || ar.result().status >= 300) {
            failed.incrementAndGet();
          }
          if (completed.incrementAndGet() == total) {
            done.countDown();
          }
        });
      }
      if (every100ms != null && ++ticks[0] % 10 == 0 && sent.get() < total) {
        every100ms.run();
      }
      if (sent.get() >= total) {
        vertx.cancelTimer(id);
      }
    });
    done.await(seconds + 60L, TimeUnit.SECONDS);
    return new PacedResult(completed.get(), failed.get(), Arrays.copyOf(latency, (int) Math.min(total, completed.get())));
  }

  /** Changes a probe instance and times the change's arrival on an SSE stream and at a blocking query. */
  static final class EventProbe {
    private final Vertx vertx;
    private final HttpClient http;
    private final String token;
    private final int port;
    private final java.util.Map<String, Long> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Long> sse = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<Long> blocking = java.util.Collections.synchronizedList(new ArrayList<>());
    private int n;
    private volatile long index;
    private volatile boolean stopped;

    EventProbe(Vertx vertx, HttpClient http, String token, int port) {
      this.vertx = vertx;
      this.http = http;
      this.token = token;
      this.port = port;
    }

    void start() throws Exception {
      await(sse(vertx, port, token, "/api/v1/events?tenant=probe", json -> {
        Long at = sentAt.get(json.getJsonObject("instance").getJsonObject("labels").getString("n"));
        if (at != null) {
          sse.add(System.nanoTime() - at);
        }
      }));
      index = new JsonObject(await(request(http, HttpMethod.GET, "/api/v1/instances?tenant=probe", token, null)).body)
          .getLong("index");
      watch();
    }

    void stop() {
      stopped = true;
    }

    private void watch() {
      if (stopped) {
        return;
      }
      request(http, HttpMethod.GET, "/api/v1/instances?tenant=probe&index=" + index + "&wait=30s", token, null)
          .onComplete(ar -> {
            if (ar.succeeded() && ar.result().status == 200) {
              long now = System.nanoTime();
              JsonObject body = new JsonObject(ar.result().body);
              index = body.getLong("index");
              for (Object o : body.getJsonArray("instances")) {
                Long at = sentAt.remove(((JsonObject) o).getJsonObject("labels").getString("n") + "#b");
                if (at != null) {
                  blocking.add(now - at);
                }
              }
            }
            watch();
          });
    }

    void change() {
      String label = Integer.toString(++n);
      long now = System.nanoTime();
      sentAt.put(label, now);
      sentAt.put(label + "#b", now);
      request(http, HttpMethod.POST, "/api/v1/instances", token, "{\"id\":\"probe\",\"tenant\":\"probe\",\"labels\":{\"n\":\""
          + label + "\"},\"endpoints\":[{\"plane\":\"data\",\"address\":\"10.255.0.1\"}],\"services\":[{\"name\":\"probe\",\"port\":1}]}");
    }

    long[] sseLatencies() {
      return sse.stream().mapToLong(Long::longValue).toArray();
    }

    long[] blockingLatencies() {
      return blocking.stream().mapToLong(Long::longValue).toArray();
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** Opens an SSE stream on {@code uri} and hands each event's {@code data} JSON to {@code onEvent}; completes when open. */
  static Future<Void> sse(Vertx vertx, int port, String token, String uri, java.util.function.Consumer<JsonObject> onEvent) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    return client.request(new RequestOptions().setURI(uri).putHeader("Authorization", "Bearer " + token))
        .compose(req -> req.send())
        .map(resp -> {
          StringBuilder pending = new StringBuilder();
          resp.handler(chunk -> {
            pending.append(chunk.toString());
            int end;
            while ((end = pending.indexOf("\n\n")) >= 0) {
              String event = pending.substring(0, end);
              pending.delete(0, end + 2);
              int data = event.indexOf("data: ");
              if (data >= 0) {
                onEvent.accept(new JsonObject(event.substring(data + 6)));
              }
            }
          });
          return null;
        });
  }

  static double pct(long[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  static double cpuSeconds(long pid) throws IOException {
    String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks / 100.0;
  }

  static long rssKb(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0);
  }

  static void waitReady(HttpClient http) throws Exception {
    for (int i = 0; i < 600; i++) {
      try {
        if (await(request(http, HttpMethod.GET, "/ready", null, null)).status == 200) {
          return;
        }
      } catch (Exception notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("server did not become ready");
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private RegistryBench() {
  }
}
