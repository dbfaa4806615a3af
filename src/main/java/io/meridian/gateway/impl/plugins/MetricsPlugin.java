package io.meridian.gateway.impl.plugins;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Request latency per tenant, service, version, route and status, as a histogram
 * ({@code meridian_gateway_requests_seconds} on {@code /metrics}). Unrouted requests count under
 * an empty service.
 */
public final class MetricsPlugin implements GatewayPlugin {

  private record Key(String tenant, String service, String version, String route, int status) {
  }

  private final MeterRegistry meters;
  private final String gateway;
  private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

  public MetricsPlugin(MeterRegistry meters, String gateway) {
    this.meters = meters;
    this.gateway = gateway;
  }

  @Override
  public String id() {
    return "metrics";
  }

  @Override
  public Phase phase() {
    return Phase.OBSERVE;
  }

  @Override
  public void onComplete(Exchange x) {
    Key key = new Key(x.tenant() == null ? "" : x.tenant(), x.service() == null ? "" : x.service(),
        x.version() == null ? "" : x.version(), x.route() == null ? "" : x.route(), x.status());
    Timer timer = timers.get(key);
    if (timer == null) {
      timer = timers.computeIfAbsent(key, k -> Timer.builder("meridian.gateway.requests")
          .description("Requests through the gateway, by outcome")
          .tag("gateway", gateway)
          .tag("tenant", k.tenant())
          .tag("service", k.service())
          .tag("version", k.version())
          .tag("route", k.route())
          .tag("status", Integer.toString(k.status()))
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofSeconds(60))
          .register(meters));
    }
    timer.record(System.nanoTime() - x.startNanos(), TimeUnit.NANOSECONDS);
  }
}
