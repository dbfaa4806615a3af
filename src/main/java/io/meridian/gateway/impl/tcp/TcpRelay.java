package io.meridian.gateway.impl.tcp;

import io.meridian.gateway.impl.route.Cluster;
import io.meridian.gateway.impl.route.Endpoint;
import io.meridian.gateway.impl.route.LbPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of a TCP listener and the upstream connection it is relayed to, both on
 * the client's event loop (so neither side needs a lock). The client is not read until the
 * upstream is connected; then bytes flow both ways, a side stops reading while the other cannot
 * take more (backpressure), a FIN is passed on as a FIN (half-close), and the pair closes when
 * either side closes or fails, or nothing moved for the idle timeout.
 */
final class TcpRelay {

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.gateway");

  /** Most endpoints tried for one client connection (fewer when the service has fewer). */
  static final int MAX_ATTEMPTS = 3;

  private final TcpListener listener;
  private final Channel client;
  private final Side clientSide = new Side(true);
  private Channel upstream;
  private Cluster cluster;
  private Endpoint endpoint;
  private final List<Endpoint> tried = new ArrayList<>(MAX_ATTEMPTS);
  private int outputsShut;
  /** What the client sent before the upstream was connected (a FIN makes the kernel hand it over early). */
  private ArrayDeque<ByteBuf> early;
  private boolean earlyFin;

  TcpRelay(TcpListener listener, Channel client) {
    this.listener = listener;
    this.client = client;
  }

  /** The handler of the client channel's pipeline. */
  ChannelInboundHandlerAdapter clientHandler() {
    return clientSide;
  }

  /** The client connected: choose an upstream from the route table of this moment. */
  private void start() {
    listener.meters.accepted.increment();
    listener.meters.active.incrementAndGet();
    client.closeFuture().addListener(f -> listener.meters.active.decrementAndGet());
    Cluster c = listener.cluster();
    if (c == null) {
      reject(TcpMeters.NO_ROUTE, "the service has no passing tcp instance on this gateway's plane and scope");
      return;
    }
    if (c.isEmpty()) {
      reject(TcpMeters.NO_ENDPOINT, "no healthy endpoint");
      return;
    }
    cluster = c;
    connect(null);
  }

  private void connect(Endpoint lastFailed) {
    if (!client.isActive()) {
      return;
    }
    Endpoint e = pick(lastFailed);
    if (e == null) {
      reject(TcpMeters.CONNECT_FAILED, "cannot connect to " + tried);
      return;
    }
    int max = cluster.limits.maxConnections();
    if (max > 0 && connections(cluster) >= max) {
      reject(TcpMeters.OVERFLOW, "too many connections (connectionPool.tcp.maxConnections = " + max + ")");
      return;
    }
    tried.add(e);
    ChannelFuture f = listener.upstreams.clone(client.eventLoop()).handler(new Side(false)).connect(e.address);
    f.addListener((ChannelFutureListener) done -> connected(done, e));
  }

  /** An endpoint not tried yet for this connection, or {@code null} when attempts are used up. */
  private Endpoint pick(Endpoint lastFailed) {
    if (tried.size() >= Math.min(MAX_ATTEMPTS, cluster.endpoints.length)) {
      return null;
    }
    String hashKey = cluster.lb.kind() == LbPolicy.Kind.CONSISTENT_HASH && client.remoteAddress() instanceof InetSocketAddress a
        ? a.getAddress().getHostAddress() : null;
    for (int i = 0; i < cluster.endpoints.length; i++) {
      Endpoint e = cluster.pick(hashKey, lastFailed);
      if (e != null && !tried.contains(e)) {
        return e;
      }
    }
    return null;
  }

  private static int connections(Cluster c) {
    int n = 0;
    for (Endpoint e : c.endpoints) {
      n += e.connections.get();
    }
    return n;
  }

