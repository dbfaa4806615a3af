package io.meridian.gateway.impl.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/2 on the client side of the gateway: a connection gets Netty's frame codec and stream
 * multiplexer, and each stream becomes a child channel whose frames are turned into
 * {@code HttpObject}s for a {@link Downstream} of its own (one exchange per stream). Upstreams
 * stay HTTP/1.1. A connection speaks HTTP/2 after ALPN chose {@code h2} (TLS), after the client
 * preface (h2c with prior knowledge, see {@link PrefaceSniffer}) or after an {@code Upgrade: h2c}
 * on its first request ({@link #upgrade}).
 */
final class Http2 {

  /** The protocol name exchanges report ({@code Exchange.protocol()}). */
  static final String PROTOCOL = "HTTP/2";
  /** Most concurrent streams a client may open on one connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  static final int MAX_CONCURRENT_STREAMS = 256;
  /** Extension headers Netty's frame-to-object conversion adds to requests; never forwarded. */
  static final AsciiString STREAM_ID_HEADER = AsciiString.cached("x-http2-stream-id");
  static final AsciiString SCHEME_HEADER = AsciiString.cached("x-http2-scheme");

  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final Http2StreamFrameToHttpObjectCodec STREAM_CODEC = new Http2StreamFrameToHttpObjectCodec(true, true);

  /** The handlers of an HTTP/2 connection, in pipeline order: frame codec, stream multiplexer, idle tracking. */
  static ChannelHandler[] connectionHandlers(GatewayRuntime runtime, boolean secure) {
    Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
            .maxHeaderListSize(runtime.options.maxHeaderSize()))
        .validateHeaders(true)
        .build();
    Http2MultiplexHandler mux = new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel ch) {
        ch.config().setAllocator(GatewayRuntime.ALLOCATOR);
        ch.pipeline().addLast("h2-objects", STREAM_CODEC).addLast("downstream", new Downstream(runtime, secure, PROTOCOL, false));
      }
    });
    return new ChannelHandler[] {codec, mux, new Connection(runtime, codec)};
  }

  /** Makes {@code pipeline} an HTTP/2 connection's (after ALPN chose h2). */
  static void configure(ChannelPipeline pipeline, GatewayRuntime runtime, boolean secure) {
    ChannelHandler[] handlers = connectionHandlers(runtime, secure);
    pipeline.addLast("h2-frames", handlers[0]).addLast("h2-streams", handlers[1]).addLast("h2-idle", handlers[2]);
  }

  /**
   * One HTTP/2 client connection as its event loop's idle sweep sees it: idle once no stream is
   * active; closing it sends GOAWAY first.
   */
  static final class Connection extends ChannelInboundHandlerAdapter {
    private final GatewayRuntime runtime;
    private final Http2FrameCodec codec;
    Channel channel;
    private UpstreamPool loopState;
    /** When the last stream ended (or the connection opened). */
    private long quietSince = System.nanoTime();

    Connection(GatewayRuntime runtime, Http2FrameCodec codec) {
      this.runtime = runtime;
      this.codec = codec;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
      codec.connection().addListener(new Http2ConnectionAdapter() {
        @Override
        public void onStreamClosed(Http2Stream stream) {
          quietSince = System.nanoTime();
        }
      });
      if (channel.isActive()) {
        loopState = runtime.pool(channel.eventLoop());
        loopState.opened(this);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (loopState != null) {
        loopState.closed(this);
      }
      ctx.fireChannelInactive();
    }

    boolean idle(long now, long idleNanos) {
      return codec.connection().numActiveStreams() == 0 && now - quietSince > idleNanos;
    }
  }

  // ---- h2c with prior knowledge ---------------------------------------------------------------

  /**
   * First on a cleartext connection (before the HTTP/1.1 decoder): looks at the first bytes, and if
   * they are the HTTP/2 client preface replaces the HTTP/1.1 handlers by the HTTP/2 ones. Either
   * way it then leaves the pipeline, so requests after the first bytes never pass through it.
   */
  static final class PrefaceSniffer extends ChannelInboundHandlerAdapter {
    private final GatewayRuntime runtime;
    /** The first bytes while they are a strict prefix of the preface (a client may send it in pieces). */
    private ByteBuf held;

    PrefaceSniffer(GatewayRuntime runtime) {
      this.runtime = runtime;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf in)) {
        ctx.fireChannelRead(msg);
        return;
      }
      ByteBuf buf = in;
      if (held != null) {
        buf = held.writeBytes(in);
        in.release();
        held = null;
      }
      int n = Math.min(buf.readableBytes(), PREFACE.length);
      int start = buf.readerIndex();
      for (int i = 0; i < n; i++) {
        if (buf.getByte(start + i) != PREFACE[i]) {
          ctx.pipeline().remove(this);
          ctx.fireChannelRead(buf);
          return;
        }
      }
      if (n < PREFACE.length) {
        held = buf == in ? ctx.alloc().buffer(PREFACE.length).writeBytes(in) : buf;
        if (buf == in) {
          in.release();
        }
        return;
      }
      ChannelPipeline p = ctx.pipeline();
      p.remove(ProxyServer.DOWNSTREAM);
      p.remove(ProxyServer.DECODER);
      ChannelHandler[] handlers = connectionHandlers(runtime, false);
      p.addAfter(ctx.name(), "h2-frames", handlers[0]);
      p.addAfter("h2-frames", "h2-streams", handlers[1]);
      p.addAfter("h2-streams", "h2-idle", handlers[2]);
      p.remove(this);
      ctx.fireChannelRead(buf);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      release();
      ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      release();
    }

    private void release() {
      if (held != null) {
        held.release();
        held = null;
      }
    }
  }

  // ---- h2c by Upgrade ---------------------------------------------------------------------------

  /**
   * Whether {@code request} (the first on a cleartext connection) asks to switch to h2c in a way the
   * gateway accepts: {@code Upgrade: h2c}, one {@code HTTP2-Settings} header and no body (a request
   * with a body is answered over HTTP/1.1, which RFC 9113 allows).
   */
  static boolean offersUpgrade(HttpRequest request) {
    HttpHeaders h = request.headers();
    String upgrade = h.get(HttpHeaderNames.UPGRADE);
    if (upgrade == null || !hasToken(upgrade, "h2c") || h.getAll(Http2CodecUtil.HTTP_UPGRADE_SETTINGS_HEADER).size() != 1
        || h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      return false;
    }
    String length = h.get(HttpHeaderNames.CONTENT_LENGTH);
    return length == null || length.trim().equals("0");
  }

  private static boolean hasToken(String list, String token) {
    for (String part : list.split(",")) {
      if (part.trim().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Switches the connection of {@code downstream} to HTTP/2 for {@code request} (whose body, empty,
   * has been read): Netty's upgrade handler answers 101, swaps the HTTP/1.1 handlers for the HTTP/2
   * ones and replays the request as stream 1. If Netty declines (a malformed {@code HTTP2-Settings},
   * a {@code Connection} header not naming {@code Upgrade}), the request goes on to the
   * {@link Downstream} as HTTP/1.1.
   */
  static void upgrade(Downstream downstream, HttpRequest request) {
    ChannelPipeline p = downstream.channel.pipeline();
    ChannelHandler[] handlers = connectionHandlers(downstream.runtime, false);
    Http2ServerUpgradeCodec upgradeCodec = new Http2ServerUpgradeCodec((Http2FrameCodec) handlers[0], handlers[1], handlers[2]);
    HttpServerUpgradeHandler.SourceCodec http1 = ctx -> {
      p.remove(ProxyServer.DOWNSTREAM);
      p.remove(ProxyServer.DECODER);
      p.remove(UpgradeResponseWriter.NAME);
    };
    HttpServerUpgradeHandler upgrader = new HttpServerUpgradeHandler(http1,
        protocol -> AsciiString.contentEqualsIgnoreCase(protocol, Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME) ? upgradeCodec : null);
    String here = downstream.ctx.name();
    p.addBefore(here, UpgradeResponseWriter.NAME, UpgradeResponseWriter.INSTANCE);
    p.addBefore(here, "h2c-upgrade", upgrader);
    ChannelHandlerContext before = p.context(UpgradeResponseWriter.NAME);
    before.fireChannelRead(request); // the upgrade handler aggregates the request with its (empty) end
    before.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
    if (p.context(upgrader) != null) {
      // declined: the request went on as HTTP/1.1
      p.remove(upgrader);
      p.remove(UpgradeResponseWriter.NAME);
    }
  }

  /** Writes the 101 answer of an upgrade (the HTTP/1.1 side has no response encoder); the rest passes. */
  @ChannelHandler.Sharable
  static final class UpgradeResponseWriter extends ChannelOutboundHandlerAdapter {
    static final String NAME = "h2c-101";
    static final UpgradeResponseWriter INSTANCE = new UpgradeResponseWriter();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof HttpResponse response) {
        ByteBuf head = Http1.responseHead(ctx.alloc(), response, false);
        io.netty.util.ReferenceCountUtil.release(msg);
        ctx.write(head, promise);
      } else {
        ctx.write(msg, promise);
      }
    }
  }

  private Http2() {
  }
}
