package io.meridian.bench;

import static io.meridian.bench.RegistryBench.await;
import static io.meridian.bench.RegistryBench.pct;
import static io.meridian.bench.RegistryBench.request;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Benchmark behind {@code scripts/bench/xds}: the real jar (pinned to core 1) with 1,000
 * services × 10 endpoints, and N light ADS clients in this process (core 0), each a grpc-java
 * stub speaking state of the world like a sidecar: every cluster (CDS wildcard), then every load
 * assignment (EDS), ACKing each response.
 * <ol>
 *   <li>N = 100, then N = 1,000 streams: a registry change (an endpoint added to one service)
 *       every second; for each, the time until every stream has that service's new
 *       load assignment (p50/p99 per stream, and until the last stream), next to the same
 *       change's arrival on the registry's own SSE stream (the peer: the registry → watcher
 *       floor without xDS);</li>
 *   <li>heap after a full GC before streams, with 100 and with 1,000: memory per stream;</li>
 *   <li>the server's {@code meridian.xds.snapshot.build} timer (translation + serialization +
 *       sends for every stream).</li>
 * </ol>
 * Prints a markdown block for docs/benchmarks.md.
 */
public final class XdsBench {

  static final int SERVICES = 1000;
  static final int ENDPOINTS = 10;
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  static int changes = 20;

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args[0]);
    int maxStreams = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    if (args.length > 2) {
      changes = Integer.parseInt(args[2]);
    }
    Path work = Files.createTempDirectory("meridian-xds-bench");
    int admin = RegistryBench.freePort();
    int xds = RegistryBench.freePort();
    String token = "bench-admin-token-0123456789";
    List<String> command = new ArrayList<>(List.of("taskset", "-c", "1", "java", "-Xmx2g", "-jar", jar.toString(),
        "--roles", "registry,rules,xds"));
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile())
        .redirectOutput(work.resolve("server.log").toFile()).redirectErrorStream(true);
    pb.environment().put("MERIDIAN_HOST", "127.0.0.1");
    pb.environment().put("MERIDIAN_ADMIN_PORT", Integer.toString(admin));
    pb.environment().put("MERIDIAN_CONSUL_PORT", "0");
    pb.environment().put("MERIDIAN_XDS_PORT", Integer.toString(xds));
    pb.environment().put("MERIDIAN_ADMIN_TOKEN", token);
    pb.environment().put("MERIDIAN_LOG_LEVEL", "warn");
    Process server = pb.start();
    Vertx vertx = Vertx.vertx();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(admin)
          .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
      try {
        RegistryBench.waitReady(http);
      } catch (IllegalStateException e) {
        System.err.println(Files.readString(work.resolve("server.log")));
        throw e;
      }
      long pid = server.pid();
      System.out.printf("%n**xDS benchmark** — %,d services × %d endpoints (%,d instances), sidecar-like SotW streams (CDS all,"
          + " EDS all); server pinned to core 1 (-Xmx2g), clients to core 0; debounce 100 ms; %s%n%n",
          SERVICES, ENDPOINTS, SERVICES * ENDPOINTS, java.time.LocalDate.now());
      long t0 = System.nanoTime();
      RegistryBench.run(http, SERVICES * ENDPOINTS, 64, i -> request(http, HttpMethod.POST, "/api/v1/instances", token,
          registration(i)), 201);
      System.out.printf("| set-up | %,d registrations in %.1f s | | |%n", SERVICES * ENDPOINTS, (System.nanoTime() - t0) / 1e9);

      double heap0 = heapAfterGc(pid, http, token);

      Clients clients = new Clients(xds);
      int[] steps = maxStreams >= 1000 ? new int[] {100, maxStreams} : new int[] {maxStreams};
      double[] heaps = new double[steps.length];
      int change = 0;
      for (int s = 0; s < steps.length; s++) {
        int n = steps[s];
        long open = System.nanoTime();
        clients.openUpTo(n, channels);
        clients.awaitSynced(n, 600);
        double syncSeconds = (System.nanoTime() - open) / 1e9;
        Sse sse = new Sse(vertx, admin, token); // a fresh watcher per step (a slow reader is cut off by the server)
        sse.open();
        Thread.sleep(2000);
        List<long[]> perStream = new ArrayList<>();
        long[] last = new long[changes];
        long[] sseLatency = new long[changes];
        for (int c = 0; c < changes; c++, change++) {
          int service = (change * 37) % SERVICES;
          String cluster = "outbound|8080||svc-" + service + ".default.svc.cluster.local";
          clients.expect(cluster, n);
          sse.expect("extra-" + service);
          long at = System.nanoTime();
          clients.startedAt = at;
          sse.startedAt = at;
          await(request(http, HttpMethod.POST, "/api/v1/instances", token, extra(service)));
          long[] latencies = clients.await(n, 30);
          perStream.add(latencies);
          last[c] = Arrays.stream(latencies).anyMatch(v -> v < 0) ? Long.MAX_VALUE : Arrays.stream(latencies).max().orElse(0);
          sseLatency[c] = sse.await(10);
          Thread.sleep(1000);
        }
        long missed = perStream.stream().flatMapToLong(Arrays::stream).filter(v -> v < 0).count();
        long sseMissed = Arrays.stream(sseLatency).filter(v -> v < 0).count();
        sseLatency = Arrays.stream(sseLatency).filter(v -> v >= 0).toArray();
        long[] all = perStream.stream().flatMapToLong(Arrays::stream).filter(v -> v >= 0).toArray();
        System.out.printf("| N = %,d streams | initial sync of all streams %.1f s | change → a stream: p50 %.0f ms, p99 **%.0f ms**;"
            + " change → every stream: p50 %.0f ms, p99 **%.0f ms** (%d changes%s) | peer: change → registry SSE p50 %.1f ms, p99 %.1f ms%s |%n",
            n, syncSeconds, pct(all, 50), pct(all, 99), pct(last, 50), pct(last, 99), changes,
            missed > 0 ? ", " + missed + " deliveries missed" : "", pct(sseLatency, 50), pct(sseLatency, 99),
            sseMissed > 0 ? " (" + sseMissed + " missed)" : "");
        heaps[s] = heapAfterGc(pid, http, token);
      }
      String perStream = steps.length == 2
          ? String.format("%.1f KB per stream ((heap at %d − heap at %d) / %d)", (heaps[1] - heaps[0]) / 1024 / (steps[1] - steps[0]),
              steps[1], steps[0], steps[1] - steps[0])
          : String.format("%.1f KB per stream ((heap at %d − heap before) / %d, includes the shared snapshot)",
              (heaps[0] - heap0) / 1024 / steps[0], steps[0], steps[0]);
      System.out.printf("| memory | heap after full GC: %.0f MB without streams, %s; **%s** | | |%n",
          heap0 / 1048576, describeHeaps(steps, heaps), perStream);
      String metrics = await(request(http, HttpMethod.GET, "/metrics", token, null)).body();
      System.out.printf("| server snapshot build (translate + serialize + send to every stream) | %s | | |%n", buildTimer(metrics));
    } finally {
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      server.destroy();
      server.waitFor(20, TimeUnit.SECONDS);
      vertx.close();
    }
  }

  static String describeHeaps(int[] steps, double[] heaps) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < steps.length; i++) {
      parts.add(String.format("%.0f MB with %,d", heaps[i] / 1048576, steps[i]));
    }
    return String.join(", ", parts);
  }

  static String buildTimer(String metrics) {
    double count = metric(metrics, "meridian_xds_snapshot_build_seconds_count");
    double sum = metric(metrics, "meridian_xds_snapshot_build_seconds_sum");
    double max = metric(metrics, "meridian_xds_snapshot_build_seconds_max");
    return String.format("%.0f builds, mean %.1f ms, max %.1f ms", count, 1000 * sum / count, 1000 * max);
  }

  static double metric(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  static double heapAfterGc(long pid, HttpClient http, String token) throws Exception {
    new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor(60, TimeUnit.SECONDS);
    Thread.sleep(500);
    String metrics = await(request(http, HttpMethod.GET, "/metrics", token, null)).body();
    return metrics.lines().filter(l -> l.startsWith("jvm_memory_used_bytes{area=\"heap\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  static String registration(int i) {
    int service = i % SERVICES;
    int n = i / SERVICES;
    return "{\"id\":\"svc-" + service + "-" + n + "\",\"labels\":{\"zone\":\"z" + (n % 3) + "\"},"
        + "\"endpoints\":[{\"address\":\"10." + (service / 250) + "." + (service % 250) + "." + (n + 1) + "\"}],"
        + "\"services\":[{\"name\":\"svc-" + service + "\",\"version\":\"v" + (n % 2 + 1) + "\",\"port\":8080}]}";
  }

  static String extra(int service) {
    return "{\"id\":\"extra-" + service + "\",\"endpoints\":[{\"address\":\"10.250." + (service / 250) + "." + (service % 250) + "\"}],"
        + "\"services\":[{\"name\":\"svc-" + service + "\",\"version\":\"v1\",\"port\":8080}]}";
  }

  /** N sidecar-like SotW streams: CDS wildcard, then EDS for every EDS cluster; every response ACKed. */
  static final class Clients {
    private final int port;
    private final List<Stream> streams = new ArrayList<>();
    private final AtomicInteger synced = new AtomicInteger();
    volatile long startedAt;
    private volatile String expected;
    private volatile AtomicLongArray arrivals;
    private volatile CountDownLatch arrived;

    Clients(int port) {
      this.port = port;
    }

    void openUpTo(int n, List<ManagedChannel> channels) {
      while (streams.size() < n) {
        if (streams.size() % 50 == 0) {
          channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(64 << 20).build());
        }
        Stream s = new Stream(streams.size(), this);
        streams.add(s);
        s.open(channels.get(channels.size() - 1));
      }
    }

    void awaitSynced(int n, int seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (synced.get() < n && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      if (synced.get() < n) {
        throw new IllegalStateException("only " + synced.get() + " of " + n + " streams synced");
      }
    }

    void expect(String cluster, int n) {
      AtomicLongArray a = new AtomicLongArray(n);
      for (int i = 0; i < n; i++) {
        a.set(i, -1);
      }
      arrivals = a;
      arrived = new CountDownLatch(n);
      expected = cluster;
    }

    long[] await(int n, int seconds) throws InterruptedException {
      arrived.await(seconds, TimeUnit.SECONDS);
      long[] result = new long[n];
      for (int i = 0; i < n; i++) {
        long at = arrivals.get(i);
        result[i] = at < 0 ? -1 : at - startedAt;
      }
      expected = null;
      return result;
    }

    void received(int stream, List<String> edsNames) {
      String want = expected;
      AtomicLongArray a = arrivals;
      if (want != null && a != null && stream < a.length() && edsNames.contains(want) && a.compareAndSet(stream, -1, System.nanoTime())) {
        arrived.countDown();
      }
    }
  }

  static final class Stream implements StreamObserver<DiscoveryResponse> {
    private final int id;
    private final Clients clients;
    private StreamObserver<DiscoveryRequest> requests;
    private List<String> edsNames = List.of();
    private boolean synced;

    Stream(int id, Clients clients) {
      this.id = id;
      this.clients = clients;
    }

    void open(ManagedChannel channel) {
      requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(this);
      Node node = Node.newBuilder().setId("bench-" + id).setMetadata(Struct.newBuilder()
          .putFields("role", Value.newBuilder().setStringValue("sidecar").build())).build();
      synchronized (this) {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
      }
    }

    @Override
    public synchronized void onNext(DiscoveryResponse response) {
      try {
        if (response.getTypeUrl().equals(CDS)) {
          List<String> names = new ArrayList<>();
          for (Any any : response.getResourcesList()) {
            Cluster c = any.unpack(Cluster.class);
            if (c.getType() == Cluster.DiscoveryType.EDS) {
              names.add(c.getName());
            }
          }
          requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(CDS).setVersionInfo(response.getVersionInfo())
              .setResponseNonce(response.getNonce()).build());
          if (!names.equals(edsNames)) {
            edsNames = names;
            requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(EDS).addAllResourceNames(names).build());
          }
        } else if (response.getTypeUrl().equals(EDS)) {
          List<String> got = new ArrayList<>(response.getResourcesCount());
          for (Any any : response.getResourcesList()) {
            got.add(any.unpack(ClusterLoadAssignment.class).getClusterName());
          }
          requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(EDS).addAllResourceNames(edsNames)
              .setVersionInfo(response.getVersionInfo()).setResponseNonce(response.getNonce()).build());
          if (!synced && got.size() >= edsNames.size()) {
            synced = true;
            clients.synced.incrementAndGet();
          }
          clients.received(id, got);
        }
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void onError(Throwable t) {
      System.err.println("stream " + id + " failed: " + t);
    }

    @Override
    public void onCompleted() {
    }
  }

  /** The registry's own event stream: when a change reaches a watcher without xDS in between. */
  static final class Sse {
    private final Vertx vertx;
    private final int port;
    private final String token;
    volatile long startedAt;
    private volatile String expected;
    private volatile CountDownLatch arrived = new CountDownLatch(0);
    private volatile long latency;

    Sse(Vertx vertx, int port, String token) {
      this.vertx = vertx;
      this.port = port;
      this.token = token;
    }

    void open() throws Exception {
      RegistryBench.await(RegistryBench.sse(vertx, port, token, "/api/v1/events", json -> {
        String want = expected;
        if (want != null && json.getString("id", "").equals(want)) {
          latency = System.nanoTime() - startedAt;
          expected = null;
          arrived.countDown();
        }
      }));
    }

    void expect(String id) {
      latency = -1;
      arrived = new CountDownLatch(1);
      expected = id;
    }

    long await(int seconds) throws InterruptedException {
      arrived.await(seconds, TimeUnit.SECONDS);
      return latency;
    }
  }

  private XdsBench() {
  }
}
