package io.meridian.telemetry.impl.trace;

import io.meridian.common.error.ApiException;
import java.util.Locale;
import java.util.regex.Pattern;

/** Validation of span ids and endpoint addresses, shared by the codecs. */
final class SpanIds {

  private static final Pattern IPV4 = Pattern.compile(
      "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

  /** A trace id: 16 or 32 hex digits, not all zero; lower-cased. */
  static String traceId(String id, String field) {
    if (id.length() != 16 && id.length() != 32) {
      throw ApiException.badRequest(field, "traceId must be 16 or 32 hex digits, got " + id.length() + " characters");
    }
    return hex(id, field);
  }

  /** A span id: 16 hex digits, not all zero; lower-cased. */
  static String spanId(String id, String field) {
    if (id.length() != 16) {
      throw ApiException.badRequest(field, "must be 16 hex digits, got " + id.length() + " characters");
    }
    return hex(id, field);
  }

  private static String hex(String id, String field) {
    boolean zero = true;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!digit) {
        throw ApiException.badRequest(field, "must be hex digits, got '" + id + "'");
      }
      zero &= c == '0';
    }
    if (zero) {
      throw ApiException.badRequest(field, "must not be all zeros");
    }
    return id.toLowerCase(Locale.ROOT);
  }

  static boolean isIpv4(String s) {
    return IPV4.matcher(s).matches();
  }

  static boolean isIpv6(String s) {
    return s.indexOf(':') >= 0 && IPV6.matcher(s).matches();
  }

  /** An endpoint, or {@code null} when it says nothing. */
  static Span.Endpoint endpoint(String service, String ipv4, String ipv6, int port) {
    service = service == null || service.isEmpty() ? null : service;
    ipv4 = ipv4 == null || ipv4.isEmpty() ? null : ipv4;
    ipv6 = ipv6 == null || ipv6.isEmpty() ? null : ipv6.toLowerCase(Locale.ROOT);
    if (service == null && ipv4 == null && ipv6 == null && port == 0) {
      return null;
    }
    return new Span.Endpoint(service, ipv4, ipv6, port);
  }

  /** Lower-case hex of {@code bytes}. */
  static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = Character.forDigit((bytes[i] >> 4) & 0xf, 16);
      out[2 * i + 1] = Character.forDigit(bytes[i] & 0xf, 16);
    }
    return new String(out);
  }

  /** Bytes of an even-length hex string. */
  static byte[] bytes(String hex) {
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
    }
    return out;
  }

  private SpanIds() {
  }
}
