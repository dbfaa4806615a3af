package io.meridian.bench;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark behind {@code scripts/bench/cluster}: how long a registry change made on node A takes
 * to be routable through the gateway of node B, and how long a three-node cluster takes to form.
 *
 * <ol>
 *   <li>Peer: one all-in-one process (registry and gateway in the same JVM): register a new
 *       service on the admin API; <em>delivered</em> is when the gateway's view of the registry
 *       reaches the change's index ({@code registryIndex} in {@code /api/v1/gateway/gateways},
 *       polled back to back), <em>routable</em> when the gateway, asked every 0.5 ms, first
 *       answers 200 for it (its route table is rebuilt at most every 50 ms, batching changes).</li>
 *   <li>Cluster: node A runs {@code registry,rules} (the leader), node C {@code registry,rules}
 *       (a follower), node B {@code gateway}; the same measure, registering on A and asking B's
 *       gateway. Also the registration's own latency (acknowledged once C has it durable).</li>
 *   <li>Formation: from launching the three JVMs to every node ready, A leading with C in sync.</li>
 * </ol>
 * Prints a markdown block for docs/benchmarks.md.
 */
public final class ClusterBench {

  static final String TOKEN = "bench-admin-token-0123456789";
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  private final Path jar;
  private final Path work;
  private final List<Process> processes = new ArrayList<>();
  private int serial;

  ClusterBench(Path jar, Path work) {
    this.jar = jar;
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    Path work = Files.createTempDirectory("meridian-cluster-bench");
    ClusterBench bench = new ClusterBench(jar, work);
    HttpServer backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    backend.createContext("/", exchange -> {
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    backend.start();
    Runtime.getRuntime().addShutdownHook(new Thread(bench::stopAll));
    try {
      int port = backend.getAddress().getPort();
      // peer: one process
      int single = freePort();
      long t0 = System.nanoTime();
      bench.launch("single", single, List.of("--roles", "registry,rules,gateway"), Map.of());
      awaitReady(single);
      long singleStartMillis = millisSince(t0);
      int singleGateway = boundPort(single, "gateway");
      Result peer = bench.measure(single, single, singleGateway, port, iterations, "p");
      bench.stopAll();

      // the cluster
      int[] hz = {freePort(), freePort(), freePort()};
      int[] admin = {freePort(), freePort(), freePort()};
      String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2];
      String name = "bench-" + Long.toString(System.nanoTime(), 36);
      long f0 = System.nanoTime();
      String[] roles = {"registry,rules", "gateway", "registry,rules"};
      for (int i = 0; i < 3; i++) {
        bench.launch("n" + (i + 1), admin[i], List.of("--cluster", "--roles", roles[i]), Map.of(
            "MERIDIAN_CLUSTER_PORT", String.valueOf(hz[i]), "MERIDIAN_CLUSTER_MEMBERS", members,
            "MERIDIAN_CLUSTER_NAME", name, "MERIDIAN_CLUSTER_HOST", "127.0.0.1"));
        if (i == 0) {
          awaitReady(admin[0]); // A first, so that it is the oldest member: the leader
        }
      }
      for (int a : admin) {
        awaitReady(a);
      }
      while (inSyncFollowers(admin[0]) < 1) {
        Thread.sleep(5);
      }
      long formationMillis = millisSince(f0);
      int gatewayB = boundPort(admin[1], "gateway");
      Result cluster = bench.measure(admin[0], admin[1], gatewayB, port, iterations, "c");

      System.out.println("Cluster: " + Runtime.getRuntime().availableProcessors() + " cores, " + java.time.LocalDate.now()
          + ", " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", "
          + iterations + " changes each");
      System.out.println();
      System.out.println("| case | change → delivered to the gateway: p50 | p99 | max | → routable there: p50 | p99 "
          + "| registration acknowledged: p50 | p99 |");
      System.out.println("|---|---|---|---|---|---|---|---|");
      System.out.println(peer.row("one process (registry + gateway in one JVM): the peer"));
      System.out.println(cluster.row("cluster: registered on A (leader, follower C in sync), routed by B's gateway"));
      System.out.println();
      System.out.printf("Formation: three JVMs launched → all ready, A leading with C in sync: %d ms "
          + "(one all-in-one JVM to ready: %d ms)%n", formationMillis, singleStartMillis);
    } finally {
      bench.stopAll();
      backend.stop(0);
    }
  }

  record Result(double[] deliveredMillis, double[] routableMillis, double[] ackMillis) {
    String row(String label) {
      return String.format("| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms |", label,
          pct(deliveredMillis, 50), pct(deliveredMillis, 99), pct(deliveredMillis, 100),
          pct(routableMillis, 50), pct(routableMillis, 99), pct(ackMillis, 50), pct(ackMillis, 99));
    }
  }

  /** Registers a new service per iteration on {@code admin} and polls {@code gateway} until it routes to it. */
  Result measure(int admin, int gatewayAdmin, int gateway, int backend, int iterations, String prefix) throws Exception {
    // warm up both paths
    for (int i = 0; i < 20; i++) {
      once(admin, gatewayAdmin, gateway, backend, prefix + "warm" + i);
    }
    double[] routable = new double[iterations];
    double[] acked = new double[iterations];
    double[] delivered = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      double[] r = once(admin, gatewayAdmin, gateway, backend, prefix + "svc" + i);
      routable[i] = r[0];
      acked[i] = r[1];
      delivered[i] = r[2];
    }
    return new Result(delivered, routable, acked);
  }

