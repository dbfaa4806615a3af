package io.meridian.gateway.impl.plugins.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A compact-serialized JWS carrying JWT claims (RFC 7515/7519), decoded but not yet trusted.
 * {@link #verify} checks the signature with the JDK's {@link Signature} (RS256/384/512,
 * ES256/384/512; {@code none} and HMAC are refused) and the time and audience claims. Pure:
 * no I/O, no shared state.
 */
public final class JwsToken {

  /** Envoy's default allowance for clocks that disagree ({@code clock_skew_seconds}). */
  public static final long CLOCK_SKEW_SECONDS = 60;

  private final String alg;
  private final String kid;
  private final JsonObject claims;
  /** The payload segment as received (base64url): what {@code outputPayloadToHeader} forwards. */
  private final String payloadSegment;
  private final byte[] signingInput;
  private final byte[] signature;

  private JwsToken(String alg, String kid, JsonObject claims, String payloadSegment, byte[] signingInput, byte[] signature) {
    this.alg = alg;
    this.kid = kid;
    this.claims = claims;
    this.payloadSegment = payloadSegment;
    this.signingInput = signingInput;
    this.signature = signature;
  }

  /** Decodes {@code token}; throws {@link JwtException} when it is not a JWS with a JSON claims set. */
  public static JwsToken decode(String token) {
    int a = token.indexOf('.');
    int b = a < 0 ? -1 : token.indexOf('.', a + 1);
    if (a <= 0 || b < 0 || token.indexOf('.', b + 1) >= 0) {
      throw new JwtException("Jwt is not in the form of Header.Payload.Signature");
    }
    try {
      Base64.Decoder d = Base64.getUrlDecoder();
      JsonObject header = new JsonObject(new String(d.decode(token.substring(0, a)), StandardCharsets.UTF_8));
      String payload = token.substring(a + 1, b);
      JsonObject claims = new JsonObject(new String(d.decode(payload), StandardCharsets.UTF_8));
      byte[] signature = d.decode(token.substring(b + 1));
      String alg = header.getValue("alg") instanceof String s ? s : null;
      String kid = header.getValue("kid") instanceof String s ? s : null;
      return new JwsToken(alg, kid, claims, payload, token.substring(0, b).getBytes(StandardCharsets.US_ASCII), signature);
    } catch (RuntimeException e) {
      throw new JwtException("Jwt is not a base64url-encoded JSON token");
    }
  }

  public String alg() {
    return alg;
  }

  /** The key id of the header, or {@code null}. */
  public String kid() {
    return kid;
  }

  /** The claims as sent (not trusted before {@link #verify}). */
  public JsonObject claims() {
    return claims;
  }

  /** The {@code iss} claim, or {@code null}. */
  public String issuer() {
    return claims.getValue("iss") instanceof String s ? s : null;
  }

  public String payloadSegment() {
    return payloadSegment;
  }

  /** Whether {@link #verify} can only succeed with a key of id {@link #kid()} that {@code keys} lacks. */
  public boolean needsUnknownKey(Jwks keys) {
    return kid != null && !keys.has(kid);
  }

  /**
   * Checks the signature against {@code keys}, then {@code exp}/{@code nbf} against
   * {@code nowSeconds} (with {@link #CLOCK_SKEW_SECONDS}) and the audience against
   * {@code audiences} (empty: any).
   *
   * @throws JwtException naming the first check that failed
   */
  public void verify(Jwks keys, Collection<String> audiences, long nowSeconds) {
    String jca;
    String kty;
    if (alg == null) {
      throw new JwtException("Jwt header has no alg");
    }
    switch (alg) {
      case "RS256" -> { jca = "SHA256withRSA"; kty = "RSA"; }
      case "RS384" -> { jca = "SHA384withRSA"; kty = "RSA"; }
      case "RS512" -> { jca = "SHA512withRSA"; kty = "RSA"; }
      case "ES256" -> { jca = "SHA256withECDSAinP1363Format"; kty = "EC"; }
      case "ES384" -> { jca = "SHA384withECDSAinP1363Format"; kty = "EC"; }
      case "ES512" -> { jca = "SHA512withECDSAinP1363Format"; kty = "EC"; }
      default -> throw new JwtException("Jwt algorithm " + alg + " is not supported");
    }
    List<Jwks.Key> candidates = keys.candidates(kid, kty);
    if (candidates.isEmpty()) {
      throw new JwtException(kid == null ? "Jwks has no " + kty + " key" : "Jwks has no key with kid " + kid);
    }
    boolean valid = false;
    for (Jwks.Key k : candidates) {
      if (k.alg() != null && !k.alg().equals(alg)) {
        continue;
      }
      try {
        Signature s = Signature.getInstance(jca);
        s.initVerify(k.key());
        s.update(signingInput);
        if (s.verify(signature)) {
          valid = true;
          break;
        }
      } catch (GeneralSecurityException | RuntimeException e) {
        // a malformed signature for this key: try the next one
      }
    }
    if (!valid) {
      throw new JwtException("Jwt verification fails");
    }
    checkTimesAndAudience(audiences, nowSeconds);
  }

  /**
   * The checks of {@link #verify} that depend on the time and the rule, not on the signature:
   * what a token verified before (same bytes, same keys) still needs.
   */
  public void checkTimesAndAudience(Collection<String> audiences, long nowSeconds) {
    Long exp = seconds("exp");
    if (exp != null && nowSeconds > exp + CLOCK_SKEW_SECONDS) {
      throw new JwtException("Jwt is expired");
    }
    Long nbf = seconds("nbf");
    if (nbf != null && nowSeconds + CLOCK_SKEW_SECONDS < nbf) {
      throw new JwtException("Jwt not yet valid");
    }
    if (!audiences.isEmpty() && !audienceMatches(audiences)) {
      throw new JwtException("Audiences in Jwt are not allowed");
    }
  }

  private Long seconds(String claim) {
    Object v = claims.getValue(claim);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    throw new JwtException("Jwt claim " + claim + " is not a number");
  }

  private boolean audienceMatches(Collection<String> audiences) {
    Object aud = claims.getValue("aud");
    if (aud instanceof String s) {
      return audiences.contains(s);
    }
    if (aud instanceof JsonArray list) {
      for (Object o : list) {
        if (o instanceof String s && audiences.contains(s)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The claims as an unmodifiable map of plain JSON values: {@code String}, {@code Number},
   * {@code Boolean}, {@code null}, and unmodifiable {@code List}s and {@code Map}s of them.
   */
  public Map<String, Object> claimMap() {
    Map<String, Object> map = claimMap;
    if (map == null) {
      @SuppressWarnings("unchecked")
      Map<String, Object> built = (Map<String, Object>) plain(claims);
      claimMap = map = built; // immutable: a verified token is shared by the requests that carry it
    }
    return map;
  }

  private volatile Map<String, Object> claimMap;

  private static Object plain(Object v) {
    if (v instanceof JsonObject o) {
      v = o.getMap();
    } else if (v instanceof JsonArray a) {
      v = a.getList();
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), plain(x)));
      return java.util.Collections.unmodifiableMap(out);
    }
    if (v instanceof List<?> l) {
      List<Object> out = new java.util.ArrayList<>(l.size());
      l.forEach(x -> out.add(plain(x)));
      return java.util.Collections.unmodifiableList(out);
    }
    return v;
  }

  /** Why a token was not accepted (the message is Envoy's wording where it has one). */
  public static final class JwtException extends RuntimeException {
    public JwtException(String message) {
      super(message, null, false, false);
    }
  }
}
