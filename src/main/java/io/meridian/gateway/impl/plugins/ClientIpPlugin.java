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
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the client's address behind trusted proxies ({@code gateway.trustedProxies}): when the
 * TCP peer is a trusted proxy, the client is the rightmost entry of the forwarding chain that is
 * not a trusted proxy (nginx's {@code real_ip_recursive}) — the chain is the {@code for=} values of
 * the standard {@code Forwarded} header (RFC 7239) when the request has one, else
 * {@code X-Forwarded-For}; it is put in
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
    List<String> forwarded = exchange.requestHeaders("forwarded");
    String client;
    if (!forwarded.isEmpty()) {
      client = walk(forwardedFor(forwarded), trusted);
    } else {
      List<String> xff = exchange.requestHeaders("x-forwarded-for");
      client = xff.isEmpty() ? null : clientOf(xff, trusted);
    }
    if (client != null) {
      exchange.put(Attributes.CLIENT_IP, client);
    }
    return Future.succeededFuture();
  }

  /**
   * The {@code for=} values of {@code Forwarded} header lines (RFC 7239), in order: one per
   * forwarded element ({@code ,}-separated), unquoted; an element without {@code for} counts as
   * {@code unknown} (it ends the walk like any entry that is not an address). Quoted strings may
   * hold {@code ,} and {@code ;} ({@code for="[2001:db8::1]:4711"}).
   */
  public static List<String> forwardedFor(List<String> headerValues) {
    List<String> result = new ArrayList<>();
    for (String value : headerValues) {
      for (String element : splitUnquoted(value, ',')) {
        if (element.isBlank()) {
          continue;
        }
        String found = "unknown";
        for (String pair : splitUnquoted(element, ';')) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase("for")) {
            String v = pair.substring(eq + 1).trim();
            found = v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
          }
        }
        result.add(found);
      }
    }
    return result;
  }

  private static List<String> splitUnquoted(String s, char separator) {
    List<String> parts = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (c == separator && !quoted) {
        parts.add(s.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(s.substring(start));
    return parts;
  }

  /** {@link #clientOf} over entries already split (one address each). */
  static String walk(List<String> entries, CidrSet trusted) {
    String found = null;
    for (int i = entries.size() - 1; i >= 0; i--) {
      String entry = entries.get(i).trim();
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
    return found;
  }

  /**
   * The client address in {@code X-Forwarded-For} values (in header order) sent by a trusted
   * proxy: walking from the right, the first address that is not trusted; when every address is
   * trusted, the leftmost; an entry that is not an IP address ends the walk at the address to its
   * right. {@code null} when there is no usable address at all. Addresses are returned in
   * canonical form; a port ({@code 1.2.3.4:5678}, {@code [::1]:80}) is dropped.
   */
  public static String clientOf(List<String> headerValues, CidrSet trusted) {
    List<String> entries = new ArrayList<>();
    for (String value : headerValues) {
      entries.addAll(splitUnquoted(value, ','));
    }
    return walk(entries, trusted);
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
