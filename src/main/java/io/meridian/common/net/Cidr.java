package io.meridian.common.net;

import io.netty.util.NetUtil;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code fd00::/8}). Parsing
 * never resolves names: only literals are accepted.
 */
public record Cidr(String text, byte[] network, int prefix) {

  /** Parses {@code text}; throws {@link IllegalArgumentException} with a readable message. */
  public static Cidr parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "' is not a CIDR such as 10.0.0.0/8");
    }
    byte[] address = ipLiteral(text.substring(0, slash));
    if (address == null) {
      throw new IllegalArgumentException("'" + text + "' does not start with an IP address");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no numeric prefix length");
    }
    if (prefix < 0 || prefix > address.length * 8) {
      throw new IllegalArgumentException("'" + text + "': prefix length must be 0-" + address.length * 8);
    }
    return new Cidr(text, mask(address, prefix), prefix);
  }

  /** Whether the IP literal {@code address} lies in this network (false for names and other families). */
  public boolean contains(String address) {
    byte[] bytes = ipLiteral(address);
    return bytes != null && bytes.length == network.length && Arrays.equals(mask(bytes, prefix), network);
  }

  /**
   * The bytes of an IPv4/IPv6 literal (brackets allowed for IPv6), or {@code null} when
   * {@code text} is not one (e.g. a host name).
   */
  public static byte[] ipLiteral(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    return NetUtil.createByteArrayFromIpAddressString(bare);
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff << (8 - bits)));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr other && other.prefix == prefix && Arrays.equals(other.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefix;
  }

  @Override
  public String toString() {
    return text;
  }
}
