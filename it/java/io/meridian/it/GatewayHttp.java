package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * What the gateway integration tests do from outside: plain HTTP/1.1 requests to a gateway
 * port, registrations and rules through the admin API, and bounded polling until the gateway
 * shows a change (registry and rule changes reach its route table asynchronously).
 */
final class GatewayHttp {

  static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();

  private GatewayHttp() {
  }

  /** {@code GET http://127.0.0.1:port + path} with {@code headers} given as name, value, name, value… */
  static HttpResponse<String> get(int port, String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return CLIENT.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Registers {@code instance} on {@code node}'s registry (asserts 200 or 201). */
  static void register(MeridianProcess node, String token, JsonObject instance) throws IOException, InterruptedException {
    HttpResponse<String> r = node.send("POST", "/api/v1/instances", token, instance.encode());
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
  }

  /** An instance on 127.0.0.1 serving one HTTP service. */
  static JsonObject instance(String id, String tenant, String service, String version, int port) {
    JsonObject binding = new JsonObject().put("name", service).put("port", port).put("protocol", "http");
    if (version != null) {
      binding.put("version", version);
    }
    return new JsonObject().put("id", id).put("tenant", tenant)
        .put("endpoints", new io.vertx.core.json.JsonArray().add(new JsonObject().put("address", "127.0.0.1")))
        .put("services", new io.vertx.core.json.JsonArray().add(binding));
  }

  /** Applies a multi-document YAML rule set (asserts 200). */
  static void applyRules(MeridianProcess node, String token, String yaml) throws IOException, InterruptedException {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort()
            + "/api/v1/rules/apply"))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/yaml")
        .POST(HttpRequest.BodyPublishers.ofString(yaml)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** A request that is repeated until its answer satisfies a condition. */
  interface Probe {
    HttpResponse<String> send() throws IOException, InterruptedException;
  }

  /** Repeats {@code probe} until {@code done} holds (at most {@code timeout}); returns that answer or fails with the last one. */
  static HttpResponse<String> await(String what, Duration timeout, Probe probe, Predicate<HttpResponse<String>> done)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<String> last = null;
    while (true) {
      last = probe.send();
      if (done.test(last)) {
        return last;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(what + " did not happen within " + timeout + "; last answer " + last.statusCode() + " "
            + last.headers().map() + " " + last.body());
      }
      Thread.sleep(50);
    }
  }

  /** The backend's report of what it received (see {@link HttpBackend}). */
  static JsonObject seen(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** Asserts a local gateway error: {@code status}, the JSON error document and the header naming the gateway. */
  static JsonObject assertGatewayError(HttpResponse<String> r, int status, String code, String gateway) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.headers().firstValue("x-meridian-gateway")).hasValue(gateway);
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertThat(error.getString("code")).as(r.body()).isEqualTo(code);
    assertThat(error.getString("gateway")).isEqualTo(gateway);
    assertThat(error.getString("message")).isNotBlank();
    return error;
  }

  /**
   * Requests counted by the gateway's {@code meridian_gateway_requests_seconds} histogram on
   * {@code node}'s {@code /metrics}, summed over the series carrying every one of {@code tags}
   * (each written as in the exposition, e.g. {@code service="demo"}).
   */
  static long countedRequests(MeridianProcess node, String token, String... tags) throws IOException, InterruptedException {
    HttpResponse<String> metrics = node.get("/metrics", token);
    assertThat(metrics.statusCode()).isEqualTo(200);
    double sum = 0;
    for (String line : metrics.body().split("\n")) {
      if (!line.startsWith("meridian_gateway_requests_seconds_count{")) {
        continue;
      }
      boolean all = true;
      for (String tag : tags) {
        all &= line.contains(tag);
      }
      if (all) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Math.round(sum);
  }

  /** A response read off a raw socket: status code and body. */
  record RawResponse(int status, String head, String body) {
  }

  /**
   * {@code GET target} over a plain socket with {@code Host: host} (the JDK client does not let a
   * caller set {@code Host}) and {@code Connection: close}; reads the answer to the end.
   */
  static RawResponse rawGet(int port, String host, String target) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int split = answer.indexOf("\r\n\r\n");
      assertThat(split).as(answer).isPositive();
      return new RawResponse(Integer.parseInt(answer.substring(9, 12)), answer.substring(0, split), answer.substring(split + 4));
    }
  }
}
