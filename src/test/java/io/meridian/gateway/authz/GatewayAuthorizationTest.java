package io.meridian.gateway.authz;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.gateway.GatewayComponentTest;
import io.meridian.gateway.GatewayTestNode;
import io.meridian.gateway.TestBackend;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gateway in a real node with a real backend: Istio AuthorizationPolicies (DENY by CIDR,
 * ALLOW lists by method and path, header conditions), the client address behind trusted
 * proxies, and the request body size limit. Clients on other loopback addresses (127.0.0.2)
 * stand for other hosts.
 */
class GatewayAuthorizationTest extends GatewayComponentTest {

  private TestBackend demo(Map<String, String> env) throws Exception {
    gw = GatewayTestNode.start(dir, env);
    TestBackend b = TestBackend.start(vertx, "demo");
    closing.add(b);
    gw.register(b.registration("demo-1", "demo", "v1"));
    gw.awaitRoute("/api/demo/ready");
    return b;
  }

  /** An HTTP/1.1 exchange over a socket bound to {@code localIp}; the request must end with Connection: close. */
  private String raw(String localIp, String request) throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(localIp, 0));
      s.connect(new InetSocketAddress("127.0.0.1", gw.gatewayPort), 5000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private String get(String localIp, String path, String... headers) throws Exception {
    StringBuilder sb = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      sb.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    return raw(localIp, sb.append("\r\n").toString());
  }

  private static int status(String rawResponse) {
    return Integer.parseInt(rawResponse.substring(9, 12));
  }

  private static JsonObject error(HttpResponse<String> r) {
    return new JsonObject(r.body()).getJsonObject("error");
  }

  private boolean seen(TestBackend b, String path) {
    return b.seen.stream().anyMatch(j -> j.getString("path").equals(path));
  }

  private void awaitStatus(String path, int status, String... headers) throws InterruptedException {
    gw.await(() -> "status " + status + " for " + path, () -> {
      try {
        return gw.get(path, headers).statusCode() == status;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private void awaitStatusFrom(String localIp, String path, int status) throws InterruptedException {
    gw.await(() -> "status " + status + " for " + path + " from " + localIp, () -> {
      try {
        return status(get(localIp, path)) == status;
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void aDenyPolicyByCidrRefusesThoseClientsBeforeTheBackendAndLetsOthersPass() throws Exception {
    TestBackend b = demo(Map.of());
    gw.apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: block-two, namespace: default}
        spec:
          targetRefs: [{kind: Service, name: demo}]
          action: DENY
          rules:
          - from: [{source: {ipBlocks: [127.0.0.2/32]}}]
        """);
    awaitStatusFrom("127.0.0.2", "/api/demo/probe", 403);
    String denied = get("127.0.0.2", "/api/demo/from-two");
    assertThat(status(denied)).isEqualTo(403);
    assertThat(denied).contains("\"code\":\"forbidden\"").contains("RBAC: access denied").contains("default/block-two");
    assertThat(seen(b, "/from-two")).isFalse();
    assertThat(status(get("127.0.0.1", "/api/demo/from-one"))).isEqualTo(200);
    assertThat(seen(b, "/from-one")).isTrue();
    assertThat(gw.get("/api/demo/x").statusCode()).isEqualTo(200);
  }

  @Test
  void anAllowListAdmitsOnlyTheMethodsAndPathsItNames() throws Exception {
    TestBackend b = demo(Map.of());
    gw.apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: read-public, namespace: default}
        spec:
          targetRefs: [{kind: Service, name: demo}]
          action: ALLOW
          rules:
          - to: [{operation: {methods: [GET, HEAD], paths: ["/public/*", /health], notPaths: ["*.secret"]}}]
        """);
    awaitStatus("/api/demo/private", 403);
    assertThat(gw.get("/api/demo/public/a").statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/demo/health").statusCode()).isEqualTo(200);
    HttpResponse<String> secret = gw.get("/api/demo/public/key.secret");
    assertThat(secret.statusCode()).isEqualTo(403);
    assertThat(error(secret).getString("message")).contains("no ALLOW AuthorizationPolicy matches").contains("default/read-public");
    assertThat(gw.get("/api/demo/healthz").statusCode()).isEqualTo(403);
    String post = raw("127.0.0.1", "POST /api/demo/public/a HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi");
    assertThat(status(post)).isEqualTo(403);
    assertThat(b.seen).noneMatch(j -> j.getString("method").equals("POST") || j.getString("path").endsWith(".secret"));
  }

  @Test
  void whenConditionsOnHeadersAndAbsentIdentitiesFollowIstio() throws Exception {
    demo(Map.of());
    gw.apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: no-test-env, namespace: default}
        spec:
          action: DENY
          rules:
          - when:
            - {key: "request.headers[X-Env]", values: ["test*"]}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: jwt-only-admin, namespace: default}
        spec:
          action: DENY
          rules:
          - to: [{operation: {paths: ["/admin/*"]}}]
            from: [{source: {notRequestPrincipals: ["*"]}}]
        """);
    awaitStatus("/api/demo/x", 403, "X-Env", "testing");
    assertThat(gw.get("/api/demo/x", "X-Env", "prod").statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/demo/x").statusCode()).isEqualTo(200);
    // no verified JWT here: notRequestPrincipals ["*"] matches every anonymous request
    HttpResponse<String> admin = gw.get("/api/demo/admin/users");
    assertThat(admin.statusCode()).isEqualTo(403);
    assertThat(error(admin).getString("message")).contains("default/jwt-only-admin");
  }

  @Test
  void forwardedForIsTheClientOnlyWhenItComesFromATrustedProxy() throws Exception {
    TestBackend b = demo(Map.of("MERIDIAN_GATEWAY_TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.0/8"));
    gw.apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: block-doc-net, namespace: default}
        spec:
          action: DENY
          rules:
          - from: [{source: {ipBlocks: [203.0.113.0/24]}}]
        """);
    awaitStatus("/api/demo/x", 403, "X-Forwarded-For", "203.0.113.7");
    // the rightmost entry that is not a trusted proxy is the client
    assertThat(gw.get("/api/demo/x", "X-Forwarded-For", "198.51.100.1").statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/demo/x", "X-Forwarded-For", "203.0.113.7, 198.51.100.1").statusCode()).isEqualTo(200);
    assertThat(gw.get("/api/demo/x", "X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.1.2.3").statusCode()).isEqualTo(403);
    // the standard Forwarded header (RFC 7239), when present, is the chain instead
    assertThat(gw.get("/api/demo/x", "Forwarded", "for=203.0.113.7;proto=https", "X-Forwarded-For", "198.51.100.1")
        .statusCode()).isEqualTo(403);
    assertThat(gw.get("/api/demo/x", "Forwarded", "for=203.0.113.7, for=\"198.51.100.1:4711\"").statusCode()).isEqualTo(200);
    // the peer 127.0.0.2 is no trusted proxy: what it claims is ignored
    assertThat(status(get("127.0.0.2", "/api/demo/spoof", "X-Forwarded-For", "203.0.113.7"))).isEqualTo(200);
    assertThat(status(get("127.0.0.2", "/api/demo/spoof", "Forwarded", "for=203.0.113.7"))).isEqualTo(200);
    assertThat(seen(b, "/spoof")).isTrue();
    // the header goes upstream with the peer appended
    JsonObject echoed = new JsonObject(gw.get("/api/demo/echo", "X-Forwarded-For", "198.51.100.1").body());
    assertThat(echoed.getJsonObject("headers").getString("x-forwarded-for")).isEqualTo("198.51.100.1, 127.0.0.1");
  }

  @Test
  void withoutTrustedProxiesForwardedForIsIgnored() throws Exception {
    demo(Map.of());
    gw.apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: block-doc-net, namespace: default}
        spec:
          action: DENY
          rules:
          - from: [{source: {ipBlocks: [203.0.113.0/24, 127.0.0.2]}}]
        """);
    awaitStatusFrom("127.0.0.2", "/api/demo/probe", 403);
    assertThat(gw.get("/api/demo/x", "X-Forwarded-For", "203.0.113.7").statusCode()).isEqualTo(200);
  }

  /** Verifies that an HTTP/2 client gets the 413 (the stream then ends with RST_STREAM NO_ERROR, RFC 9113 8.1). */
  @Test
  void http2BodiesOverTheLimitGet413() throws Exception {
    demo(Map.of("MERIDIAN_GATEWAY_MAX_BODY_SIZE", "1000"));
    io.vertx.core.http.HttpClientAgent h2c = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    closing.add(() -> h2c.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    io.vertx.core.http.RequestOptions post = new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.POST)
        .setHost("127.0.0.1").setPort(gw.gatewayPort).setURI("/api/demo/h2");
    int ok = h2c.request(post).compose(r -> r.send(io.vertx.core.buffer.Buffer.buffer("z".repeat(900))))
        .map(io.vertx.core.http.HttpClientResponse::statusCode).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(ok).isEqualTo(200);
    int byLength = h2c.request(post).compose(r -> r.send(io.vertx.core.buffer.Buffer.buffer("z".repeat(5000))))
        .map(io.vertx.core.http.HttpClientResponse::statusCode).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(byLength).isEqualTo(413);
    // streamed: no content-length, the body grows past the limit
    java.util.concurrent.CompletableFuture<Integer> streamed = new java.util.concurrent.CompletableFuture<>();
    h2c.request(post).onSuccess(r -> {
      r.setChunked(true);
      r.response().onComplete(ar -> {
        if (ar.succeeded()) {
          streamed.complete(ar.result().statusCode());
        } else {
          streamed.completeExceptionally(ar.cause());
        }
      });
      r.write("z".repeat(600)).onSuccess(v -> r.write("z".repeat(600)));
    }).onFailure(streamed::completeExceptionally);
    assertThat(streamed.get(10, TimeUnit.SECONDS)).isEqualTo(413);
    assertThat(h2c.request(post).compose(r -> r.send("small")).map(io.vertx.core.http.HttpClientResponse::statusCode)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(200);
  }

  private HttpResponse<String> send(String method, String path, String... headers) throws Exception {
    java.net.http.HttpRequest.Builder r = java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + gw.gatewayPort + path))
        .timeout(java.time.Duration.ofSeconds(10)).method(method, java.net.http.HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i + 1 < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return gw.http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void corsPreflightsAreAnsweredBeforeAuthorizationAndResponsesToAllowedOriginsCarryTheHeaders() throws Exception {
    TestBackend b = demo(Map.of());
    gw.apply("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: demo, namespace: default}
        spec:
          hosts: [demo]
          http:
          - route: [{destination: {host: demo}}]
            corsPolicy:
              allowOrigins: [{exact: "https://app.example.com"}, {regex: "https://[a-z]+\\\\.trusted\\\\.io"}]
              allowMethods: [GET, POST]
              allowHeaders: [authorization, content-type]
              exposeHeaders: [x-request-id]
              maxAge: 24h
              allowCredentials: true
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: callers-with-a-token, namespace: default}
        spec:
          rules:
          - when: [{key: "request.headers[Authorization]", values: ["Bearer *"]}]
        """);
    awaitStatus("/api/demo/x", 403);
    String app = "https://app.example.com";
    HttpResponse<String> preflight = send("OPTIONS", "/api/demo/items", "Origin", app,
        "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization");
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).contains(app);
    assertThat(preflight.headers().firstValue("access-control-allow-methods")).contains("GET,POST");
    assertThat(preflight.headers().firstValue("access-control-allow-headers")).contains("authorization,content-type");
    assertThat(preflight.headers().firstValue("access-control-max-age")).contains("86400");
    assertThat(preflight.headers().firstValue("access-control-allow-credentials")).contains("true");
    assertThat(preflight.headers().firstValue("vary")).contains("Origin");
    assertThat(b.seen).noneMatch(j -> j.getString("method").equals("OPTIONS"));

    String trusted = "https://web.trusted.io";
    HttpResponse<String> actual = send("GET", "/api/demo/items", "Origin", trusted, "Authorization", "Bearer t");
    assertThat(actual.statusCode()).isEqualTo(200);
    assertThat(actual.headers().firstValue("access-control-allow-origin")).contains(trusted);
    assertThat(actual.headers().firstValue("access-control-allow-credentials")).contains("true");
    assertThat(actual.headers().firstValue("access-control-expose-headers")).contains("x-request-id");
    assertThat(actual.headers().firstValue("vary")).contains("Origin");
    assertThat(actual.headers().firstValue("access-control-allow-methods")).as("only in preflight answers").isEmpty();
    // the gateway's own refusals are readable by an allowed origin too
    HttpResponse<String> refused = send("GET", "/api/demo/items", "Origin", app);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.headers().firstValue("access-control-allow-origin")).contains(app);

    // a disallowed origin: its preflight is not answered by the gateway and nothing carries CORS headers
    String evil = "https://evil.example";
    HttpResponse<String> evilPreflight = send("OPTIONS", "/api/demo/items", "Origin", evil,
        "Access-Control-Request-Method", "POST");
    assertThat(evilPreflight.statusCode()).isEqualTo(403);
    assertThat(evilPreflight.headers().firstValue("access-control-allow-origin")).isEmpty();
    HttpResponse<String> evilGet = send("GET", "/api/demo/items", "Origin", evil, "Authorization", "Bearer t");
    assertThat(evilGet.statusCode()).isEqualTo(200);
    assertThat(evilGet.headers().map().keySet()).noneMatch(h -> h.startsWith("access-control-"));
    assertThat(send("GET", "/api/demo/items", "Origin", "https://x.trusted.io.evil.example", "Authorization", "Bearer t")
        .headers().firstValue("access-control-allow-origin")).as("regexes match whole origins").isEmpty();
  }

  @Test
  void bodiesOverTheLimitAreRefusedWith413ByLengthAndWhileStreaming() throws Exception {
    TestBackend b = demo(Map.of("MERIDIAN_GATEWAY_MAX_BODY_SIZE", "1000"));
    String small = "x".repeat(1000);
    String ok = raw("127.0.0.1", "POST /api/demo/small HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n"
        + small);
    assertThat(status(ok)).isEqualTo(200);
    assertThat(b.seen).anyMatch(j -> j.getString("path").equals("/small") && j.getString("body").equals(small));

    String byLength = raw("127.0.0.1", "POST /api/demo/big HTTP/1.1\r\nHost: gw\r\nContent-Length: 5000\r\n\r\n");
    assertThat(status(byLength)).isEqualTo(413);
    assertThat(byLength).contains("\"code\":\"payload_too_large\"").contains("gateway.maxBodySize").containsIgnoringCase(
        "connection: close");
    assertThat(seen(b, "/big")).isFalse();

    // a client that goes on sending after the 413 is drained, not reset: it reads the answer and can finish writing
    try (Socket s = new Socket("127.0.0.1", gw.gatewayPort)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write("POST /api/demo/big HTTP/1.1\r\nHost: gw\r\nContent-Length: 2000000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(status(answer)).isEqualTo(413);
      byte[] part = new byte[50_000];
      for (int i = 0; i < 40; i++) {
        out.write(part); // a closed connection would fail these writes with a reset
      }
      out.flush();
    }

    // a sink that records what arrives as it arrives
    java.util.concurrent.atomic.AtomicInteger heads = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger closed = new java.util.concurrent.atomic.AtomicInteger();
    io.vertx.core.http.HttpServer sink = vertx.createHttpServer()
        .connectionHandler(c -> c.closeHandler(v -> closed.incrementAndGet()))
        .requestHandler(req -> {
          heads.incrementAndGet();
          req.handler(buf -> bytes.addAndGet(buf.length()));
          req.exceptionHandler(e -> { });
          req.endHandler(v -> {
            ended.incrementAndGet();
            req.response().end("ok");
          });
        })
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    closing.add(() -> sink.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    gw.register(new JsonObject().put("id", "sink-1")
        .put("endpoints", new io.vertx.core.json.JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
        .put("services", new io.vertx.core.json.JsonArray().add(new JsonObject().put("name", "sink")
            .put("port", sink.actualPort()))).encode());
    gw.awaitRoute("/api/sink/ready");
    int headsBefore = heads.get();
    int endedBefore = ended.get();
    int closedBefore = closed.get();
    try (Socket s = new Socket("127.0.0.1", gw.gatewayPort)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      String chunk = "258\r\n" + "y".repeat(600) + "\r\n";
      out.write(("POST /api/sink/stream HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      // the body streams upstream (not buffered) until it passes the limit
      gw.await("the first 600 bytes upstream", () -> heads.get() > headsBefore && bytes.get() >= 600);
      out.write(chunk.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(status(answer)).isEqualTo(413);
      assertThat(answer).contains("\"code\":\"payload_too_large\"");
    }
    // the upstream connection is cut: the sink never sees the request end
    gw.await("the upstream connection closed", () -> closed.get() > closedBefore);
    assertThat(ended.get()).isEqualTo(endedBefore);
    assertThat(bytes.get()).isLessThanOrEqualTo(1000);
    assertThat(gw.get("/api/demo/after").statusCode()).isEqualTo(200);
  }
}
