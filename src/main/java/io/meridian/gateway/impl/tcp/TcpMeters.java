package io.meridian.gateway.impl.tcp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one published TCP service (tags {@code gateway}, {@code tenant}, {@code service}),
 * shared by every listener that publishes it:
 * {@code meridian_gateway_tcp_connections_total} (accepted), {@code meridian_gateway_tcp_active}
 * (open client connections), {@code meridian_gateway_tcp_bytes_total{direction=in|out}} (from
 * clients / to clients) and {@code meridian_gateway_tcp_rejected_total{reason}} (client
 * connections closed without an upstream: {@code no_route}, {@code no_endpoint},
 * {@code overflow}, {@code connect_failed}).
 */
final class TcpMeters {

  static final String NO_ROUTE = "no_route";
  static final String NO_ENDPOINT = "no_endpoint";
  static final String OVERFLOW = "overflow";
  static final String CONNECT_FAILED = "connect_failed";

  final Counter accepted;
  final AtomicInteger active = new AtomicInteger();
  final Counter bytesIn;
  final Counter bytesOut;
  private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final Tags tags;
  private final List<Meter> registered = new ArrayList<>();

  TcpMeters(MeterRegistry registry, String gateway, String tenant, String service) {
    this.registry = registry;
    this.tags = Tags.of("gateway", gateway, "tenant", tenant, "service", service);
    accepted = keep(Counter.builder("meridian.gateway.tcp.connections").description("TCP connections accepted")
        .tags(tags).register(registry));
    keep(Gauge.builder("meridian.gateway.tcp.active", active, AtomicInteger::get).description("Open TCP client connections")
        .tags(tags).register(registry));
    bytesIn = keep(Counter.builder("meridian.gateway.tcp.bytes").description("Bytes relayed (in: from clients, out: to clients)")
        .baseUnit("bytes").tags(tags).tag("direction", "in").register(registry));
    bytesOut = keep(Counter.builder("meridian.gateway.tcp.bytes").description("Bytes relayed (in: from clients, out: to clients)")
        .baseUnit("bytes").tags(tags).tag("direction", "out").register(registry));
    for (String reason : List.of(NO_ROUTE, NO_ENDPOINT, OVERFLOW, CONNECT_FAILED)) {
      rejected.put(reason, keep(Counter.builder("meridian.gateway.tcp.rejected")
          .description("TCP connections closed without reaching an upstream").tags(tags).tag("reason", reason)
          .register(registry)));
    }
  }

  void rejected(String reason) {
    rejected.get(reason).increment();
  }

  private <M extends Meter> M keep(M meter) {
    registered.add(meter);
    return meter;
  }

  /** Unregisters (the role stops; a later start registers fresh meters). */
  void remove() {
    registered.forEach(registry::remove);
  }
}
