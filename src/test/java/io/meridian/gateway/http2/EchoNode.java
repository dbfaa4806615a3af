package io.meridian.gateway.http2;

import io.meridian.app.Node;
import io.meridian.common.config.ConfigLoader;
import io.meridian.common.config.MeridianConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A whole node in-process (registry, rules, gateway) and an HTTP/1.1 backend on 127.0.0.1,
 * registered as services {@code echo} and {@code edge}. The backend answers
 * {@code /big/{n}} with {@code n} pattern bytes (Content-Length), {@code /chunks/{n}} with the
 * same bytes chunked, {@code /trailers} with a chunked body and a trailer {@code x-checksum: 42},
 * and anything else with a JSON echo of the request (method, uri,
 * headers with lower-case names, body length and SHA-256, and the body as text when short).
 */
final class EchoNode implements AutoCloseable {

  static final String ADMIN = "h2-test-admin-token";

  final Node node;
  final Vertx vertx;
  final int gatewayPort;
  final int adminPort;
  private final HttpServer backend;
  private final HttpClient admin = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private EchoNode(Node node, Vertx vertx, HttpServer backend) {
    this.node = node;
    this.vertx = vertx;
    this.backend = backend;
    this.adminPort = node.adminPort();
    this.gatewayPort = node.status().getJsonObject("ports").getInteger("gateway");
  }

  static EchoNode start(Path dataDir, List<ConfigLoader.Setting> settings) throws Exception {
    Map<String, String> env = new HashMap<>(Map.of(
        "MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0", "MERIDIAN_DATA_DIR", dataDir.toString(),
        "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0", "MERIDIAN_XDS_PORT", "0",
        "MERIDIAN_GATEWAY_PORT", "0", "MERIDIAN_TELEMETRY_ZIPKIN_PORT", "0"));
    MeridianConfig config = ConfigLoader.load(null, env, settings).config();
    Vertx vertx = Vertx.vertx();
    HttpServer backend = null;
    Node node = null;
    try {
      backend = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
          .requestHandler(EchoNode::answer).listen());
      node = Node.start(config, null);
      EchoNode echo = new EchoNode(node, vertx, backend);
      echo.register(backend.actualPort());
      return echo;
    } catch (Exception | Error e) {
      if (node != null) {
        node.stop();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** The pattern byte at offset {@code i} of a {@code /big} or {@code /chunks} body. */
  static byte patternByte(long i) {
    return (byte) (i * 31 + (i >>> 8) + 7);
  }

  static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = patternByte(i);
    }
    return b;
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static void answer(HttpServerRequest req) {
    String path = req.path();
    if (path.equals("/trailers")) {
      req.response().setChunked(true).write("with trailers");
      req.response().putTrailer("x-checksum", "42").end();
      return;
    }
    if (path.startsWith("/big/")) {
      int n = Integer.parseInt(path.substring("/big/".length()));
      req.response().putHeader("content-type", "application/octet-stream").putHeader("content-length", String.valueOf(n))
          .end(Buffer.buffer(pattern(n)));
      return;
    }
    if (path.startsWith("/chunks/")) {
      HttpServerResponse response = req.response().setChunked(true).putHeader("content-type", "application/octet-stream");
      stream(response, 0, Long.parseLong(path.substring("/chunks/".length())));
      return;
    }
    req.body().onSuccess(body -> {
      JsonObject headers = new JsonObject();
      req.headers().forEach(e -> {
        String name = e.getKey().toLowerCase(Locale.ROOT);
        headers.put(name, headers.containsKey(name) ? headers.getString(name) + "," + e.getValue() : e.getValue());
      });
      String digest;
      try {
        digest = sha256(body.getBytes());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      JsonObject echo = new JsonObject().put("method", req.method().name()).put("uri", req.uri())
          .put("version", req.version().name()).put("headers", headers).put("bodyLength", body.length())
          .put("bodySha256", digest);
      if (body.length() <= 4096) {
        echo.put("body", body.toString());
      }
      req.response().putHeader("content-type", "application/json").end(echo.encode());
    });
  }

  /** Writes the pattern from {@code offset} to {@code n} in 64 KiB chunks, as fast as the connection takes them. */
  private static void stream(HttpServerResponse response, long offset, long n) {
    long off = offset;
    while (off < n && !response.writeQueueFull()) {
      int len = (int) Math.min(65536, n - off);
      byte[] chunk = new byte[len];
      for (int i = 0; i < len; i++) {
        chunk[i] = patternByte(off + i);
      }
      response.write(Buffer.buffer(chunk));
      off += len;
    }
    if (off >= n) {
      response.end();
    } else if (!response.closed()) {
      long next = off;
      response.drainHandler(v -> stream(response, next, n));
    }
  }

  private void register(int backendPort) throws Exception {
    String instance = """
        {"id": "echo-1", "tenant": "default", "endpoints": [{"address": "127.0.0.1"}],
         "services": [{"name": "echo", "version": "v1", "port": %d, "protocol": "http"},
                      {"name": "edge", "version": "v1", "port": %d, "protocol": "http"}]}""".formatted(backendPort, backendPort);
    HttpResponse<String> r = adminCall("POST", "/api/v1/instances", "application/json", instance);
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException("registration failed: " + r.statusCode() + " " + r.body());
    }
  }

  HttpResponse<String> adminCall(String method, String path, String contentType, String body) throws Exception {
    return admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", contentType)
        .method(method, HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Waits (bounded) until the gateway answers {@code path} over plain HTTP/1.1 with {@code status}
   * (and a body containing {@code bodyPart} when given): route tables follow the registry and the
   * rules asynchronously.
   */
  void awaitGateway(String path, int status, String bodyPart) throws Exception {
    awaitGateway(URI.create("http://127.0.0.1:" + gatewayPort + path), admin, status, bodyPart);
  }

  static void awaitGateway(URI uri, HttpClient client, int status, String bodyPart) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == status && (bodyPart == null || r.body().contains(bodyPart))) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (java.io.IOException e) {
        last = e.toString();
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the gateway did not answer " + uri + " with " + status + " in time; last: " + last);
  }

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  @Override
  public void close() throws Exception {
    try {
      node.stop();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
