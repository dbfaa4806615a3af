package io.meridian.common.net;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A set of IPv4/IPv6 networks compiled for per-request lookups: each network is a mask and a
 * prefix held as machine words, so a lookup is a few AND/compare operations per network and
 * parses nothing. IPv4-mapped IPv6 addresses ({@code ::ffff:10.0.0.1}) count as their IPv4
 * address. Immutable and thread-safe.
 */
public final class CidrSet {

  public static final CidrSet EMPTY = new CidrSet(List.of());

  private final int[] v4Net;
  private final int[] v4Mask;
  private final long[] v6Net;
  private final long[] v6Mask;
  private final List<Cidr> cidrs;

  private CidrSet(List<Cidr> cidrs) {
    this.cidrs = List.copyOf(cidrs);
    List<Cidr> v4 = new ArrayList<>();
    List<Cidr> v6 = new ArrayList<>();
    for (Cidr c : cidrs) {
      (c.network().length == 4 ? v4 : v6).add(c);
    }
    v4Net = new int[v4.size()];
    v4Mask = new int[v4.size()];
    for (int i = 0; i < v4.size(); i++) {
      Cidr c = v4.get(i);
      v4Mask[i] = c.prefix() == 0 ? 0 : -1 << (32 - c.prefix());
      v4Net[i] = toInt(c.network(), 0) & v4Mask[i];
    }
    v6Net = new long[v6.size() * 2];
    v6Mask = new long[v6.size() * 2];
    for (int i = 0; i < v6.size(); i++) {
      Cidr c = v6.get(i);
      int p = c.prefix();
      v6Mask[2 * i] = p == 0 ? 0 : p >= 64 ? -1L : -1L << (64 - p);
      v6Mask[2 * i + 1] = p <= 64 ? 0 : p == 128 ? -1L : -1L << (128 - p);
      v6Net[2 * i] = toLong(c.network(), 0) & v6Mask[2 * i];
      v6Net[2 * i + 1] = toLong(c.network(), 8) & v6Mask[2 * i + 1];
    }
  }

  /** The set of {@code cidrs}. */
  public static CidrSet of(Collection<Cidr> cidrs) {
    return cidrs.isEmpty() ? EMPTY : new CidrSet(List.copyOf(cidrs));
  }

  /**
   * Parses CIDRs or plain addresses ({@code 10.0.0.1} = {@code 10.0.0.1/32}); throws
   * {@link IllegalArgumentException} naming the first bad entry.
   */
  public static CidrSet parse(Collection<String> texts) {
    List<Cidr> out = new ArrayList<>(texts.size());
    for (String t : texts) {
      out.add(parseOne(t));
    }
    return of(out);
  }

  /** A CIDR, or an IP address as a one-address network. */
  public static Cidr parseOne(String text) {
    if (text != null && text.indexOf('/') < 0) {
      byte[] a = Cidr.ipLiteral(text.trim());
      if (a == null) {
        throw new IllegalArgumentException("'" + text + "' is not an IP address or a CIDR such as 10.0.0.0/8");
      }
      return Cidr.parse(text.trim() + "/" + a.length * 8);
    }
    return Cidr.parse(text == null ? null : text.trim());
  }

  public boolean isEmpty() {
    return cidrs.isEmpty();
  }

  public List<Cidr> cidrs() {
    return cidrs;
  }

  /** Whether the address (4 or 16 bytes, as {@link InetAddress#getAddress()}) lies in one of the networks. */
  public boolean contains(byte[] address) {
    if (address == null) {
      return false;
    }
    if (address.length == 16 && isV4Mapped(address)) {
      return containsV4(toInt(address, 12));
    }
    if (address.length == 4) {
      return containsV4(toInt(address, 0));
    }
    if (address.length != 16) {
      return false;
    }
    long hi = toLong(address, 0);
    long lo = toLong(address, 8);
    for (int i = 0; i < v6Net.length; i += 2) {
      if ((hi & v6Mask[i]) == v6Net[i] && (lo & v6Mask[i + 1]) == v6Net[i + 1]) {
        return true;
      }
    }
    return false;
  }

  public boolean contains(InetAddress address) {
    return address != null && contains(address.getAddress());
  }

  /** Whether the IP literal lies in one of the networks ({@code false} for anything else). */
  public boolean contains(String address) {
    return contains(Cidr.ipLiteral(address));
  }

  private boolean containsV4(int a) {
    for (int i = 0; i < v4Net.length; i++) {
      if ((a & v4Mask[i]) == v4Net[i]) {
        return true;
      }
    }
    return false;
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static int toInt(byte[] b, int off) {
    return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
  }

  private static long toLong(byte[] b, int off) {
    return (long) toInt(b, off) << 32 | (toInt(b, off + 4) & 0xffffffffL);
  }

  @Override
  public String toString() {
    return cidrs.toString();
  }
}
