package io.meridian.gateway.impl.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.config.ConfigException;
import io.meridian.common.config.GatewayOptions;
import io.meridian.testing.SelfSignedPem;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.tls}: PEM files become a server context offering h2 and http/1.1; bad files are errors naming the key. */
class GatewayTlsTest {

  @TempDir
  static Path dir;
  private static SelfSignedPem one;
  private static SelfSignedPem other;

  @BeforeAll
  static void certificates() throws Exception {
    one = SelfSignedPem.generate(dir, "one");
    other = SelfSignedPem.generate(dir, "other");
  }

  private static SslContext context(Path cert, Path key) {
    return GatewayTls.serverContext(new GatewayOptions.Tls(cert.toString(), key.toString()));
  }

  @Test
  void aPemPairMakesAServerContextOfferingH2AndHttp11() {
    SslContext ctx = context(one.certFile(), one.keyFile());
    assertThat(ctx.isServer()).isTrue();
    assertThat(ctx.applicationProtocolNegotiator().protocols())
        .containsExactly(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);
  }

  @Test
  void missingFilesNameTheirKey() {
    assertThatThrownBy(() -> context(dir.resolve("nope.pem"), one.keyFile()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.certFile").hasMessageContaining("no such file");
    assertThatThrownBy(() -> context(one.certFile(), dir.resolve("nope.pem")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.keyFile").hasMessageContaining("no such file");
  }

  @Test
  void unreadableContentNamesItsKey() throws Exception {
    Path text = Files.writeString(dir.resolve("text.pem"), "hello\n");
    assertThatThrownBy(() -> context(text, one.keyFile()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.certFile");
    assertThatThrownBy(() -> context(one.certFile(), text))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.keyFile")
        .hasMessageContaining("no PEM private key");
    // the certificate given as the key, and the key given as the certificate
    assertThatThrownBy(() -> context(one.keyFile(), one.keyFile()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.certFile");
    assertThatThrownBy(() -> context(one.certFile(), one.certFile()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.keyFile");
  }

  @Test
  void keysInOtherFormatsAreRefusedWithTheConversionToUse() throws Exception {
    Path pkcs1 = Files.writeString(dir.resolve("rsa.pem"), SelfSignedPem.pem("RSA PRIVATE KEY", new byte[] {1, 2, 3}));
    assertThatThrownBy(() -> context(one.certFile(), pkcs1))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.keyFile").hasMessageContaining("openssl pkcs8");
    Path encrypted = Files.writeString(dir.resolve("enc.pem"), SelfSignedPem.pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
    assertThatThrownBy(() -> context(one.certFile(), encrypted))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.keyFile").hasMessageContaining("encrypted");
  }

  @Test
  void aKeyOfAnotherCertificateIsRefused() {
    assertThatThrownBy(() -> context(one.certFile(), other.keyFile()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.tls.keyFile")
        .hasMessageContaining("does not belong to the certificate");
  }
}
