package io.meridian.gateway.impl.plugins;

import io.meridian.common.net.Cidr;
import io.meridian.common.net.CidrSet;
import io.meridian.gateway.Attributes;
import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Finds the client's address behind trusted proxies ({@code gateway.trustedProxies}): when the
 * TCP peer is a trusted proxy, the client is the rightmost {@code X-Forwarded-For} entry that is
 * not a trusted proxy (nginx's {@code real_ip_recursive}); it is put in
 * {@link Attributes#CLIENT_IP} for later plugins (authorization, rate limits). A request from any
 * other peer keeps the peer as its client, whatever it claims in {@code X-Forwarded-For}.
 */
public final class ClientIpPlugin implements GatewayPlugin {

  private final CidrSet trusted;

  public ClientIpPlugin(CidrSet trusted) {
    this.trusted = trusted;
  }

  @Override
  public String id() {
    return "client-ip";
  }

  @Override
  public Phase phase() {
    return Phase.OBSERVE;
  }

  @Override
  public Future<Void> onRequest(Exchange exchange) {
    if (trusted.isEmpty()) {
      return Future.succeededFuture();
    }
    InetSocketAddress peer = exchange.clientAddress();
    if (peer == null || peer.getAddress() == null || !trusted.contains(peer.getAddress().getAddress())) {
      return Future.succeededFuture();
    }
    List<String> xff = exchange.requestHeaders("x-forwarded-for");
    if (!xff.isEmpty()) {
      String client = clientOf(xff, trusted);
      if (client != null) {
        exchange.put(Attributes.CLIENT_IP, client);
      }
    }
    return Future.succeededFuture();
  }

  /**
   * The client address in {@code X-Forwarded-For} values (in header order) sent by a trusted
   * proxy: walking from the right, the first address that is not trusted; when every address is
   * trusted, the leftmost; an entry that is not an IP address ends the walk at the address to its
   * right. {@code null} when there is no usable address at all. Addresses are returned in
   * canonical form; a port ({@code 1.2.3.4:5678}, {@code [::1]:80}) is dropped.
   */
  public static String clientOf(List<String> headerValues, CidrSet trusted) {
    String found = null;
    for (int v = headerValues.size() - 1; v >= 0; v--) {
      String value = headerValues.get(v);
      int end = value.length();
      while (end > 0) {
        int comma = value.lastIndexOf(',', end - 1);
        String entry = value.substring(comma + 1, end).trim();
        end = comma < 0 ? 0 : comma;
        if (entry.isEmpty()) {
          continue;
        }
        byte[] address = address(entry);
        if (address == null) {
          return found;
        }
        found = NetUtil.bytesToIpAddress(address);
        if (!trusted.contains(address)) {
          return found;
        }
      }
    }
    return found;
  }

  private static byte[] address(String entry) {
    byte[] a = Cidr.ipLiteral(entry);
    if (a != null) {
      return a;
    }
    if (entry.startsWith("[")) {
      int close = entry.indexOf(']');
      return close < 0 ? null : Cidr.ipLiteral(entry.substring(1, close));
    }
    int colon = entry.indexOf(':');
    if (colon > 0 && colon == entry.lastIndexOf(':')) {
      return Cidr.ipLiteral(entry.substring(0, colon));
    }
    return null;
  }
}
