package io.meridian.gateway.http2;

import static io.meridian.gateway.http2.EchoNode.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.ConfigLoader;
import io.vertx.core.Promise;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An HTTP/2 client connection without streams is closed after {@code gateway.idleTimeout}, with a GOAWAY. */
class Http2IdleTest {

  @Test
  void anIdleHttp2ConnectionIsClosedWithGoAway(@TempDir Path dir) throws Exception {
    try (EchoNode echo = EchoNode.start(dir, List.of(new ConfigLoader.Setting("gateway.idleTimeout", "1s")))) {
      echo.awaitGateway("/api/echo/ready", 200, null);
      HttpClientAgent client = echo.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(echo.gatewayPort));
      Promise<GoAway> goAway = Promise.promise();
      Promise<Void> closed = Promise.promise();
      HttpConnection connection = await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/echo/once"))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> {
            assertThat(resp.statusCode()).isEqualTo(200);
            assertThat(resp.version()).isEqualTo(HttpVersion.HTTP_2);
            return req.connection();
          }))));
      connection.goAwayHandler(goAway::tryComplete);
      connection.closeHandler(v -> closed.tryComplete());
      await(closed.future()); // bounded by await
      assertThat(goAway.future().isComplete()).as("GOAWAY before the close").isTrue();
      assertThat(goAway.future().result().getErrorCode()).isZero();
      await(client.close());
    }
  }
}
