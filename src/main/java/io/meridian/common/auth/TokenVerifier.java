package io.meridian.common.auth;

/**
 * Resolves a presented bearer token to its principal. Implementations compare hashes, never
 * plain tokens, and answer from memory (it is called on event loops for every request).
 */
@FunctionalInterface
public interface TokenVerifier {

  /** The token's principal, or {@code null} when the token is unknown or revoked. */
  Principal verify(String token);
}
