package io.meridian.gateway.impl.proxy;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseDecoder;

/**
 * Decodes an upstream's responses. It knows which request they answer (a response to HEAD has no
 * body whatever its headers say), which Netty's client codec would learn from its own encoder —
 * but the proxy writes requests itself.
 */
final class UpstreamDecoder extends HttpResponseDecoder {

  private final Upstream upstream;

  UpstreamDecoder(Upstream upstream) {
    super(new HttpDecoderConfig()
        .setMaxInitialLineLength(8192)
        .setMaxHeaderSize(64 * 1024)
        .setMaxChunkSize(64 * 1024)
        .setValidateHeaders(false));
    this.upstream = upstream;
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage msg) {
    return upstream.headRequest || super.isContentAlwaysEmpty(msg);
  }
}
