package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gateway in a real node, with real backends: URL forms, rules per request, errors, pool limits, scope. */
class GatewayRoutingTest extends GatewayComponentTest {

  private static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  private static String errorCode(HttpResponse<String> r) {
    return json(r).getJsonObject("error").getString("code");
  }

  @Test
  void urlFormsPinVersionsAndStripThePrefix() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend v1 = backend("v1");
    TestBackend v2 = backend("v2");
    gw.register(v1.registration("demo-1", "demo", "v1"));
    gw.register(v2.registration("demo-2", "demo", "v2"));
    gw.awaitRoute("/api/demo/v1/hello");
    gw.awaitRoute("/api/demo/v2/hello");

    JsonObject a = json(gw.get("/api/demo/v1/hello?x=1"));
    assertThat(a.getString("name")).isEqualTo("v1");
    assertThat(a.getString("path")).isEqualTo("/hello?x=1");
    JsonObject headers = a.getJsonObject("headers");
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("via")).contains("meridian-gateway");
    assertThat(headers.getString("x-request-id")).isNotBlank();
    assertThat(json(gw.get("/api/demo/v2/hello")).getString("name")).isEqualTo("v2");
    // UIs: no version in the path (ONAP MSB's form)
    assertThat(json(gw.get("/iui/demo/index.html")).getString("path")).isEqualTo("/index.html");
    // no version: any healthy one
    assertThat(json(gw.get("/api/demo/")).getString("name")).isIn("v1", "v2");
    // a version nobody runs
    HttpResponse<String> v9 = gw.get("/api/demo/v9/hello");
    assertThat(v9.statusCode()).isEqualTo(503);
    assertThat(v9.headers().firstValue("x-meridian-gateway")).contains("meridian-gateway");

    HttpResponse<String> none = gw.get("/api/nothing/here");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(errorCode(none)).isEqualTo("no_route");
    assertThat(none.headers().firstValue("x-meridian-gateway")).contains("meridian-gateway");
  }

  @Test
  void weightedSplitFollowsTheRuleAndRuleChangesApplyToNewRequests() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend v1 = backend("v1");
    TestBackend v2 = backend("v2");
    gw.register(v1.registration("demo-1", "demo", "v1"));
    gw.register(v2.registration("demo-2", "demo", "v2"));
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: demo, namespace: default}
        spec:
          host: demo
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: demo, namespace: default}
        spec:
          hosts: [demo]
          http:
          - route:
            - {destination: {host: demo, subset: v1}, weight: 80}
            - {destination: {host: demo, subset: v2}, weight: 20}
        """);
    gw.awaitRoute("/api/demo/x");
    Thread.sleep(1000); // rule changes apply to new requests within 1 s
    int ones = 0;
    for (int i = 0; i < 1000; i++) {
      if (json(gw.get("/api/demo/x")).getString("name").equals("v1")) {
        ones++;
      }
    }
    assertThat(ones).isBetween(750, 850);
    // a pinned version ignores the split but keeps the service's rules
    assertThat(json(gw.get("/api/demo/v2/x")).getString("name")).isEqualTo("v2");

    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: demo, namespace: default}
        spec:
          hosts: [demo]
          http:
          - match: [{headers: {x-user: {exact: tester}}}]
            route: [{destination: {host: demo, subset: v2}}]
          - route: [{destination: {host: demo, subset: v1}}]
        """);
    Thread.sleep(1000);
    for (int i = 0; i < 20; i++) {
      assertThat(json(gw.get("/api/demo/x", "x-user", "tester")).getString("name")).isEqualTo("v2");
    }
    for (int i = 0; i < 50; i++) {
      assertThat(json(gw.get("/api/demo/x")).getString("name")).isEqualTo("v1");
    }
  }

  @Test
  void aConsistentHashKeyKeepsAUserOnOneVersionWhileTheWeightsHold() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend v1 = backend("v1");
    TestBackend v2 = backend("v2");
    gw.register(v1.registration("s-1", "sticky", "v1"));
    gw.register(v2.registration("s-2", "sticky", "v2"));
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: sticky, namespace: default}
        spec:
          host: sticky
          trafficPolicy:
            loadBalancer: {consistentHash: {httpHeaderName: x-user}}
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: sticky, namespace: default}
        spec:
          hosts: [sticky]
          http:
          - route:
            - {destination: {host: sticky, subset: v1}, weight: 50}
            - {destination: {host: sticky, subset: v2}, weight: 50}
        """);
    gw.awaitRoute("/api/sticky/");
    Thread.sleep(1000);
    Map<String, String> pinned = new java.util.HashMap<>();
    for (int round = 0; round < 5; round++) {
      for (int u = 0; u < 40; u++) {
        String version = json(gw.get("/api/sticky/x", "x-user", "user-" + u)).getString("name");
        String before = pinned.putIfAbsent("user-" + u, version);
        assertThat(before == null ? version : before).as("user-" + u + " in round " + round).isEqualTo(version);
      }
    }
    // the weights still hold across users
    long onV2 = pinned.values().stream().filter("v2"::equals).count();
    assertThat(onV2).isBetween(8L, 32L);
    // without the key, requests spread as the weights say
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 40; i++) {
      seen.add(json(gw.get("/api/sticky/x")).getString("name"));
    }
    assertThat(seen).containsExactlyInAnyOrder("v1", "v2");
  }

  @Test
  void ruleChangesUnderSteadyLoadFailNoRequest() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend v1 = backend("v1");
    TestBackend v2 = backend("v2");
    gw.register(v1.registration("l-1", "load", "v1"));
    gw.register(v2.registration("l-2", "load", "v2"));
    String rules = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: load, namespace: default}
        spec:
          host: load
          trafficPolicy: {loadBalancer: {simple: %s}}
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: load, namespace: default}
        spec:
          hosts: [load]
          http:
          - retries: {attempts: %d}
            route:
            - {destination: {host: load, subset: v1}, weight: %d}
            - {destination: {host: load, subset: v2}, weight: %d}
        ---
        apiVersion: meridian.io/v1
        kind: RateLimitPolicy
        metadata: {name: load, namespace: default}
        spec:
          targetRef: {service: load}
          key: client-ip
          rate: %d
          burst: 1000000
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: load, namespace: default}
        spec:
          action: DENY
          rules:
          - from: [{source: {ipBlocks: [%s]}}]
        """;
    gw.apply(rules.formatted("ROUND_ROBIN", 1, 50, 50, 1000000, "10.0.0.0/8"));
    gw.awaitRoute("/api/load/");
    java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ConcurrentLinkedQueue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      Thread t = new Thread(() -> {
        while (running.get()) {
          try {
            HttpResponse<String> r = gw.get("/api/load/x");
            if (r.statusCode() == 200) {
              ok.incrementAndGet();
            } else {
              failures.add(r.statusCode() + " " + r.body());
            }
          } catch (Exception e) {
            failures.add(e.toString());
          }
        }
      });
      t.start();
      clients.add(t);
    }
    // while the load runs: weights, balancer, retries, rate and the ACL change again and again
    String[] balancers = {"LEAST_REQUEST", "RANDOM", "ROUND_ROBIN"};
    for (int i = 0; i < 12; i++) {
      int w = (i * 37) % 101;
      gw.apply(rules.formatted(balancers[i % 3], i % 3, w, 100 - w, 1000000 + i, "10." + i + ".0.0/16"));
      Thread.sleep(150);
    }
    running.set(false);
    for (Thread t : clients) {
      t.join(20_000);
    }
    assertThat(failures).isEmpty();
    assertThat(ok.get()).isGreaterThan(100);
    assertThat(v1.requests.get()).isPositive();
    assertThat(v2.requests.get()).isPositive();
  }

  @Test
  void errorsAreMappedWithAJsonBodyAndTheGatewayHeader() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of("MERIDIAN_GATEWAY_CONNECT_TIMEOUT", "1s"));
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    gw.register(new JsonObject().put("id", "dead-1").put("endpoints", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("address", "127.0.0.1"))).put("services", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("name", "dead").put("port", closed))).encode());
    TestBackend slow = backend("slow");
    slow.delayMillis = 2000;
    gw.register(slow.registration("slow-1", "slow", "v1"));
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: slow, namespace: default}
        spec:
          hosts: [slow]
          http:
          - timeout: 300ms
            route: [{destination: {host: slow}}]
        """);
    String[] last = new String[1];
    gw.await(() -> "both services routed (last seen: " + last[0] + ")", () -> {
      try {
        HttpResponse<String> d = gw.get("/api/dead/");
        HttpResponse<String> t = gw.get("/api/slow/");
        last[0] = d.statusCode() + " " + d.body() + " / " + t.statusCode() + " " + t.body();
        return d.statusCode() != 404 && t.statusCode() == 504;
      } catch (Exception e) {
        last[0] = e.toString();
        return false;
      }
    });
    HttpResponse<String> dead = gw.get("/api/dead/x");
    assertThat(dead.statusCode()).isEqualTo(502);
    assertThat(errorCode(dead)).isEqualTo("upstream_connect_failed");
    assertThat(dead.headers().firstValue("x-meridian-gateway")).isPresent();
    HttpResponse<String> timeout = gw.get("/api/slow/x");
    assertThat(timeout.statusCode()).isEqualTo(504);
    assertThat(errorCode(timeout)).isEqualTo("upstream_timeout");
    assertThat(json(timeout).getJsonObject("error").getString("gateway")).isEqualTo("meridian-gateway");
  }

  @Test
  void connectionPoolLimitsQueueThenRefuseWithA503() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend b = backend("b");
    b.delayMillis = 100;
    gw.register(b.registration("pool-1", "pool", "v1"));
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: pool, namespace: default}
        spec:
          host: pool
          trafficPolicy:
            connectionPool:
              tcp: {maxConnections: 1}
              http: {http1MaxPendingRequests: 100}
        """);
    gw.awaitRoute("/api/pool/");
    Thread.sleep(1000); // rule changes apply to new requests within 1 s
    b.maxInFlight.set(0);
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(gw.getAsync("/api/pool/" + i));
    }
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      assertThat(c.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    // one connection at a time: the backend never served two at once
    assertThat(b.maxInFlight.get()).isEqualTo(1);

    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: pool, namespace: default}
        spec:
          host: pool
          trafficPolicy:
            connectionPool:
              tcp: {maxConnections: 1}
              http: {http1MaxPendingRequests: 1}
        """);
    Thread.sleep(1000);
    b.delayMillis = 500;
    calls.clear();
    for (int i = 0; i < 5; i++) {
      calls.add(gw.getAsync("/api/pool/" + i));
    }
    int ok = 0;
    int overflow = 0;
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      HttpResponse<String> r = c.get(30, TimeUnit.SECONDS);
      if (r.statusCode() == 200) {
        ok++;
      } else {
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(errorCode(r)).isEqualTo("overflow");
        assertThat(json(r).getJsonObject("error").getString("message")).contains("http1MaxPendingRequests");
        overflow++;
      }
    }
    // one in flight, one waiting: the rest were refused
    assertThat(ok).isBetween(2, 4);
    assertThat(overflow).isEqualTo(5 - ok);
  }

  @Test
  void requestsInFlightAreLimitedAndKeepTheRouteTheyStartedWith() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend v1 = backend("v1");
    TestBackend v2 = backend("v2");
    gw.register(v1.registration("f-1", "flight", "v1"));
    gw.register(v2.registration("f-2", "flight", "v2"));
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: flight, namespace: default}
        spec:
          host: flight
          trafficPolicy:
            connectionPool:
              http: {http2MaxRequests: 1}
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: flight, namespace: default}
        spec:
          hosts: [flight]
          http:
          - route: [{destination: {host: flight, subset: v1}}]
        """);
    gw.awaitRoute("/api/flight/");
    Thread.sleep(1000);
    v1.delayMillis = 1500;
    CompletableFuture<HttpResponse<String>> slow = gw.getAsync("/api/flight/slow");
    gw.await("the slow request at the backend", () -> v1.inFlight.get() == 1);
    // a second request while one is in flight: over http2MaxRequests
    HttpResponse<String> over = gw.get("/api/flight/other");
    assertThat(over.statusCode()).isEqualTo(503);
    assertThat(errorCode(over)).isEqualTo("overflow");
    assertThat(json(over).getJsonObject("error").getString("message")).contains("http2MaxRequests");
    // the route changes while the request is in flight: new requests follow it, the old one is unaffected
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: flight, namespace: default}
        spec:
          hosts: [flight]
          http:
          - route: [{destination: {host: flight, subset: v2}}]
        """);
    HttpResponse<String> first = slow.get(20, TimeUnit.SECONDS);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(json(first).getString("name")).isEqualTo("v1");
    v1.delayMillis = 0;
    assertThat(json(gw.get("/api/flight/next")).getString("name")).isEqualTo("v2");
  }

  @Test
  void aTenantGatewayRegistersItselfAndComesBackWhenLost() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of("MERIDIAN_GATEWAY_TENANTS", "acme,beta", "MERIDIAN_GATEWAY_ADVERTISE", "127.0.0.1"));
    java.util.function.Function<String, JsonObject> registered = tenant -> {
      try {
        JsonObject list = new JsonObject(gw.admin("GET", "/api/v1/services/meridian-gateway/endpoints?tenant=" + tenant,
            null, null).body());
        return list.getJsonArray("endpoints", new io.vertx.core.json.JsonArray()).isEmpty() ? null
            : list.getJsonArray("endpoints").getJsonObject(0);
      } catch (Exception e) {
        return null;
      }
    };
    gw.await("registered in both tenants", () -> registered.apply("acme") != null && registered.apply("beta") != null);
    JsonObject endpoint = registered.apply("acme");
    assertThat(endpoint.getString("address")).isEqualTo("127.0.0.1");
    assertThat(endpoint.getInteger("port")).isEqualTo(gw.gatewayPort);
    assertThat(endpoint.getString("status")).isEqualTo("passing");
    // lost (deregistered behind its back): the next heartbeat registers it again
    gw.deregister(endpoint.getString("instance"));
    assertThat(registered.apply("acme")).isNull();
    gw.await("registered again", () -> registered.apply("acme") != null);
  }

  @Test
  void outlierDetectionEjectsAFailingEndpoint() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of());
    TestBackend good = backend("good");
    TestBackend bad = backend("bad");
    bad.status = 500;
    gw.register(good.registration("o-1", "outl", "v1"));
    gw.register(bad.registration("o-2", "outl", "v1"));
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: outl, namespace: default}
        spec:
          host: outl
          trafficPolicy:
            loadBalancer: {simple: ROUND_ROBIN}
            outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 50}
        """);
    gw.awaitRoute("/api/outl/");
    Thread.sleep(300);
    for (int i = 0; i < 20; i++) {
      gw.get("/api/outl/warmup");
    }
    int badBefore = bad.requests.get();
    for (int i = 0; i < 100; i++) {
      assertThat(gw.get("/api/outl/x").statusCode()).isEqualTo(200);
    }
    assertThat(bad.requests.get()).isEqualTo(badBefore);
  }

  @Test
  void aTenantScopedGatewayHoldsAndRoutesOnlyItsTenant() throws Exception {
    gw = GatewayTestNode.start(dir, Map.of("MERIDIAN_GATEWAY_TENANTS", "acme"));
    TestBackend acme = backend("acme");
    TestBackend beta = backend("beta");
    gw.register(new JsonObject(acme.registration("acme-1", "orders", "v1")).put("tenant", "acme").encode());
    gw.register(new JsonObject(beta.registration("beta-1", "orders", "v1")).put("tenant", "beta").encode());
    gw.register(new JsonObject(beta.registration("beta-2", "billing", "v1")).put("tenant", "beta").encode());
    gw.awaitRoute("/t/acme/api/orders/x");
    for (int i = 0; i < 20; i++) {
      assertThat(json(gw.get("/t/acme/api/orders/x")).getString("name")).isEqualTo("acme");
    }
    HttpResponse<String> other = gw.get("/t/beta/api/orders/x");
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(gw.get("/t/beta/api/billing/x").statusCode()).isEqualTo(404);
    assertThat(beta.requests.get()).isZero();
    // the gateway's view holds acme's instance only: beta's were never sent to it
    String metrics = gw.admin("GET", "/metrics", null, null).body();
    assertThat(metrics).contains("meridian_gateway_instances{gateway=\"meridian-gateway\"} 1.0");
  }
}
