package io.meridian.it;

import static io.meridian.it.GatewayHttp.assertGatewayError;
import static io.meridian.it.GatewayHttp.await;
import static io.meridian.it.GatewayHttp.countedRequests;
import static io.meridian.it.GatewayHttp.instance;
import static io.meridian.it.GatewayHttp.register;
import static io.meridian.it.GatewayHttp.seen;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API gateway on the real jar ({@code --roles registry,rules,gateway}, gateway {@code gw-a})
 * with real HTTP backends in the test JVM: the "done when" (versions in the URL, a 90/10
 * canary over 1,000 requests, a killed instance failing no request), outlier ejection, the error
 * mapping, and loop protection between two real gateways.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayIT {

  static final String GATEWAY = "gw-a";

  @TempDir
  static Path work;

  /** Where registrations, rules and heartbeats go (its admin API). */
  MeridianProcess node;
  /** The process running gateway {@value #GATEWAY} (the same as {@link #node} here). */
  MeridianProcess gatewayNode;
  String token;
  int gateway;
  final List<AutoCloseable> backends = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    int admin = MeridianProcess.freePort();
    Map<String, String> env = MeridianProcess.loopbackEnv(admin, work.resolve("a").resolve("data"));
    env.put("MERIDIAN_GATEWAY_NAME", GATEWAY);
    node = MeridianProcess.start(work.resolve("a"), env, admin, "--roles", "registry,rules,gateway");
    node.awaitReady(Duration.ofSeconds(60));
    token = MeridianProcess.adminToken(work.resolve("a").resolve("data"));
    gateway = node.boundPort("gateway", token);
    gatewayNode = node;
  }

  @AfterEach
  void stopBackends() throws Exception {
    for (AutoCloseable b : backends) {
      b.close();
    }
    backends.clear();
  }

  @AfterAll
  void stop() throws Exception {
    if (gatewayNode != null && gatewayNode != node) {
      gatewayNode.close();
    }
    if (node != null) {
      node.close();
    }
  }

  <T extends AutoCloseable> T backend(T b) {
    backends.add(b);
    return b;
  }

  /** Starts a backend called {@code id} and registers it as instance {@code id} of {@code service} in tenant default. */
  HttpBackend serve(String id, String service, String version) throws Exception {
    HttpBackend b = backend(HttpBackend.start(id, version));
    register(node, token, instance(id, "default", service, version, b.port()));
    return b;
  }

  HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
    return GatewayHttp.get(gateway, path, headers);
  }

  /** A step of a client that may fail. */
  interface Step {
    void run() throws Exception;
  }

  /** Runs {@code step} {@code times} times in each of {@code clients} concurrent clients; fails if any step fails. */
  static void concurrently(int clients, int times, Step step) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < times; i++) {
            step.run();
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(40, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Waits until requests to {@code path} carry the header {@code x-rule: marker} (set by the VirtualService under test). */
  void awaitRule(String path, String marker) throws Exception {
    await("rule " + marker + " in effect", Duration.ofSeconds(10), () -> get(path),
        r -> r.statusCode() == 200 && marker.equals(new JsonObject(r.body()).getJsonObject("headers").getString("x-rule")));
  }

  /**
   * Verifies the "done when": {@code /api/demo/v1/hello} reaches v1 and
   * {@code /api/demo/v2/hello} v2, each seeing {@code /hello} (the prefix is stripped by
   * default) with the forwarding headers; after a DestinationRule and a 90/10 VirtualService,
   * 1,000 requests to {@code /api/demo/hello} go 90 % ± 3 % to v1, while a pinned version still
   * gets the route's other rules.
   */
  @Test
  void theDemoServiceIsReachedByVersionAndFollowsANinetyTenCanary() throws Exception {
    serve("demo-v1", "demo", "v1");
    serve("demo-v2", "demo", "v2");
    await("demo routable", Duration.ofSeconds(10), () -> get("/api/demo/v2/hello"), r -> r.statusCode() == 200);

    for (int i = 0; i < 10; i++) {
      JsonObject one = seen(get("/api/demo/v1/hello?i=" + i));
      assertThat(one.getString("version")).isEqualTo("v1");
      assertThat(one.getString("path")).isEqualTo("/hello?i=" + i);
      JsonObject two = seen(get("/api/demo/v2/hello"));
      assertThat(two.getString("version")).isEqualTo("v2");
      assertThat(two.getString("path")).isEqualTo("/hello");
    }
    JsonObject headers = seen(get("/api/demo/v1/hello")).getJsonObject("headers");
    assertThat(headers.getString("via")).isEqualTo("1.1 " + GATEWAY);
    assertThat(headers.getString("x-meridian-hops")).isEqualTo("1");
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("x-request-id")).isNotBlank();

    GatewayHttp.applyRules(node, token, """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: demo}
        spec:
          host: demo
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: demo}
        spec:
          hosts: [demo]
          http:
          - name: demo-canary
            headers: {request: {set: {x-rule: demo-canary}}}
            route:
            - {destination: {host: demo, subset: v1}, weight: 90}
            - {destination: {host: demo, subset: v2}, weight: 10}
        """);
    awaitRule("/api/demo/hello", "demo-canary");

    long countedBefore = countedRequests(gatewayNode, token, "route=\"demo-canary\"", "status=\"200\"");
    AtomicInteger toV1 = new AtomicInteger();
    AtomicInteger toV2 = new AtomicInteger();
    concurrently(4, 250, () -> {
      JsonObject answer = seen(get("/api/demo/hello"));
      assertThat(answer.getString("path")).isEqualTo("/hello");
      assertThat(answer.getJsonObject("headers").getString("x-rule")).isEqualTo("demo-canary");
      (answer.getString("version").equals("v1") ? toV1 : toV2).incrementAndGet();
    });
    assertThat(toV1.get() + toV2.get()).isEqualTo(1000);
    assertThat(toV1.get()).as("requests to v1 of 1,000 (v2: %d)", toV2.get()).isBetween(870, 930);
    // the gateway's own meters saw the same 1,000 on the canary route
    assertThat(countedRequests(gatewayNode, token, "route=\"demo-canary\"", "status=\"200\"") - countedBefore).isEqualTo(1000);

    // a version in the URL pins it; the rest of the service's rules (here a header) still apply
    for (int i = 0; i < 20; i++) {
      JsonObject pinned = seen(get("/api/demo/v2/hello"));
      assertThat(pinned.getString("version")).isEqualTo("v2");
      assertThat(pinned.getJsonObject("headers").getString("x-rule")).isEqualTo("demo-canary");
    }
  }

  /**
   * Verifies that killing one of two instances fails no request, through the service and
   * through a pinned version: a refused connection is retried on the other instance (and
   * counts towards the dead one's ejection); the gateway's meters count no 5xx for the service.
   */
  @Test
  void killingAnInstanceFailsNoRequest() throws Exception {
    HttpBackend one = serve("catalog-1", "catalog", "v1");
    HttpBackend two = serve("catalog-2", "catalog", "v1");
    GatewayHttp.applyRules(node, token, outlierRules("catalog"));
    awaitRule("/api/catalog/items", "catalog-outlier");
    for (int i = 0; i < 20; i++) {
      seen(get("/api/catalog/items"));
    }
    assertThat(one.requests()).isPositive();
    assertThat(two.requests()).isPositive();

    two.close();
    int oneBefore = one.requests();
    for (int i = 0; i < 200; i++) {
      HttpResponse<String> r = get(i % 2 == 0 ? "/api/catalog/items" : "/api/catalog/v1/items");
      assertThat(r.statusCode()).as("request %d after the kill: %s", i, r.body()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getString("backend")).isEqualTo("catalog-1");
    }
    assertThat(one.requests() - oneBefore).isEqualTo(200);
    assertThat(countedRequests(gatewayNode, token, "service=\"catalog\"", "status=\"5")).isZero();
    assertThat(countedRequests(gatewayNode, token, "service=\"catalog\"", "status=\"200\"")).isGreaterThanOrEqualTo(220);
  }

  /**
   * Verifies outlier ejection: an instance that accepts connections and drops them is tried
   * once, then ejected for the DestinationRule's {@code baseEjectionTime} — without ejection
   * round robin would send it every other request — and no client sees the failure.
   */
  @Test
  void aCrashingInstanceIsEjectedAfterItsFirstFailure() throws Exception {
    serve("inventory-1", "inventory", "v1");
    DroppingBackend crashing = backend(DroppingBackend.start());
    register(node, token, instance("inventory-2", "default", "inventory", "v1", crashing.port()));
    GatewayHttp.applyRules(node, token, outlierRules("inventory"));
    awaitRule("/api/inventory/stock", "inventory-outlier");

    int triedBefore = crashing.accepted();
    for (int i = 0; i < 100; i++) {
      HttpResponse<String> r = get("/api/inventory/stock");
      assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(200);
    }
    assertThat(crashing.accepted() - triedBefore).as("connections to the crashing instance in 100 requests").isLessThanOrEqualTo(2);
    assertThat(countedRequests(gatewayNode, token, "service=\"inventory\"", "status=\"5")).isZero();
  }

  /** A DestinationRule ejecting an endpoint at its first gateway error, and a VirtualService marking requests. */
  static String outlierRules(String service) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: %1$s}
        spec:
          host: %1$s
          trafficPolicy:
            outlierDetection: {consecutiveGatewayErrors: 1, baseEjectionTime: 120s, maxEjectionPercent: 50}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %1$s}
        spec:
          hosts: [%1$s]
          http:
          - headers: {request: {set: {x-rule: %1$s-outlier}}}
            route:
            - destination: {host: %1$s}
        """.formatted(service);
  }

  /**
   * Verifies the error mapping, each a JSON error document with the header naming the gateway:
   * no such service → 404, an endpoint that refuses connections → 502, a registered service
   * whose only instance missed its TTL → 503 (and back to 200 after a heartbeat), a backend
   * slower than the VirtualService timeout → 504.
   */
  @Test
  void errorsAreJsonDocumentsNamingTheGateway() throws Exception {
    assertGatewayError(get("/api/nosuch/hello"), 404, "no_route", GATEWAY);
    assertGatewayError(get("/nowhere"), 404, "no_route", GATEWAY);

    int closed = MeridianProcess.freePort();
    register(node, token, instance("gone-1", "default", "gone", "v1", closed));
    HttpResponse<String> refused = await("gone routable", Duration.ofSeconds(10), () -> get("/api/gone/x"),
        r -> r.statusCode() != 404);
    assertThat(assertGatewayError(refused, 502, "upstream_connect_failed", GATEWAY).getString("message"))
        .contains("127.0.0.1:" + closed);

    HttpBackend sickBackend = backend(HttpBackend.start("sick-1", "v1"));
    register(node, token, instance("sick-1", "default", "sick", "v1", sickBackend.port())
        .put("health", new JsonObject().put("ttl", "1s")));
    await("sick routable", Duration.ofSeconds(10), () -> get("/api/sick/x"), r -> r.statusCode() == 200);
    HttpResponse<String> unhealthy = await("the TTL to expire", Duration.ofSeconds(10), () -> get("/api/sick/x"),
        r -> r.statusCode() != 200);
    assertGatewayError(unhealthy, 503, "no_healthy_endpoint", GATEWAY);
    assertThat(node.get("/api/v1/instances/sick-1", token).body()).contains("\"critical\"");
    assertThat(node.send("PUT", "/api/v1/instances/sick-1/heartbeat", token, null).statusCode()).isEqualTo(200);
    await("healthy again", Duration.ofSeconds(10), () -> get("/api/sick/x"), r -> r.statusCode() == 200);

    serve("slow-1", "slow", "v1");
    await("slow routable", Duration.ofSeconds(10), () -> get("/api/slow/x"), r -> r.statusCode() == 200);
    GatewayHttp.applyRules(node, token, """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: slow}
        spec:
          hosts: [slow]
          http:
          - timeout: 300ms
            headers: {request: {set: {x-rule: slow-timeout}}}
            route:
            - destination: {host: slow}
        """);
    awaitRule("/api/slow/x", "slow-timeout");
    assertThat(assertGatewayError(get("/api/slow/x?sleep=3000"), 504, "upstream_timeout", GATEWAY).getString("message"))
        .contains("slow");
    // the gateway is fine afterwards
    assertThat(seen(get("/api/slow/x")).getString("backend")).isEqualTo("slow-1");
  }

  /**
   * Verifies loop protection with two real gateways whose registries point service
   * {@code loop} at each other (prefix kept): a request bounces A → B → A … and ends in 508
   * with a JSON body naming the {@code Via} chain once it has passed {@code gateway.hopLimit}
   * (8) gateways; the hop counter a client sends counts; 50 loops leave both processes' open
   * file descriptors bounded.
   */
  @Test
  void aLoopBetweenTwoGatewaysEndsIn508WithBoundedFileDescriptors() throws Exception {
    int adminB = MeridianProcess.freePort();
    Map<String, String> env = MeridianProcess.loopbackEnv(adminB, work.resolve("b").resolve("data"));
    env.put("MERIDIAN_GATEWAY_NAME", "gw-b");
    try (MeridianProcess nodeB = MeridianProcess.start(work.resolve("b"), env, adminB, "--roles", "registry,rules,gateway")) {
      nodeB.awaitReady(Duration.ofSeconds(60));
      String tokenB = MeridianProcess.adminToken(work.resolve("b").resolve("data"));
      int gatewayB = nodeB.boundPort("gateway", tokenB);
      JsonObject toB = instance("loop-b", "default", "loop", null, gatewayB);
      toB.getJsonArray("services").getJsonObject(0).put("stripPrefix", false);
      JsonObject toA = instance("loop-a", "default", "loop", null, gateway);
      toA.getJsonArray("services").getJsonObject(0).put("stripPrefix", false);
      register(node, token, toB);
      register(nodeB, tokenB, toA);

      HttpResponse<String> looped = await("the loop to close", Duration.ofSeconds(10), () -> get("/api/loop/x"),
          r -> r.statusCode() == 508);
      String message = assertGatewayError(looped, 508, "loop_detected", GATEWAY).getString("message");
      assertThat(message).contains("passed 8 gateways")
          .contains("Via: 1.1 gw-a, 1.1 gw-b, 1.1 gw-a, 1.1 gw-b, 1.1 gw-a, 1.1 gw-b, 1.1 gw-a, 1.1 gw-b");
      // the counter a client sends is honoured: 6 → A makes it 7 → B makes it 8 → A refuses
      String fromSix = assertGatewayError(get("/api/loop/x", "x-meridian-hops", "6"), 508, "loop_detected", GATEWAY)
          .getString("message");
      assertThat(fromSix).contains("Via: 1.1 gw-a, 1.1 gw-b").doesNotContain("gw-b, 1.1 gw-a");
      assertGatewayError(GatewayHttp.get(gatewayB, "/api/loop/x", "x-meridian-hops", "8"), 508, "loop_detected", "gw-b");

      long baseA = gatewayNode.openFileDescriptors();
      long baseB = nodeB.openFileDescriptors();
      concurrently(5, 10, () -> {
        HttpResponse<String> r = get("/api/loop/x");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(508);
      });
      long afterA = gatewayNode.openFileDescriptors();
      long afterB = nodeB.openFileDescriptors();
      assertThat(afterA).as("open fds of A (baseline %d)", baseA).isLessThanOrEqualTo(baseA + 100);
      assertThat(afterB).as("open fds of B (baseline %d)", baseB).isLessThanOrEqualTo(baseB + 100);
      // both still serve
      assertGatewayError(get("/api/nosuch/x"), 404, "no_route", GATEWAY);
      assertGatewayError(GatewayHttp.get(gatewayB, "/api/nosuch/x"), 404, "no_route", "gw-b");
      System.out.printf("loop: fds A %d -> %d, B %d -> %d%n", baseA, afterA, baseB, afterB);
    }
  }
}