  private void connected(ChannelFuture f, Endpoint e) {
    if (!f.isSuccess()) {
      cluster.recordGatewayError(e);
      LOG.debug("tcp {}: cannot connect to {}: {}", listener.describe(), e, f.cause() == null ? "?" : f.cause().getMessage());
      connect(e);
      return;
    }
    cluster.recordConnected(e);
    Channel u = f.channel();
    if (!client.isActive()) {
      u.close();
      return;
    }
    endpoint = e;
    upstream = u;
    e.connections.incrementAndGet();
    e.active.incrementAndGet();
    u.closeFuture().addListener(done -> {
      e.connections.decrementAndGet();
      e.active.decrementAndGet();
    });
    if (early != null) {
      for (ByteBuf buf = early.poll(); buf != null; buf = early.poll()) {
        u.write(buf, u.voidPromise());
      }
      u.flush();
    }
    if (earlyFin) {
      inputShut(clientSide);
    } else {
      client.config().setAutoRead(true);
    }
  }

  private void releaseEarly() {
    if (early != null) {
      early.forEach(ReferenceCountUtil::release);
      early.clear();
    }
  }

  private void reject(String reason, String why) {
    listener.meters.rejected(reason);
    LOG.debug("tcp {}: closing {}: {}", listener.describe(), client.remoteAddress(), why);
    client.close();
  }

  private Channel peer(Side side) {
    return side.clientSide ? upstream : client;
  }

  /** Closes {@code c} once what was written to it has been sent. */
  private static void closeAfterFlush(Channel c) {
    if (c != null && c.isActive()) {
      c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else if (c != null) {
      c.close();
    }
  }

  /** {@code side} got a FIN: send one to its peer once everything before it has been written. */
  private void inputShut(Side side) {
    Channel to = peer(side);
    if (to == null || !to.isActive() || !(to instanceof DuplexChannel duplex)) {
      closeAfterFlush(to);
      side.ctx.close();
      return;
    }
    to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) flushed -> {
      if (!flushed.isSuccess()) {
        to.close();
        return;
      }
      duplex.shutdownOutput().addListener(done -> {
        if (!done.isSuccess()) {
          to.close();
        } else if (++outputsShut == 2) {
          client.close();
          upstream.close();
        }
      });
    });
  }

  /** The pipeline handler of one side (the client's or the upstream's channel). */
  private final class Side extends ChannelInboundHandlerAdapter {

    final boolean clientSide;
    ChannelHandlerContext ctx;

    Side(boolean clientSide) {
      this.clientSide = clientSide;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    /** Whether this is the client or the upstream in use (not one that was given up on). */
    boolean relaying() {
      return clientSide || ctx.channel() == upstream;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (clientSide) {
        start();
      }
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel to = peer(this);
      if (clientSide && to == null && msg instanceof ByteBuf buf) {
        listener.meters.bytesIn.increment(buf.readableBytes());
        if (early == null) {
          early = new ArrayDeque<>(4);
        }
        early.add(buf);
        return;
      }
      if (!(msg instanceof ByteBuf buf) || !relaying() || to == null || !to.isActive()) {
        ReferenceCountUtil.release(msg);
        return;
      }
      (clientSide ? listener.meters.bytesIn : listener.meters.bytesOut).increment(buf.readableBytes());
      to.write(buf, to.voidPromise());
      if (!to.isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      Channel to = peer(this);
      if (to != null && relaying()) {
        to.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      Channel from = peer(this);
      if (ctx.channel().isWritable() && from != null && relaying()) {
        from.config().setAutoRead(true);
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (!relaying()) {
        ctx.close();
      } else if (event instanceof ChannelInputShutdownEvent) {
        if (clientSide && upstream == null) {
          earlyFin = true; // passed on once connected
        } else {
          inputShut(this);
        }
      } else if (event instanceof IdleStateEvent) {
        LOG.debug("tcp {}: closing {}: idle for {}", listener.describe(), client.remoteAddress(), listener.idleTimeout());
        ctx.close();
      }
      ReferenceCountUtil.release(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (clientSide) {
        releaseEarly();
      }
      if (relaying()) {
        closeAfterFlush(peer(this));
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("tcp {}: {} connection failed: {}", listener.describe(), clientSide ? "client" : "upstream " + endpoint,
          cause.getMessage());
      ctx.close();
    }
  }
}
