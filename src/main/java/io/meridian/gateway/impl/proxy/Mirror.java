package io.meridian.gateway.impl.proxy;

import io.meridian.gateway.impl.route.Cluster;
import io.meridian.gateway.impl.route.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mirrored copy of a request (VirtualService {@code mirror}): sent to another cluster with
 * {@code -shadow} appended to its Host (Istio's convention), its answer read and dropped,
 * never delaying or failing the real request.
 */
final class Mirror implements Upstream.Listener, Upstream.ConnectCallback {

  private final HttpRequest request;
  private final List<ByteBuf> body;
  private final boolean chunked;
  private final UpstreamPool pool;
  private final long timeoutNanos;
  private Upstream upstream;
  private ScheduledFuture<?> timer;
  private boolean keepAlive = true;

  private Mirror(HttpRequest request, List<ByteBuf> body, boolean chunked, UpstreamPool pool, long timeoutNanos) {
    this.request = request;
    this.body = body;
    this.chunked = chunked;
    this.pool = pool;
    this.timeoutNanos = timeoutNanos;
  }

  static void send(ProxyExchange x, Cluster target) {
    Endpoint e = target.pick(null, null);
    if (e == null) {
      return;
    }
    HttpRequest copy = new DefaultHttpRequest(HttpVersion.HTTP_1_1, x.request.method(), x.upstreamUri(),
        x.request.headers().copy());
    String host = copy.headers().get(HttpHeaderNames.HOST);
    if (host != null) {
      int colon = host.lastIndexOf(':');
      copy.headers().set(HttpHeaderNames.HOST, colon > 0 && host.indexOf(']') < colon
          ? host.substring(0, colon) + "-shadow" + host.substring(colon) : host + "-shadow");
    }
    List<ByteBuf> body = new ArrayList<>();
    if (x.replayBody() != null) {
      for (ByteBuf b : x.replayBody()) {
        body.add(b.retainedDuplicate());
      }
    }
    EventLoop loop = x.downstream.channel.eventLoop();
    UpstreamPool pool = x.runtime.pool(loop);
    long timeout = x.runtime.options.requestTimeout().toNanos();
    Mirror m = new Mirror(copy, body, x.requestChunked(), pool, timeout > 0 ? timeout : TimeUnit.SECONDS.toNanos(60));
    Upstream u = pool.poll(e);
    if (u != null) {
      m.connected(u);
    } else {
      pool.connect(e, m);
    }
  }

  @Override
  public void connected(Upstream u) {
    upstream = u;
    u.exchange = this;
    u.requests++;
    u.headRequest = request.method() == io.netty.handler.codec.http.HttpMethod.HEAD;
    u.ctx.write(Http1.requestHead(u.ctx.alloc(), request), u.ctx.voidPromise());
    for (ByteBuf b : body) {
      if (chunked) {
        u.ctx.write(Http1.chunkHeader(u.ctx.alloc(), b.readableBytes()), u.ctx.voidPromise());
        u.ctx.write(b, u.ctx.voidPromise());
        u.ctx.write(Http1.crlf(u.ctx.alloc()), u.ctx.voidPromise());
      } else {
        u.ctx.write(b, u.ctx.voidPromise());
      }
    }
    body.clear();
    if (chunked) {
      u.ctx.write(Http1.lastChunk(u.ctx.alloc(), LastHttpContent.EMPTY_LAST_CONTENT), u.ctx.voidPromise());
    }
    u.ctx.flush();
    timer = pool.loop.schedule(() -> {
      Upstream current = upstream;
      upstream = null;
      if (current != null) {
        current.finished(false);
      }
    }, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void connectFailed(Throwable cause) {
    body.forEach(ByteBuf::release);
    body.clear();
  }

  @Override
  public void onResponseHead(Upstream u, HttpResponse response) {
    keepAlive = HttpUtil.isKeepAlive(response);
  }

  @Override
  public void onResponseContent(Upstream u, HttpContent content) {
    content.release();
    if (content instanceof LastHttpContent && upstream == u) {
      upstream = null;
      if (timer != null) {
        timer.cancel(false);
      }
      u.finished(keepAlive);
    }
  }

  @Override
  public void onUpstreamClosed(Upstream u, Throwable cause) {
    upstream = null;
    if (timer != null) {
      timer.cancel(false);
    }
  }

  @Override
  public void flushDownstream() {
  }

  @Override
  public void upstreamWritabilityChanged(boolean writable) {
  }
}
