package io.meridian.gateway.impl.plugins.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;

/** Key pairs, JWKS documents and signed tokens for tests (RS256 and ES256). */
public final class TestTokens {

  public final KeyPair keys;
  public final String kid;
  private final boolean ec;

  private TestTokens(KeyPair keys, String kid, boolean ec) {
    this.keys = keys;
    this.kid = kid;
    this.ec = ec;
  }

  public static TestTokens rsa(String kid) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return new TestTokens(g.generateKeyPair(), kid, false);
  }

  public static TestTokens ec(String kid) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return new TestTokens(g.generateKeyPair(), kid, true);
  }

  /** This key as a JWK. */
  public JsonObject jwk() {
    JsonObject k = new JsonObject().put("kid", kid).put("use", "sig");
    if (ec) {
      ECPublicKey p = (ECPublicKey) keys.getPublic();
      return k.put("kty", "EC").put("crv", "P-256").put("x", b64(fixed(p.getW().getAffineX(), 32)))
          .put("y", b64(fixed(p.getW().getAffineY(), 32)));
    }
    RSAPublicKey p = (RSAPublicKey) keys.getPublic();
    return k.put("kty", "RSA").put("alg", "RS256").put("n", b64(unsigned(p.getModulus()))).put("e", b64(unsigned(p.getPublicExponent())));
  }

  /** A JWKS document holding {@code keys}' public keys. */
  public static String jwks(TestTokens... keys) {
    JsonArray list = new JsonArray();
    for (TestTokens t : keys) {
      list.add(t.jwk());
    }
    return new JsonObject().put("keys", list).encode();
  }

  /** A token with {@code claims}, signed with this key and naming its kid. */
  public String sign(JsonObject claims) throws Exception {
    String alg = ec ? "ES256" : "RS256";
    String head = b64(new JsonObject().put("alg", alg).put("typ", "JWT").put("kid", kid).encode().getBytes(StandardCharsets.UTF_8));
    String body = b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance(ec ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
    s.initSign(keys.getPrivate());
    s.update((head + "." + body).getBytes(StandardCharsets.US_ASCII));
    return head + "." + body + "." + b64(s.sign());
  }

  /** Claims {@code iss}, {@code sub}, {@code aud} expiring in an hour. */
  public static JsonObject claims(String iss, String sub, String aud) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("iss", iss).put("sub", sub).put("aud", aud).put("iat", now).put("exp", now + 3600);
  }

  static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] unsigned(BigInteger i) {
    byte[] b = i.toByteArray();
    return b[0] == 0 && b.length > 1 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static byte[] fixed(BigInteger i, int length) {
    byte[] b = unsigned(i);
    byte[] out = new byte[length];
    System.arraycopy(b, 0, out, length - b.length, b.length);
    return out;
  }
}
