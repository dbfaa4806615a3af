package io.meridian.gateway.impl.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Iterator;
import java.util.Map;

/**
 * HTTP/1.1 message heads and body framing written straight into buffers: the proxy writes these
 * to the socket itself instead of going through Netty's HTTP encoders (which cost a promise
 * and a message list per object). Header names and values are written byte for byte as they
 * were decoded (ISO-8859-1).
 */
final class Http1 {

  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] COLON_SP = {':', ' '};
  private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
  private static final byte[] LAST_CHUNK_START = {'0', '\r', '\n'};
  private static final byte[] HTTP_1_1 = {'H', 'T', 'T', 'P', '/', '1', '.', '1'};
  private static final byte[] HTTP_1_0 = {'H', 'T', 'T', 'P', '/', '1', '.', '0'};
  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  static ByteBuf requestHead(ByteBufAllocator alloc, HttpRequest request) {
    return requestHead(alloc, request, request.uri(), 0, false);
  }

  /**
   * A request head whose target is {@code target} from {@code start} on, after a {@code /} when
   * {@code slash} (the region is written as is: no substring is made).
   */
  static ByteBuf requestHead(ByteBufAllocator alloc, HttpRequest request, String target, int start, boolean slash) {
    HttpHeaders headers = request.headers();
    ByteBuf buf = alloc.ioBuffer(256 + headers.size() * 48);
    ByteBufUtil.writeAscii(buf, request.method().asciiName());
    buf.writeByte(' ');
    if (slash) {
      buf.writeByte('/');
    }
    for (int i = start, n = target.length(); i < n; i++) {
      buf.writeByte(target.charAt(i));
    }
    buf.writeByte(' ');
    buf.writeBytes(HTTP_1_1);
    buf.writeBytes(CRLF);
    writeHeaders(buf, headers);
    return buf;
  }

  static ByteBuf responseHead(ByteBufAllocator alloc, HttpResponse response, boolean http10) {
    HttpHeaders headers = response.headers();
    ByteBuf buf = alloc.ioBuffer(128 + headers.size() * 48);
    buf.writeBytes(http10 ? HTTP_1_0 : HTTP_1_1);
    buf.writeByte(' ');
    ByteBufUtil.writeAscii(buf, response.status().codeAsText());
    buf.writeByte(' ');
    ByteBufUtil.writeAscii(buf, response.status().reasonPhrase());
    buf.writeBytes(CRLF);
    writeHeaders(buf, headers);
    return buf;
  }

  private static void writeHeaders(ByteBuf buf, HttpHeaders headers) {
    Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      ByteBufUtil.writeAscii(buf, e.getKey());
      buf.writeBytes(COLON_SP);
      ByteBufUtil.writeAscii(buf, e.getValue());
      buf.writeBytes(CRLF);
    }
    buf.writeBytes(CRLF);
  }

  /** The size line of a chunk of {@code length} bytes (its data and a CRLF follow). */
  static ByteBuf chunkHeader(ByteBufAllocator alloc, int length) {
    ByteBuf buf = alloc.ioBuffer(10);
    int shift = 28;
    while (shift > 0 && (length >>> shift) == 0) {
      shift -= 4;
    }
    for (; shift >= 0; shift -= 4) {
      buf.writeByte(HEX[(length >>> shift) & 0xf]);
    }
    buf.writeBytes(CRLF);
    return buf;
  }

  static ByteBuf crlf(ByteBufAllocator alloc) {
    return alloc.ioBuffer(2).writeBytes(CRLF);
  }

  /** The last chunk, with the trailers of {@code last} if any. */
  static ByteBuf lastChunk(ByteBufAllocator alloc, LastHttpContent last) {
    HttpHeaders trailers = last.trailingHeaders();
    if (trailers.isEmpty()) {
      return alloc.ioBuffer(5).writeBytes(LAST_CHUNK);
    }
    ByteBuf buf = alloc.ioBuffer(64 + trailers.size() * 48);
    buf.writeBytes(LAST_CHUNK_START);
    writeHeaders(buf, trailers);
    return buf;
  }

  static boolean isHttp10(HttpVersion v) {
    return v.majorVersion() == 1 && v.minorVersion() == 0;
  }

  private Http1() {
  }
}
