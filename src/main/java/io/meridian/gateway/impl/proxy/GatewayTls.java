package io.meridian.gateway.impl.proxy;

import io.meridian.common.config.ConfigException;
import io.meridian.common.config.GatewayOptions;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's TLS termination ({@code gateway.tls}): a server context from a PEM certificate
 * chain and a PEM PKCS#8 private key, offering {@code h2} and {@code http/1.1} by ALPN. The
 * files are read and checked at start-up (present, parseable, key matching the certificate), and
 * any problem is a {@link ConfigException} naming {@code gateway.tls.certFile} or
 * {@code gateway.tls.keyFile}. OpenSSL is used when netty-tcnative is on the class path, the
 * JDK's TLS otherwise.
 */
public final class GatewayTls {

  static final String CERT_KEY = "gateway.tls.certFile";
  static final String KEY_KEY = "gateway.tls.keyFile";

  private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  /** The server context of {@code tls}. */
  public static SslContext serverContext(GatewayOptions.Tls tls) {
    List<X509Certificate> chain = certificates(Path.of(tls.certFile()));
    PrivateKey key = privateKey(Path.of(tls.keyFile()));
    if (!matches(key, chain.get(0))) {
      throw new ConfigException(KEY_KEY, "the private key in " + tls.keyFile() + " does not belong to the certificate in "
          + tls.certFile() + " (" + CERT_KEY + ")");
    }
    SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    try {
      return SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
          .sslProvider(provider)
          .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
          .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
          .build();
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(CERT_KEY, "cannot set up TLS with " + tls.certFile() + " and " + tls.keyFile() + ": " + e);
    }
  }

  static List<X509Certificate> certificates(Path file) {
    String pem = read(file, CERT_KEY);
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> chain = factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
          .stream().map(c -> (X509Certificate) c).toList();
      if (chain.isEmpty()) {
        throw new ConfigException(CERT_KEY, file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      return chain;
    } catch (GeneralSecurityException e) {
      throw new ConfigException(CERT_KEY, file + " is not a PEM certificate chain: " + e.getMessage());
    }
  }

  static PrivateKey privateKey(Path file) {
    String pem = read(file, KEY_KEY);
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      String type = m.group(1);
      if (type.equals("PRIVATE KEY")) {
        byte[] der;
        try {
          der = Base64.getMimeDecoder().decode(m.group(2).trim());
        } catch (IllegalArgumentException e) {
          throw new ConfigException(KEY_KEY, file + ": the PEM block is not base64: " + e.getMessage());
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(spec);
          } catch (GeneralSecurityException e) {
            // try the next algorithm
          }
        }
        throw new ConfigException(KEY_KEY, file + " holds a PKCS#8 key of an unsupported algorithm (RSA, EC and EdDSA are)");
      }
      if (type.equals("ENCRYPTED PRIVATE KEY")) {
        throw new ConfigException(KEY_KEY, file + " holds an encrypted key; give an unencrypted PKCS#8 key "
            + "(openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem)");
      }
      if (type.endsWith("PRIVATE KEY")) {
        throw new ConfigException(KEY_KEY, file + " holds a " + type + " (PKCS#1/SEC1); convert it to PKCS#8: "
            + "openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem");
      }
    }
    throw new ConfigException(KEY_KEY, file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }

  private static String read(Path file, String key) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(key, "no such file: " + file.toAbsolutePath());
    }
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new ConfigException(key, "cannot read " + file.toAbsolutePath() + ": " + e.getMessage());
    }
  }

  /** Whether {@code key} signs what the certificate's public key verifies. */
  private static boolean matches(PrivateKey key, X509Certificate certificate) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
      default -> null;
    };
    if (algorithm == null) {
      return true; // no cheap check: the handshake will tell
    }
    try {
      byte[] probe = "meridian".getBytes(StandardCharsets.US_ASCII);
      Signature sign = Signature.getInstance(algorithm);
      sign.initSign(key);
      sign.update(probe);
      byte[] signature = sign.sign();
      Signature verify = Signature.getInstance(algorithm);
      verify.initVerify(certificate.getPublicKey());
      verify.update(probe);
      return verify.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private GatewayTls() {
  }
}
