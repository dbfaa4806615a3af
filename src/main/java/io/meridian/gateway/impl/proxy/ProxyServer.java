package io.meridian.gateway.impl.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;

/**
 * The gateway's HTTP entry: a Netty server on Vert.x's own event loops (native epoll when
 * available), so a client connection and the upstream connections serving it share one loop.
 */
public final class ProxyServer {

  private final GatewayRuntime runtime;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  private final io.netty.channel.ChannelFactory<? extends ServerChannel> serverChannels;
  private Channel channel;

  public ProxyServer(GatewayRuntime runtime, EventLoopGroup acceptors, EventLoopGroup workers,
      io.netty.channel.ChannelFactory<? extends ServerChannel> serverChannels) {
    this.runtime = runtime;
    this.acceptors = acceptors;
    this.workers = workers;
    this.serverChannels = serverChannels;
  }

  /** Binds; completes with the bound port or fails with the bind error. */
  public Future<Integer> listen(String host, int port) {
    int maxHeader = (int) runtime.options.maxHeaderSize();
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
            ch.pipeline()
                .addLast("decoder", new HttpRequestDecoder(new HttpDecoderConfig()
                    .setMaxInitialLineLength(Math.min(maxHeader, 16 * 1024))
                    .setMaxHeaderSize(maxHeader)
                    .setMaxChunkSize(64 * 1024)))
                .addLast("downstream", new Downstream(runtime, false, null));
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
