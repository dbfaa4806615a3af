package io.meridian.gateway.impl.plugins.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A parsed JSON Web Key Set: the RSA and EC public signing keys of one issuer (RFC 7517).
 * Keys for encryption ({@code "use": "enc"}) and key types other than {@code RSA} and {@code EC}
 * are skipped. Immutable; built once per JWKS document, never per request.
 */
public final class Jwks {

  /** One verification key: its id ({@code null} if none), type ({@code RSA}/{@code EC}), declared algorithm ({@code null} if none). */
  public record Key(String kid, String kty, String alg, PublicKey key) {
  }

  public static final Jwks EMPTY = new Jwks(List.of());

  private final List<Key> keys;

  private Jwks(List<Key> keys) {
    this.keys = List.copyOf(keys);
  }

  public List<Key> keys() {
    return keys;
  }

  /** The keys that may have signed a token with {@code kid} ({@code null}: every key) and key type {@code kty}. */
  public List<Key> candidates(String kid, String kty) {
    List<Key> out = new ArrayList<>(2);
    for (Key k : keys) {
      if (k.kty().equals(kty) && (kid == null || kid.equals(k.kid()))) {
        out.add(k);
      }
    }
    return out;
  }

  /** Whether a key has id {@code kid}. */
  public boolean has(String kid) {
    for (Key k : keys) {
      if (kid.equals(k.kid())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Parses a JWKS document ({@code {"keys": [...]}}).
   *
   * @throws IllegalArgumentException when it is not one, or a signing key in it is unusable
   */
  public static Jwks parse(String json) {
    JsonObject doc;
    try {
      doc = new JsonObject(json);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a JSON JWKS document: " + e.getMessage());
    }
    if (!(doc.getValue("keys") instanceof JsonArray list)) {
      throw new IllegalArgumentException("a JWKS document needs a 'keys' list");
    }
    List<Key> keys = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject jwk)) {
        throw new IllegalArgumentException("keys[" + i + "] is not an object");
      }
      if ("enc".equals(jwk.getValue("use"))) {
        continue;
      }
      String kty = String.valueOf(jwk.getValue("kty"));
      try {
        PublicKey key = switch (kty) {
          case "RSA" -> KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
              unsigned(jwk, "n"), unsigned(jwk, "e")));
          case "EC" -> ec(jwk);
          default -> null;
        };
        if (key != null) {
          keys.add(new Key(jwk.getValue("kid") instanceof String s ? s : null, kty,
              jwk.getValue("alg") instanceof String s ? s : null, key));
        }
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new IllegalArgumentException("keys[" + i + "] (" + kty + ") is not a usable public key: " + e.getMessage());
      }
    }
    return new Jwks(keys);
  }

  private static PublicKey ec(JsonObject jwk) throws GeneralSecurityException {
    String curve = switch (String.valueOf(jwk.getValue("crv"))) {
      case "P-256" -> "secp256r1";
      case "P-384" -> "secp384r1";
      case "P-521" -> "secp521r1";
      default -> throw new IllegalArgumentException("unsupported curve " + jwk.getValue("crv"));
    };
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec(curve));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
        new ECPoint(unsigned(jwk, "x"), unsigned(jwk, "y")), spec));
  }

  private static BigInteger unsigned(JsonObject jwk, String field) {
    if (!(jwk.getValue(field) instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException("missing '" + field + "'");
    }
    return new BigInteger(1, Base64.getUrlDecoder().decode(s));
  }
}
