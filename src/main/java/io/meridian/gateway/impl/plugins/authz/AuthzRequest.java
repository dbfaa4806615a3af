package io.meridian.gateway.impl.plugins.authz;

import io.meridian.common.net.Cidr;
import io.meridian.gateway.Attributes;
import io.meridian.gateway.Exchange;
import java.net.InetSocketAddress;
import java.util.Map;

/** What authorization rules look at in one request, each read once and only when a rule asks. */
final class AuthzRequest {

  final Exchange exchange;
  private byte[] client;
  private byte[] remote;

  AuthzRequest(Exchange exchange) {
    this.exchange = exchange;
  }

  /** The client's address as trusted ({@link Attributes#CLIENT_IP}, else the peer). */
  byte[] clientIp() {
    if (client == null) {
      String trusted = exchange.get(Attributes.CLIENT_IP);
      client = trusted != null ? Cidr.ipLiteral(trusted) : null;
      if (client == null) {
        client = remoteIp();
      }
    }
    return client;
  }

  /** The TCP peer's address. */
  byte[] remoteIp() {
    if (remote == null) {
      InetSocketAddress a = exchange.clientAddress();
      remote = a == null || a.getAddress() == null ? new byte[0] : a.getAddress().getAddress();
    }
    return remote;
  }

  String requestPrincipal() {
    return exchange.get(Attributes.REQUEST_PRINCIPAL);
  }

  Map<String, Object> claims() {
    return exchange.get(Attributes.JWT_CLAIMS);
  }
}
