package io.meridian.telemetry.impl.scrape;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The scraper's meters: {@code meridian_telemetry_scrapes_total{result}} ({@code ok},
 * {@code timeout}, {@code too_large}, {@code parse_error}, {@code http_error}, {@code error},
 * {@code skipped}: a tick that found the target's previous scrape still queued or running),
 * {@code meridian_telemetry_scrape_duration_seconds{kind}} and
 * {@code meridian_telemetry_targets{kind, health}}.
 */
final class ScrapeMeters {

  private final MeterRegistry registry;
  private final Map<String, Counter> results = new ConcurrentHashMap<>();
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final List<Meter> registered = new ArrayList<>();
  private final Counter skipped;

  ScrapeMeters(MeterRegistry registry, Collection<Scraper.TargetState> states) {
    this.registry = registry;
    for (String result : List.of("ok", ScrapeFailure.TIMEOUT, ScrapeFailure.TOO_LARGE, ScrapeFailure.PARSE_ERROR,
        ScrapeFailure.HTTP_ERROR, ScrapeFailure.ERROR, "skipped")) {
      results.put(result, keep(Counter.builder("meridian.telemetry.scrapes").description("Scrapes by result")
          .tag("result", result).register(registry)));
    }
    skipped = results.get("skipped");
    for (String kind : Scraper.KINDS) {
      durations.put(kind, keep(Timer.builder("meridian.telemetry.scrape.duration")
          .description("Time from a scrape's start to its samples in the store").tag("kind", kind).register(registry)));
      for (String health : Scraper.HEALTHS) {
        keep(Gauge.builder("meridian.telemetry.targets", states, all -> all.stream()
                .filter(s -> !s.removed && s.target.kind().equals(kind) && s.health.equals(health)).count())
            .description("Scrape targets by kind and health").tag("kind", kind).tag("health", health).register(registry));
      }
    }
  }

  void scraped(String result, String kind, long nanos) {
    results.get(result).increment();
    durations.get(kind).record(nanos, TimeUnit.NANOSECONDS);
  }

  void skipped() {
    skipped.increment();
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
