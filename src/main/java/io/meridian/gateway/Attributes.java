package io.meridian.gateway;

import java.util.Map;

/** Exchange attributes plugins share (set by one plugin, read by later phases). */
public final class Attributes {

  private Attributes() {
  }

  /**
   * The verified JWT's claims (set by the JWT plugin in {@link Phase#AUTHN}); read by
   * authorization ({@code requestPrincipals}, {@code when} claims) and rate limiting
   * ({@code key: claim:sub}).
   */
  public static final Exchange.Key<Map<String, Object>> JWT_CLAIMS = new Exchange.Key<>("jwt.claims");

  /** The request principal {@code iss/sub} of the verified JWT (Istio's {@code requestPrincipals}). */
  public static final Exchange.Key<String> REQUEST_PRINCIPAL = new Exchange.Key<>("request.principal");

  /**
   * The client's address as the gateway trusts it: the TCP peer, or the address a trusted
   * proxy put in {@code X-Forwarded-For} (set by the {@code client-ip} plugin in {@link Phase#OBSERVE} when
   * the peer is one of {@code gateway.trustedProxies}; {@code null} = the peer).
   */
  public static final Exchange.Key<String> CLIENT_IP = new Exchange.Key<>("client.ip");
}
