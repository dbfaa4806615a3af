package io.meridian.gateway.impl.proxy;

import io.meridian.gateway.impl.route.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The idle keep-alive upstream connections of one event loop, per endpoint: acquiring and
 * releasing are O(1) and lock-free because only this loop touches them, and an upstream
 * connection lives on the same loop as the downstream connections it serves (no thread hop
 * on the hot path).
 */
final class UpstreamPool {

  final EventLoop loop;
  private final GatewayRuntime runtime;
  private final Bootstrap bootstrap;
  private final Map<Endpoint, ArrayDeque<Upstream>> idle = new HashMap<>();

  UpstreamPool(EventLoop loop, GatewayRuntime runtime) {
    this.loop = loop;
    this.runtime = runtime;
    this.idleNanos = runtime.options.idleTimeout().toNanos();
    int connectMillis = (int) Math.min(Integer.MAX_VALUE, runtime.options.connectTimeout().toMillis());
    this.bootstrap = new Bootstrap()
        .group(loop)
        .channelFactory(runtime.channelFactory)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.ALLOCATOR, GatewayRuntime.ALLOCATOR)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis)
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            Upstream upstream = new Upstream(UpstreamPool.this);
            ch.pipeline()
                .addLast("decoder", new UpstreamDecoder(upstream))
                .addLast("upstream", upstream);
          }
        });
  }

  /** How often request deadlines are checked (timeouts are this precise). */
  static final long SWEEP_MILLIS = 25;

  private ProxyExchange timedHead;
  private boolean sweeping;
  private int sweeps;
  private final long idleNanos;
  /** Client connections of this loop (for idle timeouts). */
  private Downstream downstreamHead;
  /** HTTP/2 client connections of this loop (for idle timeouts). */
  private final java.util.Set<Http2.Connection> http2 = new java.util.HashSet<>();

  /** Watches {@code x}'s deadline ({@link ProxyExchange#dueNanos}); O(1), no per-request timer task. */
  void track(ProxyExchange x) {
    if (x.timedTracked) {
      return;
    }
    startSweeping();
    x.timedTracked = true;
    x.timedPrev = null;
    x.timedNext = timedHead;
    if (timedHead != null) {
      timedHead.timedPrev = x;
    }
    timedHead = x;
  }

  private void startSweeping() {
    if (!sweeping) {
      sweeping = true;
      loop.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /** Watches a client connection for idleness. */
  void opened(Downstream d) {
    startSweeping();
    d.next = downstreamHead;
    if (downstreamHead != null) {
      downstreamHead.prev = d;
    }
    downstreamHead = d;
  }

  /** Watches an HTTP/2 client connection for idleness. */
  void opened(Http2.Connection c) {
    startSweeping();
    http2.add(c);
  }

  void closed(Http2.Connection c) {
    http2.remove(c);
  }

  void closed(Downstream d) {
    if (d.prev != null) {
      d.prev.next = d.next;
    } else if (downstreamHead == d) {
      downstreamHead = d.next;
    }
    if (d.next != null) {
      d.next.prev = d.prev;
    }
    d.prev = null;
    d.next = null;
  }

  void untrack(ProxyExchange x) {
    if (!x.timedTracked) {
      return;
    }
    x.timedTracked = false;
    if (x.timedPrev != null) {
      x.timedPrev.timedNext = x.timedNext;
    } else {
      timedHead = x.timedNext;
    }
    if (x.timedNext != null) {
      x.timedNext.timedPrev = x.timedPrev;
    }
    x.timedPrev = null;
    x.timedNext = null;
  }

  private void sweep() {
    long now = System.nanoTime();
    if (++sweeps % 40 == 0) {
      sweepIdle(now);
    }
    ProxyExchange x = timedHead;
    while (x != null) {
      ProxyExchange next = x.timedNext;
      long due = x.dueNanos;
      if (due != 0 && now - due >= 0) {
        untrack(x);
        x.run();
      }
      x = next;
    }
  }

  /** Closes client connections idle between requests and pooled upstream connections idle for idleTimeout. */
  private void sweepIdle(long now) {
    for (Downstream d = downstreamHead; d != null; ) {
      Downstream next = d.next;
      if (d.idle() && now - d.lastActive > idleNanos) {
        d.channel.close();
      }
      d = next;
    }
    if (!http2.isEmpty()) {
      List<Http2.Connection> quiet = new ArrayList<>();
      for (Http2.Connection c : http2) {
        if (c.idle(now, idleNanos)) {
          quiet.add(c);
        }
      }
      quiet.forEach(c -> c.channel.close()); // GOAWAY, then close
    }
    for (ArrayDeque<Upstream> deque : new ArrayList<>(idle.values())) {
      Upstream oldest;
      while ((oldest = deque.peekFirst()) != null && now - oldest.idleSince > idleNanos) {
        deque.pollFirst();
        oldest.channel.close();
      }
    }
  }

  /** An idle connection to {@code endpoint}, or {@code null}. */
  Upstream poll(Endpoint endpoint) {
    ArrayDeque<Upstream> deque = idle.get(endpoint);
    if (deque == null) {
      return null;
    }
    Upstream u;
    while ((u = deque.pollLast()) != null) {
      if (u.usable()) {
        return u;
      }
    }
    return null;
  }

  /** Opens a connection; {@code callback} runs on this loop with the connection or the failure. */
  void connect(Endpoint endpoint, Upstream.ConnectCallback callback) {
    endpoint.connections.incrementAndGet();
    connectReserved(endpoint, callback);
  }

  /** Like {@link #connect} for a caller that already counted the connection in {@link Endpoint#connections}. */
  void connectReserved(Endpoint endpoint, Upstream.ConnectCallback callback) {
    ChannelFuture f = bootstrap.connect(endpoint.address);
    if (f.isDone()) {
      connected(f, endpoint, callback);
    } else {
      f.addListener((ChannelFutureListener) done -> connected(done, endpoint, callback));
    }
  }

  private void connected(ChannelFuture f, Endpoint endpoint, Upstream.ConnectCallback callback) {
    if (!f.isSuccess()) {
      endpoint.connections.decrementAndGet();
      runtime.wakeWaiters();
      callback.connectFailed(f.cause());
      return;
    }
    Upstream u = f.channel().pipeline().get(Upstream.class);
    u.endpoint = endpoint; // counted since the attempt began; the count drops when the channel closes
    callback.connected(u);
  }

  /**
   * Requests of this loop waiting for a connection slot, oldest first; {@code volatile} size
   * so other loops can tell whether waking this one is worth it.
   */
  private final ArrayDeque<ProxyExchange> waiters = new ArrayDeque<>();
  private volatile int waiterCount;

  boolean hasWaiters() {
    return waiterCount > 0;
  }

  void await(ProxyExchange x) {
    waiters.addLast(x);
    waiterCount = waiters.size();
  }

  void stopAwaiting(ProxyExchange x) {
    waiters.remove(x);
    waiterCount = waiters.size();
  }

  /** Lets each waiting request try again (once; those still over the limit queue up again, in order). */
  void retryWaiters() {
    for (int n = waiters.size(); n > 0; n--) {
      ProxyExchange x = waiters.pollFirst();
      waiterCount = waiters.size();
      if (x == null) {
        break;
      }
      x.retryAfterWait();
    }
  }

  /** Returns a connection for reuse (its response was read completely and it may be kept alive). */
  void release(Upstream u) {
    if (u.endpoint.waiting.get() > 0) {
      // requests wait for a slot of this endpoint's cluster: one of this loop takes the connection,
      // else it closes so that a request of another loop (or for another endpoint) can open one
      for (ProxyExchange x : waiters) {
        if (x.canUse(u.endpoint)) {
          waiters.remove(x);
          waiterCount = waiters.size();
          x.resumeWith(u);
          return;
        }
      }
      u.channel.close();
      return;
    }
    u.idleSince = System.nanoTime();
    startSweeping();
    idle.computeIfAbsent(u.endpoint, e -> new ArrayDeque<>()).addLast(u);
  }

  /** A connection closed: forget it if it was idle. */
  void closed(Upstream u) {
    if (u.endpoint != null) {
      u.endpoint.connections.decrementAndGet();
      runtime.wakeWaiters();
      ArrayDeque<Upstream> deque = idle.get(u.endpoint);
      if (deque != null) {
        deque.remove(u);
        if (deque.isEmpty()) {
          idle.remove(u.endpoint);
        }
      }
    }
  }

  void closeAll() {
    for (ArrayDeque<Upstream> deque : new ArrayList<>(idle.values())) {
      for (Upstream u : new ArrayList<>(deque)) {
        u.channel.close();
      }
    }
    idle.clear();
  }
}
