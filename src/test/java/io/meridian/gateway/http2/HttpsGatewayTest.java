package io.meridian.gateway.http2;

import static io.meridian.gateway.http2.EchoNode.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.config.ConfigException;
import io.meridian.common.config.ConfigLoader;
import io.meridian.testing.SelfSignedPem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code gateway.tls} the gateway's port terminates TLS and serves what ALPN chose, HTTP/2
 * or HTTP/1.1, telling the backend the request came over https; bad TLS files stop the start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpsGatewayTest {

  private EchoNode echo;
  private SelfSignedPem pem;
  private HttpClient jdk;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    pem = SelfSignedPem.generate(dir, "gateway");
    echo = EchoNode.start(dir.resolve("data"), List.of(
        new ConfigLoader.Setting("gateway.tls.certFile", pem.certFile().toString()),
        new ConfigLoader.Setting("gateway.tls.keyFile", pem.keyFile().toString())));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(pem.trustStore());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    jdk = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
    EchoNode.awaitGateway(URI.create(base() + "/api/echo/ready"), jdk, 200, null);
  }

  @AfterAll
  void stop() throws Exception {
    if (echo != null) {
      echo.close();
    }
  }

  private String base() {
    return "https://127.0.0.1:" + echo.gatewayPort;
  }

  private HttpClientAgent vertxClient(HttpVersion version) {
    return echo.vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(pem.certFile().toString()))
        .setProtocolVersion(version).setAlpnVersions(List.of(version))
        .setDefaultHost("127.0.0.1").setDefaultPort(echo.gatewayPort));
  }

  private record Answer(HttpClientResponse response, Buffer body) {
  }

  private static Answer post(HttpClientAgent client, String uri, String body) throws Exception {
    return await(client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI(uri))
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> new Answer(resp, b))));
  }

  @Test
  void alpnH2ServesHttp2AndForwardsHttps() throws Exception {
    HttpClientAgent client = vertxClient(HttpVersion.HTTP_2);
    try {
      Answer a = post(client, "/api/echo/secure?q=1", "over h2 and tls");
      assertThat(a.response().statusCode()).isEqualTo(200);
      assertThat(a.response().version()).isEqualTo(HttpVersion.HTTP_2);
      JsonObject seen = a.body().toJsonObject();
      assertThat(seen.getString("uri")).isEqualTo("/secure?q=1");
      assertThat(seen.getString("body")).isEqualTo("over h2 and tls");
      assertThat(seen.getJsonObject("headers").getString("x-forwarded-proto")).isEqualTo("https");
      assertThat(seen.getJsonObject("headers").getString("host")).isEqualTo("127.0.0.1:" + echo.gatewayPort);
      assertThat(seen.getJsonObject("headers").fieldNames()).noneMatch(n -> n.startsWith("x-http2-"));
    } finally {
      await(client.close());
    }
  }

  @Test
  void alpnHttp11ServesHttp11AndForwardsHttps() throws Exception {
    HttpClientAgent client = vertxClient(HttpVersion.HTTP_1_1);
    try {
      Answer a = post(client, "/api/echo/secure-h1", "over h1 and tls");
      assertThat(a.response().statusCode()).isEqualTo(200);
      assertThat(a.response().version()).isEqualTo(HttpVersion.HTTP_1_1);
      JsonObject seen = a.body().toJsonObject();
      assertThat(seen.getString("body")).isEqualTo("over h1 and tls");
      assertThat(seen.getJsonObject("headers").getString("x-forwarded-proto")).isEqualTo("https");
      assertThat(seen.getJsonObject("headers").getString("via")).isEqualTo("1.1 meridian-gateway");
    } finally {
      await(client.close());
    }
  }

  @Test
  void jdkClientNegotiatesHttp2AndGetsLongBodiesWhole() throws Exception {
    int n = 4 * 1024 * 1024 + 5;
    HttpResponse<byte[]> big = jdk.send(HttpRequest.newBuilder(URI.create(base() + "/api/echo/chunks/" + n))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(big.statusCode()).isEqualTo(200);
    assertThat(big.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(big.body()).isEqualTo(EchoNode.pattern(n));

    HttpResponse<String> missing = jdk.send(HttpRequest.newBuilder(URI.create(base() + "/api/nosuch/x"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(missing.headers().firstValue("x-meridian-gateway")).hasValue("meridian-gateway");
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("code")).isEqualTo("no_route");
  }

  @Test
  void badTlsFilesStopTheStartNamingTheKey(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> EchoNode.start(dir.resolve("a"), List.of(
        new ConfigLoader.Setting("gateway.tls.certFile", missing.toString()),
        new ConfigLoader.Setting("gateway.tls.keyFile", pem.keyFile().toString()))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.certFile").hasMessageContaining("missing.pem");

    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a key\n");
    assertThatThrownBy(() -> EchoNode.start(dir.resolve("b"), List.of(
        new ConfigLoader.Setting("gateway.tls.certFile", pem.certFile().toString()),
        new ConfigLoader.Setting("gateway.tls.keyFile", garbage.toString()))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.keyFile");
  }
}
