package io.meridian.telemetry.impl.series;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The telemetry role's in-memory time series (docs/telemetry.md): what the scraper writes and
 * the query API, {@code /federate} and the service graph read. Bounded by retention, a series
 * count and a memory budget. Safe for one writer thread per target and any number of readers.
 */
public interface SeriesStore {

  /**
   * Records one scrape of {@code target} taken at {@code timeMillis}: every sample becomes the
   * newest point of its series; series the target exposed before and not now become stale.
   */
  void ingest(String target, long timeMillis, List<Sample> samples, Collection<Family> families);

  /** The target is gone (deregistered, removed from config): its series become stale now. */
  void dropTarget(String target);

  /**
   * Every series named {@code name} whose labels include all of {@code match}, with its points
   * in {@code [fromMillis, toMillis]} (series without points there are left out).
   */
  List<Series> select(String name, Map<String, String> match, long fromMillis, long toMillis);
}
