import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

/**
 * Writes a fresh RS256 key's JWKS ({@code DIR/jwks.json}) and a token signed with it
 * ({@code DIR/token}: issuer {@code bench-issuer}, subject {@code bench-user}, audience
 * {@code bench}, valid for a day) for the gateway benchmark's full plugin chain.
 * Usage: {@code java scripts/bench/JwtFixture.java DIR}
 */
public final class JwtFixture {

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String unsigned(BigInteger n) {
    byte[] b = n.toByteArray();
    if (b[0] == 0) {
      byte[] t = new byte[b.length - 1];
      System.arraycopy(b, 1, t, 0, t.length);
      b = t;
    }
    return b64(b);
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair pair = g.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
    String jwks = "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"bench\",\"n\":\""
        + unsigned(pub.getModulus()) + "\",\"e\":\"" + unsigned(pub.getPublicExponent()) + "\"}]}";
    long now = System.currentTimeMillis() / 1000;
    String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"bench\"}".getBytes(StandardCharsets.UTF_8));
    String claims = b64(("{\"iss\":\"bench-issuer\",\"sub\":\"bench-user\",\"aud\":\"bench\",\"iat\":" + now
        + ",\"exp\":" + (now + 86400) + "}").getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(pair.getPrivate());
    s.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
    String token = header + "." + claims + "." + b64(s.sign());
    Files.writeString(dir.resolve("jwks.json"), jwks);
    Files.writeString(dir.resolve("token"), token);
  }
}
