package io.meridian.gateway.impl.tcp;

import io.meridian.common.config.GatewayOptions;
import io.meridian.gateway.impl.proxy.GatewayRuntime;
import io.meridian.gateway.impl.route.Cluster;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** One {@code gateway.tcp} entry: a listening socket relaying each connection to the service's current endpoints. */
final class TcpListener {

  final GatewayOptions.TcpRoute route;
  final TcpMeters meters;
  /** Connects upstreams; cloned onto each client connection's event loop. */
  final Bootstrap upstreams;
  private final GatewayRuntime runtime;
  private final String key;
  private final Duration idleTimeout;
  private Channel server;
  private int boundPort;

  TcpListener(GatewayRuntime runtime, GatewayOptions.TcpRoute route, TcpMeters meters, EventLoopGroup group,
      ChannelFactory<? extends Channel> channels) {
    this.runtime = runtime;
    this.route = route;
    this.meters = meters;
    this.key = route.tenant() + "/" + route.service();
    this.idleTimeout = runtime.options().idleTimeout();
    int connectMillis = (int) Math.min(Integer.MAX_VALUE, runtime.options().connectTimeout().toMillis());
    this.upstreams = new Bootstrap()
        .group(group)
        .channelFactory(channels)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis);
  }

  /** The service's cluster in the route table of this moment, or {@code null} when the table has none. */
  Cluster cluster() {
    return runtime.routes().tcp().get(key);
  }

  Duration idleTimeout() {
    return idleTimeout;
  }

  String describe() {
    return ":" + boundPort + " -> " + route.service() + "." + route.tenant();
  }

  /** Binds; completes with the bound port. Accepted connections are tracked in {@code open} until they close. */
  Future<Integer> bind(String host, EventLoopGroup group, ChannelFactory<? extends ServerChannel> serverChannels,
      Set<Channel> open) {
    long idleNanos = idleTimeout.toNanos();
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(group, group)
        .channelFactory(serverChannels)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.AUTO_READ, false) // read once the upstream is connected
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            open.add(ch);
            ch.closeFuture().addListener(f -> open.remove(ch));
            ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS))
                .addLast("relay", new TcpRelay(TcpListener.this, ch).clientHandler());
          }
        });
    Promise<Integer> bound = Promise.promise();
    ChannelFuture f = bootstrap.bind(new InetSocketAddress(host, route.port()));
    f.addListener(done -> {
      if (done.isSuccess()) {
        server = f.channel();
        boundPort = ((InetSocketAddress) server.localAddress()).getPort();
        bound.complete(boundPort);
      } else {
        bound.fail(done.cause());
      }
    });
    return bound.future();
  }

  /** Stops accepting connections. */
  Future<Void> close() {
    if (server == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = Promise.promise();
    server.close().addListener(f -> closed.complete());
    return closed.future();
  }
}
