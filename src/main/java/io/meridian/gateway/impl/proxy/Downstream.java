package io.meridian.gateway.impl.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One client connection (HTTP/1.1, or one HTTP/2 stream): hands each request to a
 * {@link ProxyExchange}, one at a time; requests pipelined behind it wait their turn.
 */
final class Downstream extends ChannelInboundHandlerAdapter {

  /** Most pipelined messages held while the current exchange runs (then the client is not read). */
  static final int MAX_QUEUED = 64;

  final GatewayRuntime runtime;
  final boolean secure;
  final String protocol;
  /** One HTTP/2 stream (a child channel carrying one exchange) rather than an HTTP/1.1 connection. */
  final boolean stream;
  /** A cleartext HTTP/1.1 connection whose first request has not arrived yet: it may ask for h2c. */
  private boolean upgradable;
  /** That first request asked for h2c: the switch happens once its (empty) body has been read. */
  private HttpRequest upgradeRequest;
  Channel channel;
  ChannelHandlerContext ctx;
  /** Whether a read burst is in progress (writes to upstreams are flushed at its end). */
  boolean inRead;
  private ProxyExchange current;
  /** The current exchange is over but its request body is still arriving: drop it. */
  private boolean discarding;
  private ArrayDeque<Object> queued;
  private boolean closing;
  /** The loop's list of client connections (idle sweeps). */
  Downstream prev;
  Downstream next;
  /** When the connection last finished an exchange or read something. */
  long lastActive = System.nanoTime();
  private UpstreamPool loopState;

