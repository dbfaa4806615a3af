package io.meridian.gateway.impl.tcp;

import io.meridian.common.config.GatewayOptions;
import io.meridian.common.verticle.ListenException;
import io.meridian.common.verticle.Listeners;
import io.meridian.gateway.impl.proxy.GatewayRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's L4 listeners ({@code gateway.tcp}): one listening socket per entry on the
 * gateway's host and event loops, relaying each connection to an endpoint of the entry's
 * {@code tcp} service. The endpoint is chosen per connection from the route table of that
 * moment (load balancing, subsets of health and outlier ejection as for HTTP), so registry and
 * rule changes apply to new connections while open ones stay where they are.
 */
public final class TcpListeners {

  private final GatewayOptions options;
  private final GatewayRuntime runtime;
  private final EventLoopGroup group;
  private final ChannelFactory<? extends ServerChannel> serverChannels;
  private final ChannelFactory<? extends Channel> channels;
  private final MeterRegistry meterRegistry;
  private final List<TcpListener> listeners = new ArrayList<>();
  private final Map<String, TcpMeters> meters = new HashMap<>();
  private final Set<Channel> open = ConcurrentHashMap.newKeySet();

  public TcpListeners(GatewayOptions options, GatewayRuntime runtime, EventLoopGroup group,
      ChannelFactory<? extends ServerChannel> serverChannels, ChannelFactory<? extends Channel> channels,
      MeterRegistry meterRegistry) {
    this.options = options;
    this.runtime = runtime;
    this.group = group;
    this.serverChannels = serverChannels;
    this.channels = channels;
    this.meterRegistry = meterRegistry;
  }

  /**
   * Binds every listener on {@code host}. Completes with the bound ports by status name
   * ({@code gateway.tcp.<service>.<tenant>}, with {@code .<index>} appended for a service published
   * twice); on a bind failure, closes what was bound and fails with a {@link ListenException}
   * naming {@code gateway.tcp[i].port}.
   */
  public Future<Map<String, Integer>> start(String host) {
    List<Future<Integer>> bound = new ArrayList<>();
    for (GatewayOptions.TcpRoute route : options.tcp()) {
      TcpMeters m = meters.computeIfAbsent(route.tenant() + "/" + route.service(),
          k -> new TcpMeters(meterRegistry, options.name(), route.tenant(), route.service()));
      TcpListener listener = new TcpListener(runtime, route, m, group, channels);
      listeners.add(listener);
      bound.add(listener.bind(host, group, serverChannels, open));
    }
    return Future.join(bound).transform(done -> {
      for (int i = 0; i < bound.size(); i++) {
        if (bound.get(i).failed()) {
          Throwable cause = bound.get(i).cause();
          ListenException failure = new ListenException("gateway.tcp[" + i + "].port", host, options.tcp().get(i).port(),
              Listeners.isInUse(cause), cause);
          return stop().transform(x -> Future.failedFuture(failure));
        }
      }
      Map<String, Integer> ports = new LinkedHashMap<>();
      for (int i = 0; i < bound.size(); i++) {
        GatewayOptions.TcpRoute route = options.tcp().get(i);
        String name = "gateway.tcp." + route.service() + "." + route.tenant();
        ports.put(ports.containsKey(name) ? name + "." + i : name, bound.get(i).result());
      }
      return Future.succeededFuture(ports);
    });
  }

  /** Stops accepting, closes the open connections and removes the meters. */
  public Future<Void> stop() {
    List<Future<Void>> closed = new ArrayList<>();
    listeners.forEach(l -> closed.add(l.close()));
    for (Channel c : List.copyOf(open)) {
      Promise<Void> p = Promise.promise();
      c.close().addListener(f -> p.complete());
      closed.add(p.future());
    }
    listeners.clear();
    return Future.join(closed).transform(x -> {
      meters.values().forEach(TcpMeters::remove);
      meters.clear();
      return Future.<Void>succeededFuture();
    });
  }
}
