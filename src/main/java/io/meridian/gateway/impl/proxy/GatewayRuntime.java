package io.meridian.gateway.impl.proxy;

import io.meridian.common.config.GatewayOptions;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.impl.route.RouteTable;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every connection of one gateway shares: its options, the current route table and
 * plugin chain (each swapped atomically; a request keeps the ones it started with), and the
 * per-event-loop upstream pools.
 */
public final class GatewayRuntime {

  /** The plugin chain, ordered by phase: request hooks run forward, response hooks in reverse. */
  public record Chain(GatewayPlugin[] plugins) {
    public static Chain of(List<GatewayPlugin> plugins) {
      return new Chain(plugins.toArray(GatewayPlugin[]::new));
    }
  }

  /**
   * The buffer allocator of the gateway's connections: Netty's classic pooled allocator, which
   * measured cheaper per request than 4.2's adaptive one ({@code -Dmeridian.gateway.allocator=adaptive}
   * switches back, for comparison).
   */
  static final io.netty.buffer.ByteBufAllocator ALLOCATOR = "adaptive".equals(System.getProperty("meridian.gateway.allocator"))
      ? io.netty.buffer.ByteBufAllocator.DEFAULT : io.netty.buffer.PooledByteBufAllocator.DEFAULT;

  final GatewayOptions options;
  /** This gateway's {@code Via} entry for requests received over HTTP/1.1 and over HTTP/2. */
  final String via;
  final String viaHttp2;
  final ChannelFactory<? extends io.netty.channel.Channel> channelFactory;
  private final Map<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();
  private volatile RouteTable routes = RouteTable.EMPTY;
  private volatile Chain chain = new Chain(new GatewayPlugin[0]);
  private volatile boolean ready;
  /**
   * The routing step: a request's service and route are located with it before the first
   * plugin runs; its plugin refuses unmatched requests in the ROUTE phase.
   */
  volatile Routing routing;
  /** Requests waiting for a connection slot (connectionPool.tcp.maxConnections reached), all loops. */
  final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();

  public GatewayRuntime(GatewayOptions options, ChannelFactory<? extends io.netty.channel.Channel> channelFactory) {
    this.options = options;
    this.via = "1.1 " + options.name();
    this.viaHttp2 = "2 " + options.name();
    this.channelFactory = channelFactory;
  }

  public GatewayOptions options() {
    return options;
  }

  public RouteTable routes() {
    return routes;
  }

  public void routes(RouteTable table) {
    this.routes = table;
  }

  public Chain chain() {
    return chain;
  }

  public void chain(Chain chain) {
    this.chain = chain;
    Routing r = null;
    for (GatewayPlugin p : chain.plugins()) {
      if (p instanceof Routing routingPlugin) {
        r = routingPlugin;
      }
    }
    this.routing = r;
  }

  /** Whether the registry and rules have been loaded (until then requests get 503). */
  public boolean ready() {
    return ready;
  }

  public void ready(boolean ready) {
    this.ready = ready;
  }

  /** The upstream pool of {@code loop} (created on first use, used only from that loop). */
  UpstreamPool pool(EventLoop loop) {
    UpstreamPool pool = pools.get(loop);
    if (pool == null) {
      pool = pools.computeIfAbsent(loop, l -> new UpstreamPool(l, this));
    }
    return pool;
  }

  /** A connection slot may have freed: each loop with waiting requests retries them. */
  void wakeWaiters() {
    if (waiting.get() == 0) {
      return;
    }
    for (UpstreamPool p : pools.values()) {
      if (p.hasWaiters()) {
        p.loop.execute(p::retryWaiters);
      }
    }
  }

  /** Closes every pooled upstream connection (on stop). */
  public void closePools() {
    pools.values().forEach(p -> p.loop.execute(p::closeAll));
  }

  static boolean isSocketChannel(io.netty.channel.Channel c) {
    return c instanceof SocketChannel;
  }
}
