package io.meridian.gateway.impl.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;

/**
 * The gateway's HTTP entry: a Netty server on Vert.x's own event loops (native epoll when
 * available), so a client connection and the upstream connections serving it share one loop.
 * One port speaks HTTP/1.1 and HTTP/2: in cleartext, h2c with prior knowledge (told by the
 * client preface) or by {@code Upgrade: h2c}; with TLS, what ALPN chose ({@code h2} or
 * {@code http/1.1}).
 */
public final class ProxyServer {

  static final String DECODER = "decoder";
  static final String DOWNSTREAM = "downstream";

  private final GatewayRuntime runtime;
  private final SslContext tls;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  private final io.netty.channel.ChannelFactory<? extends ServerChannel> serverChannels;
  private Channel channel;

  /** {@code tls}: the server context ({@link GatewayTls}), or {@code null} for cleartext. */
  public ProxyServer(GatewayRuntime runtime, SslContext tls, EventLoopGroup acceptors, EventLoopGroup workers,
      io.netty.channel.ChannelFactory<? extends ServerChannel> serverChannels) {
    this.runtime = runtime;
    this.tls = tls;
    this.acceptors = acceptors;
    this.workers = workers;
    this.serverChannels = serverChannels;
  }

  /** Binds; completes with the bound port or fails with the bind error. */
  public Future<Integer> listen(String host, int port) {
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(acceptors, workers)
        .channelFactory(serverChannels)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOCATOR, GatewayRuntime.ALLOCATOR)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            if (tls != null) {
              ch.pipeline().addLast("tls", tls.newHandler(ch.alloc())).addLast("alpn", new Alpn());
            } else {
              ch.pipeline()
                  .addLast("h2-preface", new Http2.PrefaceSniffer(runtime))
                  .addLast(DECODER, newDecoder())
                  .addLast(DOWNSTREAM, new Downstream(runtime, false, null, true));
            }
          }
        });
    Promise<Integer> bound = Promise.promise();
    ChannelFuture f = bootstrap.bind(new InetSocketAddress(host, port));
    f.addListener(done -> {
      if (done.isSuccess()) {
        channel = f.channel();
        bound.complete(((InetSocketAddress) channel.localAddress()).getPort());
      } else {
        bound.fail(done.cause());
      }
    });
    return bound.future();
  }

  private HttpRequestDecoder newDecoder() {
    int maxHeader = (int) runtime.options.maxHeaderSize();
    return new HttpRequestDecoder(new HttpDecoderConfig()
        .setMaxInitialLineLength(Math.min(maxHeader, 16 * 1024))
        .setMaxHeaderSize(maxHeader)
        .setMaxChunkSize(64 * 1024));
  }

  /** After the TLS handshake: the pipeline of the protocol ALPN chose (HTTP/1.1 when the client offered none). */
  private final class Alpn extends ApplicationProtocolNegotiationHandler {
    Alpn() {
      super(ApplicationProtocolNames.HTTP_1_1);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
        Http2.configure(ctx.pipeline(), runtime, true);
      } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
        ctx.pipeline().addLast(DECODER, newDecoder()).addLast(DOWNSTREAM, new Downstream(runtime, true, null, false));
      } else {
        ctx.close();
      }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("io.meridian.gateway");

  /** Stops accepting connections (connections in flight finish on their own). */
  public Future<Void> close() {
    if (channel == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = Promise.promise();
    channel.close().addListener(f -> closed.complete());
    return closed.future();
  }
}
