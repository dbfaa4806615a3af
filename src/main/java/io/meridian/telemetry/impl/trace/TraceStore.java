package io.meridian.telemetry.impl.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/**
 * Traces in memory, bounded by a number of spans: when a batch takes the store beyond
 * {@code maxSpans}, whole traces are evicted, the trace first received earliest first. Indexed by
 * trace id and by service name (the local endpoint's, case-insensitive).
 *
 * <p>Thread-safe: every method takes the store's lock for a short, bounded step (adding is
 * proportional to the batch, a query to the number of traces it scans times log(limit));
 * callers run queries off the event loop.
 */
public final class TraceStore {

  /** What {@link #add} did: spans stored and spans evicted (of whole traces) to make room. */
  public record Added(int stored, int evicted, int evictedTraces) {
  }

  /** Earliest start first; among equal starts, the greater id first (so results list equal starts by id). */
  private static final Comparator<Trace> LATEST_LAST = (a, b) -> {
    int byStart = Long.compare(a.start(), b.start());
    return byStart != 0 ? byStart : b.traceId.compareTo(a.traceId);
  };

  private final int maxSpans;
  /** In order of each trace's first span's arrival: the head is evicted first. */
  private final LinkedHashMap<String, Trace> traces = new LinkedHashMap<>();
  private final Map<String, Set<String>> byService = new HashMap<>();
  private int spanCount;

  public TraceStore(int maxSpans) {
    if (maxSpans < 1) {
      throw new IllegalArgumentException("maxSpans must be positive");
    }
    this.maxSpans = maxSpans;
  }

  /** Adds a batch, then evicts the oldest traces while more than {@code maxSpans} are held. */
  public synchronized Added add(List<Span> spans) {
    for (Span span : spans) {
      Trace trace = traces.computeIfAbsent(span.traceId(), Trace::new);
      trace.add(span);
      // a trace is found by every service it touches: the spans' own and those they called
      // (the gateway's client span names the service it forwarded to)
      index(span.serviceName(), span.traceId());
      index(span.remoteServiceName(), span.traceId());
    }
    spanCount += spans.size();
    int evicted = 0;
    int evictedTraces = 0;
    Iterator<Trace> oldest = traces.values().iterator();
    while (spanCount > maxSpans && oldest.hasNext()) {
      Trace trace = oldest.next();
      oldest.remove();
      for (String name : trace.services) {
        String service = name.toLowerCase(Locale.ROOT);
        Set<String> ids = byService.get(service);
        if (ids != null && ids.remove(trace.traceId) && ids.isEmpty()) {
          byService.remove(service);
        }
      }
      spanCount -= trace.spans.size();
      evicted += trace.spans.size();
      evictedTraces++;
    }
    return new Added(spans.size(), evicted, evictedTraces);
  }

  private void index(String service, String traceId) {
    if (service != null) {
      byService.computeIfAbsent(service.toLowerCase(Locale.ROOT), s -> new HashSet<>()).add(traceId);
    }
  }

  /** The spans of a trace (a copy), or {@code null} when unknown. */
  public synchronized List<Span> trace(String traceId) {
    Trace trace = traces.get(traceId);
    return trace == null ? null : List.copyOf(trace.spans);
  }

  /** Summaries of the traces matching {@code query}, the latest started first, at most {@code query.limit()}. */
  public List<TraceSummary> query(TraceQuery query) {
    // the latest `limit` matches in a small heap whose head is the earliest kept: O(n log limit)
    PriorityQueue<Trace> kept = new PriorityQueue<>(query.limit() + 1, LATEST_LAST);
    List<TraceSummary> result = new ArrayList<>(query.limit());
    synchronized (this) {
      if (query.service() != null) {
        Set<String> ids = byService.get(query.service().toLowerCase(Locale.ROOT));
        for (String id : ids == null ? Set.<String>of() : ids) {
          keep(traces.get(id), query, kept);
        }
      } else {
        for (Trace trace : traces.values()) {
          keep(trace, query, kept);
        }
      }
      while (!kept.isEmpty()) {
        result.add(kept.poll().summary());
      }
    }
    java.util.Collections.reverse(result);
    return result;
  }

  private static void keep(Trace trace, TraceQuery query, PriorityQueue<Trace> kept) {
    if (kept.size() == query.limit() && LATEST_LAST.compare(trace, kept.peek()) <= 0) {
      return;   // older than every trace kept
    }
    if (trace.matches(query)) {
      kept.add(trace);
      if (kept.size() > query.limit()) {
        kept.poll();
      }
    }
  }

  /** Spans held. */
  public synchronized int spans() {
    return spanCount;
  }

  /** Traces held. */
  public synchronized int traces() {
    return traces.size();
  }

  /** One trace's spans and what its summary and queries need, kept up to date as spans arrive. */
  private static final class Trace {
    final String traceId;
    final List<Span> spans = new ArrayList<>(4);
    final Set<String> services = new HashSet<>(2);
    final Set<String> names = new HashSet<>(4);
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    boolean error;

    Trace(String traceId) {
      this.traceId = traceId;
    }

    void add(Span span) {
      spans.add(span);
      if (span.serviceName() != null) {
        services.add(span.serviceName());
      }
      if (span.remoteServiceName() != null) {
        services.add(span.remoteServiceName());
      }
      if (span.name() != null) {
        names.add(span.name().toLowerCase(Locale.ROOT));
      }
      if (span.timestamp() != 0) {
        start = Math.min(start, span.timestamp());
        end = Math.max(end, span.end());
      }
      error |= span.error();
    }

    long start() {
      return start == Long.MAX_VALUE ? 0 : start;
    }

    long duration() {
      return start == Long.MAX_VALUE ? 0 : end - start;
    }

    boolean matches(TraceQuery q) {
      if (q.spanName() != null && !names.contains(q.spanName().toLowerCase(Locale.ROOT))) {
        return false;
      }
      if (q.minDuration() > 0 && duration() < q.minDuration()) {
        return false;
      }
      if (q.maxDuration() > 0 && duration() > q.maxDuration()) {
        return false;
      }
      long startMs = start() / 1000;
      if (q.endTs() > 0 && startMs > q.endTs()) {
        return false;
      }
      return q.lookback() <= 0 || startMs >= q.endTs() - q.lookback();
    }

    TraceSummary summary() {
      Span root = TraceTree.root(spans);
      return new TraceSummary(traceId, root.serviceName(), root.name(), start(), duration(), spans.size(),
          List.copyOf(new TreeSet<>(services)), error);
    }
  }
}
