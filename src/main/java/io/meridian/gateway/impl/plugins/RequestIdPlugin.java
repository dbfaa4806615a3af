package io.meridian.gateway.impl.plugins;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.vertx.core.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Gives every request an id: the client's {@code X-Request-Id} when it sent a usable one,
 * otherwise 32 random hex digits. The id goes upstream and back to the client in
 * {@code X-Request-Id}.
 */
public final class RequestIdPlugin implements GatewayPlugin {

  public static final String HEADER = "x-request-id";
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  @Override
  public String id() {
    return "request-id";
  }

  @Override
  public Phase phase() {
    return Phase.OBSERVE;
  }

  @Override
  public Future<Void> onRequest(Exchange exchange) {
    String id = exchange.requestHeader(HEADER);
    if (id == null || id.isEmpty() || id.length() > 128 || !printable(id)) {
      id = random();
      exchange.setRequestHeader(HEADER, id);
    }
    exchange.requestId(id);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> onResponse(Exchange exchange) {
    String id = exchange.requestId();
    if (id != null) {
      exchange.setResponseHeader(HEADER, id);
    }
    return Future.succeededFuture();
  }

  private static boolean printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  static String random() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long a = r.nextLong();
    long b = r.nextLong();
    char[] out = new char[32];
    for (int i = 15; i >= 0; i--) {
      out[i] = HEX[(int) (a & 0xf)];
      a >>>= 4;
      out[16 + i] = HEX[(int) (b & 0xf)];
      b >>>= 4;
    }
    return new String(out);
  }
}