  /**
   * {@code protocol}: {@link Http2#PROTOCOL} for a stream, {@code null} for HTTP/1.x (the request's
   * version); {@code upgradable}: whether its first request may switch the connection to h2c.
   */
  Downstream(GatewayRuntime runtime, boolean secure, String protocol, boolean upgradable) {
    this.runtime = runtime;
    this.secure = secure;
    this.protocol = protocol;
    this.stream = Http2.PROTOCOL.equals(protocol);
    this.upgradable = upgradable;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.channel = ctx.channel();
    if (!stream && channel.isActive()) {
      watchIdle(); // added after the TLS handshake
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (loopState != null) {
      loopState.closed(this); // the connection switched to HTTP/2
    }
  }

  /** Joins the loop's list of client connections (idle sweeps); streams are watched by their connection. */
  private void watchIdle() {
    if (loopState == null) {
      loopState = runtime.pool(channel.eventLoop());
      loopState.opened(this);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    inRead = true;
    if (queued != null && !queued.isEmpty() || (current != null && current.requestComplete())) {
      enqueue(msg);
      return;
    }
    handle(msg);
  }

  private void handle(Object msg) {
    if (discarding) {
      if (msg instanceof LastHttpContent) {
        discarding = false;
        if (closing) {
          channel.close(); // the rest of a refused body has been read: the lingering close is over
        }
      }
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      if (closing) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (upgradable) {
        upgradable = false;
        if (Http2.offersUpgrade(request) && !(msg instanceof HttpContent)) {
          upgradeRequest = request; // switched when its end arrives
          return;
        }
      }
      current = new ProxyExchange(this, request);
      current.start();
    }
    if (msg instanceof HttpContent content) {
      ProxyExchange x = current;
      if (x != null && !x.requestComplete()) {
        x.onRequestContent(content);
      } else {
        content.release();
        HttpRequest upgrade = upgradeRequest;
        if (upgrade != null && content instanceof LastHttpContent) {
          upgradeRequest = null;
          Http2.upgrade(this, upgrade);
        }
      }
    }
  }

  private void enqueue(Object msg) {
    if (queued == null) {
      queued = new ArrayDeque<>();
    }
    queued.add(msg);
    if (queued.size() >= MAX_QUEUED && channel.config().isAutoRead()) {
      channel.config().setAutoRead(false);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (!stream) {
      watchIdle();
    }
    ctx.fireChannelActive();
  }

  /** Whether no exchange is running (an idle keep-alive connection). */
  boolean idle() {
    return current == null;
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    inRead = false;
    lastActive = System.nanoTime();
    ProxyExchange x = current;
    if (x != null) {
      x.flushUpstream();
    }
    flush();
  }

  /** Something was written to the client since the last flush. */
  boolean needsFlush;

  void flush() {
    if (needsFlush) {
      needsFlush = false;
      ctx.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ProxyExchange x = current;
    if (x != null) {
      x.downstreamWritabilityChanged(channel.isWritable());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    if (loopState != null) {
      loopState.closed(this);
    }
    ProxyExchange x = current;
    current = null;
    if (x != null) {
      x.onDownstreamClosed();
    }
    if (queued != null) {
      queued.forEach(ReferenceCountUtil::release);
      queued = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // a client's I/O errors and HTTP/2 protocol errors are not the gateway's to report
    if (!(cause instanceof java.io.IOException || cause instanceof io.netty.handler.codec.http2.Http2Exception)) {
      LOG.warn("closing client connection {} after an unexpected error", channel.remoteAddress(), cause);
    }
    ctx.close();
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("io.meridian.gateway");

  /**
   * The exchange has been answered: close if it said so, otherwise drop the rest of its request
   * body if any, and go on with what was pipelined behind it.
   */
  void exchangeDone(ProxyExchange x, boolean close) {
    if (x != current) {
      return;
    }
    current = null;
    lastActive = System.nanoTime();
    if (close) {
      closing = true;
      needsFlush = false;
      if (!x.requestComplete() && channel instanceof io.netty.channel.socket.DuplexChannel duplex && channel.isActive()) {
        linger(duplex);
        return;
      }
      if (stream && !x.requestComplete() && channel.isActive()) {
        // answered before the end of the request body: the stream ends with RST_STREAM(NO_ERROR) after the
        // complete response — RFC 9113 8.1: the client stops sending and keeps the answer (a plain close would
        // reset with CANCEL, and clients drop the answer)
        // only once the answer is out: a reset cancels the frames still queued for the stream
        Runnable reset = () -> ctx.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2ResetFrame(
            io.netty.handler.codec.http2.Http2Error.NO_ERROR)).addListener(f -> channel.close());
        io.netty.channel.ChannelFuture answer = x.answerWritten;
        ctx.flush();
        if (answer == null) {
          reset.run();
        } else {
          answer.addListener(f -> reset.run());
        }
        return;
      }
      ctx.flush();
      channel.close();
      return;
    }
    if (!x.requestComplete()) {
      discarding = true;
    }
    while (queued != null && !queued.isEmpty() && (current == null || !current.requestComplete())) {
      Object msg = queued.poll();
      handle(msg);
    }
    if (queued != null && queued.size() < MAX_QUEUED && !channel.config().isAutoRead() && (current == null
        || !current.readPaused())) {
      channel.config().setAutoRead(true);
    }
  }

  /** How long a connection answered while its client was still sending a body keeps draining it before it is closed. */
  static final long LINGER_MILLIS = 5000;

  /**
   * Closes after an answer that came before the end of the request body (413, errors): the answer
   * goes out and the sending side is shut (the client sees the end), while what the client is
   * still sending is read and dropped until its body ends, it closes, or {@link #LINGER_MILLIS}
   * pass — closing at once would reset the connection and could destroy the answer before the
   * client read it.
   */
  private void linger(io.netty.channel.socket.DuplexChannel duplex) {
    discarding = true;
    ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(f -> {
      if (channel.isActive()) {
        duplex.shutdownOutput();
      }
    });
    channel.config().setAutoRead(true);
    channel.eventLoop().schedule(() -> {
      channel.close();
    }, LINGER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private String clientIp;
  private int localPort = -2;

  /** The local port of the connection (the gateway port the client reached), or -1. */
  int localPort() {
    if (localPort == -2) {
      java.net.SocketAddress a = channel.localAddress();
      if (a == null && channel.parent() != null) {
        a = channel.parent().localAddress(); // an HTTP/2 stream: its connection's
      }
      localPort = a instanceof java.net.InetSocketAddress inet ? inet.getPort() : -1;
    }
    return localPort;
  }

  /** The client's IP address as text (computed once per connection). */
  String clientIp() {
    if (clientIp == null) {
      java.net.SocketAddress a = channel.remoteAddress();
      clientIp = a instanceof java.net.InetSocketAddress inet ? inet.getAddress().getHostAddress() : String.valueOf(a);
    }
    return clientIp;
  }

  /** Stops reading from the client (an upstream is not keeping up with the request body). */
  void pauseReading() {
    if (channel.config().isAutoRead()) {
      channel.config().setAutoRead(false);
    }
  }

  void resumeReading() {
    if (!channel.config().isAutoRead() && (queued == null || queued.size() < MAX_QUEUED)) {
      channel.config().setAutoRead(true);
    }
  }
}
