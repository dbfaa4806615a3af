package io.meridian.gateway.impl.proxy;

import io.meridian.gateway.impl.route.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * One keep-alive HTTP/1.1 connection to an upstream endpoint, on one event loop. It carries one
 * exchange at a time: the response head and body go to that exchange, which streams them to
 * its client.
 */
final class Upstream extends ChannelInboundHandlerAdapter {

  /** Who uses the connection for one exchange (a proxied request or a mirrored copy). */
  interface Listener {
    void onResponseHead(Upstream upstream, HttpResponse response);

    void onResponseContent(Upstream upstream, HttpContent content);

    void onUpstreamClosed(Upstream upstream, Throwable cause);

    void flushDownstream();

    void upstreamWritabilityChanged(boolean writable);
  }

  /** The outcome of opening a connection. */
  interface ConnectCallback {
    void connected(Upstream upstream);

    void connectFailed(Throwable cause);
  }

  final UpstreamPool pool;
  Channel channel;
  ChannelHandlerContext ctx;
  Endpoint endpoint;
  /** The exchange using this connection, or {@code null} while idle. */
  Listener exchange;
  /** Requests carried so far (for maxRequestsPerConnection). */
  int requests;
  /** Whether the request in flight is a HEAD (its response has no body). */
  boolean headRequest;
  /** When it went back to the pool. */
  long idleSince;
  private boolean closed;

  Upstream(UpstreamPool pool) {
    this.pool = pool;
  }

  boolean usable() {
    return !closed && channel.isActive();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Listener x = exchange;
    if (x == null) {
      // nothing asked for this (an idle connection speaking): it cannot be trusted any more
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    if (msg instanceof HttpResponse response) {
      x.onResponseHead(this, response);
    }
    if (msg instanceof HttpContent content) {
      if (exchange == x) {
        x.onResponseContent(this, content);
      } else {
        content.release();
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    Listener x = exchange;
    if (x != null) {
      x.flushDownstream();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Listener x = exchange;
    if (x != null) {
      x.upstreamWritabilityChanged(channel.isWritable());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    pool.closed(this);
    Listener x = exchange;
    exchange = null;
    if (x != null) {
      x.onUpstreamClosed(this, null);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Listener x = exchange;
    exchange = null;
    closed = true;
    if (x != null) {
      x.onUpstreamClosed(this, cause);
    }
    ctx.close();
  }

  /** The exchange is done with this connection: back to the pool, or closed. */
  void finished(boolean reusable) {
    exchange = null;
    if (reusable && usable()) {
      if (!channel.config().isAutoRead()) {
        channel.config().setAutoRead(true);
      }
      pool.release(this);
    } else {
      closed = true;
      channel.close();
    }
  }
}
