package io.meridian.gateway.http2;

import static io.meridian.gateway.http2.EchoNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's cleartext port speaks HTTP/1.1, h2c with prior knowledge and h2c by
 * {@code Upgrade}, in front of an HTTP/1.1 backend: requests and bodies reach it whole, long
 * bodies stream back whole, streams multiplex on one connection, local answers (errors,
 * redirects, direct responses) and HEAD work over HTTP/2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Http2GatewayTest {

  private EchoNode echo;
  /** h2c with prior knowledge, one connection. */
  private HttpClientAgent h2c;
  private HttpClientAgent http11;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    echo = EchoNode.start(dir, List.of());
    echo.awaitGateway("/api/echo/ready", 200, null);
    h2c = echo.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setHttp2MultiplexingLimit(200).setDefaultHost("127.0.0.1")
        .setDefaultPort(echo.gatewayPort), new PoolOptions().setHttp2MaxSize(1));
    http11 = echo.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1)
        .setDefaultHost("127.0.0.1").setDefaultPort(echo.gatewayPort), new PoolOptions().setHttp1MaxSize(1));
  }

  @AfterAll
  void stop() throws Exception {
    if (echo != null) {
      echo.close();
    }
  }

  /** A response read whole. */
  record Answer(int status, HttpVersion version, Map<String, String> headers, Buffer body, HttpConnection connection) {
    JsonObject json() {
      return body.toJsonObject();
    }
  }

  private static Future<Answer> call(HttpClientAgent client, HttpMethod method, String uri, Buffer body) {
    return client.request(new RequestOptions().setMethod(method).setURI(uri)).compose(req -> {
      Future<HttpClientResponse> sent = body == null ? req.send() : req.send(body);
      return sent.compose(resp -> resp.body().map(b -> answer(req, resp, b)));
    });
  }

  private static Answer answer(HttpClientRequest req, HttpClientResponse resp, Buffer body) {
    Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    resp.headers().forEach(e -> headers.put(e.getKey(), e.getValue()));
    return new Answer(resp.statusCode(), resp.version(), headers, body, req.connection());
  }

  @Test
  void priorKnowledgeGetReachesTheBackendWithTheAuthorityAsHost() throws Exception {
    Answer a = await(call(h2c, HttpMethod.GET, "/api/echo/hello/world?x=1&y=two", null));
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.version()).isEqualTo(HttpVersion.HTTP_2);
    JsonObject seen = a.json();
    assertThat(seen.getString("method")).isEqualTo("GET");
    assertThat(seen.getString("uri")).isEqualTo("/hello/world?x=1&y=two");
    assertThat(seen.getString("version")).isEqualTo("HTTP_1_1");
    JsonObject headers = seen.getJsonObject("headers");
    assertThat(headers.getString("host")).isEqualTo("127.0.0.1:" + echo.gatewayPort);
    assertThat(headers.getString("x-forwarded-proto")).isEqualTo("http");
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("via")).isEqualTo("2 meridian-gateway");
    assertThat(headers.fieldNames()).noneMatch(n -> n.startsWith("x-http2-") || n.startsWith(":"));
    assertThat(headers.fieldNames()).doesNotContain("transfer-encoding", "connection");
  }

  @Test
  void priorKnowledgePostBodiesReachTheBackendWhole() throws Exception {
    // with a length
    Answer small = await(call(h2c, HttpMethod.POST, "/api/echo/submit", Buffer.buffer("hello over h2")));
    assertThat(small.status()).isEqualTo(200);
    assertThat(small.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(small.json().getString("method")).isEqualTo("POST");
    assertThat(small.json().getString("uri")).isEqualTo("/submit");
    assertThat(small.json().getString("body")).isEqualTo("hello over h2");

    // streamed without a length (DATA frames → a chunked upstream request), larger than the flow-control windows
    byte[] big = EchoNode.pattern(3 * 1024 * 1024 + 17);
    Answer streamed = await(h2c.request(new RequestOptions().setMethod(HttpMethod.PUT).setURI("/api/echo/upload"))
        .compose(req -> {
          req.setChunked(true);
          for (int off = 0; off < big.length; off += 100_000) {
            req.write(Buffer.buffer(big).getBuffer(off, Math.min(big.length, off + 100_000)));
          }
          return req.end().compose(v -> req.response()).compose(resp -> resp.body().map(b -> answer(req, resp, b)));
        }));
    assertThat(streamed.status()).isEqualTo(200);
    JsonObject seen = streamed.json();
    assertThat(seen.getString("uri")).isEqualTo("/upload");
    assertThat(seen.getInteger("bodyLength")).isEqualTo(big.length);
    assertThat(seen.getString("bodySha256")).isEqualTo(EchoNode.sha256(big));
  }

  @Test
  void longResponsesStreamBackWhole() throws Exception {
    int n = 8 * 1024 * 1024 + 3;
    Answer sized = await(call(h2c, HttpMethod.GET, "/api/echo/big/" + n, null));
    assertThat(sized.status()).isEqualTo(200);
    assertThat(sized.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(sized.headers()).containsEntry("content-length", String.valueOf(n));
    assertThat(sized.body().getBytes()).isEqualTo(EchoNode.pattern(n));

    int m = 5_000_000;
    Answer chunked = await(call(h2c, HttpMethod.GET, "/api/echo/chunks/" + m, null));
    assertThat(chunked.status()).isEqualTo(200);
    assertThat(chunked.headers()).doesNotContainKey("transfer-encoding");
    assertThat(chunked.body().getBytes()).isEqualTo(EchoNode.pattern(m));
  }

  @Test
  void upstreamTrailersBecomeAnHttp2TrailersBlock() throws Exception {
    Future<String[]> got = h2c.request(new RequestOptions().setURI("/api/echo/trailers")).compose(req -> req.send()
        .compose(resp -> resp.body().map(b -> new String[] {resp.version().name(), b.toString(), resp.trailers().get("x-checksum")})));
    String[] answer = await(got);
    assertThat(answer).containsExactly("HTTP_2", "with trailers", "42");
  }

  @Test
  void aStreamResetByTheClientLeavesItsConnectionServing() throws Exception {
    io.vertx.core.Promise<HttpConnection> reset = io.vertx.core.Promise.promise();
    h2c.request(new RequestOptions().setURI("/api/echo/chunks/60000000")).compose(req -> req.send().onSuccess(resp -> {
      resp.handler(chunk -> {
        if (!reset.future().isComplete()) {
          req.reset();
          reset.complete(req.connection());
        }
      });
    })).onFailure(reset::tryFail);
    HttpConnection cancelled = await(reset.future());
    Answer after = await(call(h2c, HttpMethod.GET, "/api/echo/after-reset", null));
    assertThat(after.status()).isEqualTo(200);
    assertThat(after.json().getString("uri")).isEqualTo("/after-reset");
    assertThat(after.connection()).isSameAs(cancelled);
  }

  @Test
  void fiftyConcurrentStreamsShareOneConnection() throws Exception {
    List<Future<Answer>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      calls.add(call(h2c, HttpMethod.GET, "/api/echo/stream/" + i, null));
    }
    await(Future.all(calls));
    Set<HttpConnection> connections = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (int i = 0; i < 50; i++) {
      Answer a = calls.get(i).result();
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(a.json().getString("uri")).isEqualTo("/stream/" + i);
      connections.add(a.connection());
    }
    assertThat(connections).hasSize(1);
  }

  @Test
  void localErrorsAndHeadWorkOverHttp2() throws Exception {
    Answer missing = await(call(h2c, HttpMethod.GET, "/api/nosuch/thing", null));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(missing.headers()).containsEntry("x-meridian-gateway", "meridian-gateway")
        .containsEntry("content-type", "application/json").doesNotContainKey("connection");
    JsonObject error = missing.json().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("no_route");
    assertThat(error.getString("gateway")).isEqualTo("meridian-gateway");

    Answer head = await(call(h2c, HttpMethod.HEAD, "/api/echo/big/1000", null));
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.headers()).containsEntry("content-length", "1000");
    assertThat(head.body().length()).isZero();

    Answer headMissing = await(call(h2c, HttpMethod.HEAD, "/api/nosuch/thing", null));
    assertThat(headMissing.status()).isEqualTo(404);
    assertThat(headMissing.body().length()).isZero();
  }

  @Test
  void redirectsAndDirectResponsesWorkOverHttp2() throws Exception {
    String rule = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: edge, namespace: default}
        spec:
          hosts: [edge]
          http:
          - match: [{uri: {prefix: /old}}]
            redirect: {uri: /new/place, redirectCode: 308}
          - match: [{uri: {prefix: /direct}}]
            directResponse: {status: 203, body: {string: "answered by the gateway"}}
          - route: [{destination: {host: edge}}]
        """;
    HttpResponse<String> applied = echo.adminCall("POST", "/api/v1/rules/apply", "application/yaml", rule);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    echo.awaitGateway("/api/edge/direct", 203, "answered by the gateway");

    Answer direct = await(call(h2c, HttpMethod.GET, "/api/edge/direct", null));
    assertThat(direct.status()).isEqualTo(203);
    assertThat(direct.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(direct.body().toString()).isEqualTo("answered by the gateway");

    Answer moved = await(call(h2c, HttpMethod.GET, "/api/edge/old/thing", null));
    assertThat(moved.status()).isEqualTo(308);
    assertThat(moved.headers()).containsEntry("location", "http://127.0.0.1:" + echo.gatewayPort + "/new/place");

    Answer routed = await(call(h2c, HttpMethod.GET, "/api/edge/other", null));
    assertThat(routed.status()).isEqualTo(200);
    assertThat(routed.json().getString("uri")).isEqualTo("/other");
  }

  @Test
  void upgradeFromHttp11SwitchesToHttp2() throws Exception {
    // the JDK client asks for h2c with Upgrade on its first request to an http:// URI
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
    URI uri = URI.create("http://127.0.0.1:" + echo.gatewayPort + "/api/echo/upgraded?n=1");
    HttpResponse<String> first = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
    JsonObject seen = new JsonObject(first.body());
    assertThat(seen.getString("uri")).isEqualTo("/upgraded?n=1");
    JsonObject headers = seen.getJsonObject("headers");
    assertThat(headers.fieldNames()).doesNotContain("upgrade", "http2-settings", "connection");
    assertThat(headers.getString("host")).isEqualTo("127.0.0.1:" + echo.gatewayPort);

    // later requests (bodies too) go over the upgraded connection
    HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + echo.gatewayPort
        + "/api/echo/after")).POST(HttpRequest.BodyPublishers.ofString("body after upgrade"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(200);
    assertThat(post.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(new JsonObject(post.body()).getString("body")).isEqualTo("body after upgrade");
  }

  @Test
  void aDeclinedUpgradeIsServedOverHttp11() throws Exception {
    // Connection does not name HTTP2-Settings: no switch, and the connection goes on as HTTP/1.1
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", echo.gatewayPort)) {
      socket.setSoTimeout(10_000);
      java.io.OutputStream out = socket.getOutputStream();
      java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          java.nio.charset.StandardCharsets.ISO_8859_1));
      out.write(("GET /api/echo/first HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
          + "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").contains("\"uri\":\"/first\"")
          .doesNotContain("\"upgrade\"");
      out.write("GET /api/echo/second HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").contains("\"uri\":\"/second\"");
    }
  }

  /** Reads one HTTP/1.1 response with a content-length: its head and body as text. */
  private static String readResponse(java.io.BufferedReader in) throws Exception {
    StringBuilder text = new StringBuilder();
    int length = 0;
    String line;
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      text.append(line).append('\n');
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    char[] body = new char[length];
    int read = 0;
    while (read < length) {
      int n = in.read(body, read, length - read);
      if (n < 0) {
        break;
      }
      read += n;
    }
    return text.append('\n').append(body, 0, read).toString();
  }

  @Test
  void http11StillWorksOnTheSamePort() throws Exception {
    for (int i = 0; i < 3; i++) {
      Answer a = await(call(http11, HttpMethod.POST, "/api/echo/plain/" + i, Buffer.buffer("h1 body " + i)));
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.version()).isEqualTo(HttpVersion.HTTP_1_1);
      JsonObject seen = a.json();
      assertThat(seen.getString("uri")).isEqualTo("/plain/" + i);
      assertThat(seen.getString("body")).isEqualTo("h1 body " + i);
      assertThat(seen.getJsonObject("headers").getString("via")).isEqualTo("1.1 meridian-gateway");
      assertThat(seen.getJsonObject("headers").getString("x-forwarded-proto")).isEqualTo("http");
    }
    Answer missing = await(call(http11, HttpMethod.GET, "/api/nosuch/thing", null));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.headers()).containsEntry("x-meridian-gateway", "meridian-gateway");

    int n = 2 * 1024 * 1024;
    Answer big = await(call(http11, HttpMethod.GET, "/api/echo/chunks/" + n, null));
    assertThat(big.headers()).containsEntry("transfer-encoding", "chunked");
    assertThat(big.body().getBytes()).isEqualTo(EchoNode.pattern(n));
  }
}
