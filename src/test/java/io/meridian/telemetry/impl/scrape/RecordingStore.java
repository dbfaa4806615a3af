package io.meridian.telemetry.impl.scrape;

import io.meridian.telemetry.impl.series.Family;
import io.meridian.telemetry.impl.series.Sample;
import io.meridian.telemetry.impl.series.Series;
import io.meridian.telemetry.impl.series.SeriesStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** A series store that records what the scraper writes (test double: it answers no queries). */
public final class RecordingStore implements SeriesStore {

  /** One {@link #ingest} call. */
  public record Ingest(String target, long time, List<Sample> samples, List<Family> families) {
    /** The sample named {@code name}, or {@code null}. */
    public Sample sample(String name) {
      return samples.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }
  }

  private final List<Ingest> ingests = new ArrayList<>();
  private final List<String> drops = new ArrayList<>();

  @Override
  public synchronized void ingest(String target, long timeMillis, List<Sample> samples, Collection<Family> families) {
    ingests.add(new Ingest(target, timeMillis, List.copyOf(samples), List.copyOf(families)));
    if (ingests.size() > 10_000) {
      ingests.remove(0);
    }
  }

  @Override
  public synchronized void dropTarget(String target) {
    drops.add(target);
  }

  @Override
  public List<Series> select(String name, Map<String, String> match, long fromMillis, long toMillis) {
    throw new UnsupportedOperationException("the recording store answers no queries");
  }

  /** The last ingest of {@code target}, or {@code null}. */
  public synchronized Ingest last(String target) {
    for (int i = ingests.size() - 1; i >= 0; i--) {
      if (ingests.get(i).target().equals(target)) {
        return ingests.get(i);
      }
    }
    return null;
  }

  public synchronized List<String> drops() {
    return List.copyOf(drops);
  }
}