  private double[] once(int admin, int gatewayAdmin, int gateway, int backend, String service) throws Exception {
    String body = """
        {"id": "%s-1", "endpoints": [{"address": "127.0.0.1"}],
         "services": [{"name": "%s", "version": "v1", "port": %d, "protocol": "http"}]}""".formatted(service, service, backend);
    long start = System.nanoTime();
    HttpResponse<String> r = send("POST", admin, "/api/v1/instances", body);
    long ack = System.nanoTime();
    if (r.statusCode() != 201) {
      throw new IllegalStateException("registration failed: " + r.statusCode() + " " + r.body());
    }
    long index = new JsonObject(r.body()).getLong("modifyIndex");
    // delivered: the gateway's view of the registry has reached the change's index
    long delivered;
    while (true) {
      JsonArray gateways = new JsonObject(send("GET", gatewayAdmin, "/api/v1/gateway/gateways", null).body())
          .getJsonArray("gateways");
      boolean reached = gateways.stream().map(JsonObject.class::cast).filter(g -> g.getJsonObject("ports")
          .getInteger("gateway") == gateway).anyMatch(g -> g.getLong("registryIndex", 0L) >= index);
      if (reached) {
        delivered = System.nanoTime();
        break;
      }
      if (System.nanoTime() > start + TimeUnit.SECONDS.toNanos(30)) {
        throw new IllegalStateException(service + " not delivered within 30 s");
      }
    }
    HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway + "/api/" + service + "/x"))
        .timeout(Duration.ofSeconds(5)).build();
    long deadline = start + TimeUnit.SECONDS.toNanos(30);
    while (HTTP.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(service + " not routable within 30 s");
      }
      Thread.sleep(0, 500_000);
    }
    long routable = System.nanoTime();
    return new double[] {(routable - start) / 1e6, (ack - start) / 1e6, (delivered - start) / 1e6};
  }

  void launch(String name, int admin, List<String> args, Map<String, String> env) throws IOException {
    Path dir = work.resolve(name + "-" + (serial++));
    Files.createDirectories(dir);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-jar", jar.toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(dir.resolve("stdout.log").toFile()).redirectError(dir.resolve("stderr.log").toFile());
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(k -> k.startsWith("MERIDIAN_"));
    Map<String, String> all = new HashMap<>(Map.of("MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", String.valueOf(admin),
        "MERIDIAN_CONSUL_PORT", "0", "MERIDIAN_XDS_PORT", "0", "MERIDIAN_GATEWAY_PORT", "0",
        "MERIDIAN_TELEMETRY_ZIPKIN_PORT", "0", "MERIDIAN_DATA_DIR", dir.resolve("data").toString(),
        "MERIDIAN_ADMIN_TOKEN", TOKEN));
    all.putAll(env);
    environment.putAll(all);
    processes.add(builder.start());
  }

  void stopAll() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
    processes.clear();
  }

  static void awaitReady(int admin) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      try {
        if (send("GET", admin, "/ready", null).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException("node on " + admin + " not ready within 120 s");
  }

  static int inSyncFollowers(int admin) throws Exception {
    JsonObject status = new JsonObject(send("GET", admin, "/api/v1/status", null).body());
    JsonArray followers = status.getJsonObject("replication", new JsonObject()).getJsonObject("registry", new JsonObject())
        .getJsonArray("followers", new JsonArray());
    return (int) followers.stream().filter(f -> ((JsonObject) f).getBoolean("inSync")).count();
  }

  static int boundPort(int admin, String listener) throws Exception {
    return new JsonObject(send("GET", admin, "/api/v1/status", null).body()).getJsonObject("ports").getInteger(listener);
  }

  static HttpResponse<String> send(String method, int admin, String path, String json) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + TOKEN)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static double pct(double[] values, double p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
