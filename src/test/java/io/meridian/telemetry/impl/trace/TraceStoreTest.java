package io.meridian.telemetry.impl.trace;

import static io.meridian.telemetry.impl.trace.Spans.id;
import static io.meridian.telemetry.impl.trace.Spans.span;
import static io.meridian.telemetry.impl.trace.Spans.trace;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bounded trace store: eviction of whole traces and queries. */
class TraceStoreTest {

  /** Trace {@code n}: a root of {@code service} and {@code children} children, lasting {@code durationMs}. */
  static List<Span> traceOf(int n, String service, int children, long startMs, long durationMs) {
    List<Span> spans = new ArrayList<>();
    spans.add(span(trace(n), id(0), null, service, "root " + n, startMs * 1000, durationMs * 1000));
    for (int c = 1; c <= children; c++) {
      spans.add(span(trace(n), id(c), id(0), "db", "query", startMs * 1000 + c, 10));
    }
    return spans;
  }

  private static List<String> ids(List<TraceSummary> list) {
    return list.stream().map(TraceSummary::traceId).toList();
  }

  private static TraceQuery query(String... kv) {
    JsonObject params = new JsonObject();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      params.put(kv[i], kv[i + 1]);
    }
    return TraceQuery.parse(params, Spans.T0 / 1000 + 1_000_000);
  }

  @Test
  void verifiesThatTheOldestWholeTracesAreEvictedWhenTheSpanBoundIsPassed() {
    TraceStore store = new TraceStore(10);
    store.add(traceOf(1, "a", 3, 0, 5));   // 4 spans
    store.add(traceOf(2, "b", 3, 1, 5));   // 8
    assertThat(store.spans()).isEqualTo(8);
    TraceStore.Added added = store.add(traceOf(3, "c", 2, 2, 5)); // 11 → trace 1 goes
    assertThat(added).isEqualTo(new TraceStore.Added(3, 4, 1));
    assertThat(store.trace(trace(1))).isNull();
    assertThat(store.trace(trace(2))).hasSize(4);
    assertThat(store.spans()).isEqualTo(7);
    assertThat(store.traces()).isEqualTo(2);
    // the service index forgot the evicted trace, and "a" has no traces left
    assertThat(store.query(query("service", "a"))).isEmpty();
    assertThat(ids(store.query(query("service", "db")))).containsExactly(trace(3), trace(2));
  }

  @Test
  void verifiesThatSpansArrivingLaterJoinTheirTraceAndEvictionFollowsFirstArrival() {
    TraceStore store = new TraceStore(6);
    store.add(traceOf(1, "a", 1, 0, 5));
    store.add(traceOf(2, "b", 1, 1, 5));
    store.add(List.of(span(trace(1), id(9), id(0), "late", "late", 3, 1)));  // trace 1 now 3 spans
    assertThat(store.trace(trace(1))).hasSize(3);
    store.add(traceOf(3, "c", 0, 2, 5)); // 6 spans: fits
    assertThat(store.traces()).isEqualTo(3);
    store.add(traceOf(4, "d", 0, 3, 5)); // 7 → trace 1 (first to arrive) goes, with its late span
    assertThat(store.trace(trace(1))).isNull();
    assertThat(store.spans()).isEqualTo(4);
    assertThat(store.query(query("service", "late"))).isEmpty();
  }

  @Test
  void verifiesThatQueriesFilterByServiceNameDurationAndTimeAndListTheLatestFirst() {
    TraceStore store = new TraceStore(1000);
    store.add(traceOf(1, "Frontend", 1, 0, 5));
    store.add(traceOf(2, "frontend", 1, 1000, 300));
    store.add(traceOf(3, "batch", 0, 2000, 50));
    store.add(List.of(Spans.withTags(span(trace(4), id(0), null, "frontend", "GET /x", 3_000_000, 20_000),
        Map.of("error", "500"))));

    assertThat(ids(store.query(query()))).containsExactly(trace(4), trace(3), trace(2), trace(1));
    assertThat(ids(store.query(query("service", "FRONTEND")))).containsExactly(trace(4), trace(2), trace(1));
    assertThat(ids(store.query(query("service", "frontend", "minDuration", "100ms")))).containsExactly(trace(2));
    assertThat(ids(store.query(query("minDuration", "40000", "maxDuration", "60ms")))).containsExactly(trace(3));
    assertThat(ids(store.query(query("spanName", "root 3")))).containsExactly(trace(3));
    assertThat(ids(store.query(query("limit", "2")))).containsExactly(trace(4), trace(3));
    long t0ms = Spans.T0 / 1000;
    assertThat(ids(store.query(query("endTs", String.valueOf(t0ms + 1500), "lookback", "1s"))))
        .containsExactly(trace(2));

    TraceSummary errored = store.query(query("service", "frontend", "limit", "1")).get(0);
    assertThat(errored).isEqualTo(new TraceSummary(trace(4), "frontend", "GET /x", Spans.T0 + 3_000_000, 20_000,
        1, List.of("frontend"), true));
    TraceSummary two = store.query(query("spanName", "root 2")).get(0);
    assertThat(two.rootName()).isEqualTo("root 2");
    assertThat(two.spanCount()).isEqualTo(2);
    assertThat(two.services()).containsExactly("db", "frontend");
    assertThat(two.error()).isFalse();
  }

  @Test
  void verifiesThatATraceIsFoundByTheServiceItsClientSpanCalledAndThatEvictionForgetsThatName() {
    TraceStore store = new TraceStore(2);
    Span client = span(trace(1), id(1), id(0), "gateway", "upstream 10.0.0.7:8080", 10, 100);
    client = new Span(client.traceId(), client.id(), client.parentId(), client.name(), Span.Kind.CLIENT, client.timestamp(),
        client.duration(), client.localEndpoint(), new Span.Endpoint("ledger", "10.0.0.7", null, 8080), Map.of(), List.of(),
        false, false);
    store.add(List.of(span(trace(1), id(0), null, "gateway", "GET ledger", 0, 200), client));

    assertThat(ids(store.query(query("service", "ledger")))).containsExactly(trace(1));
    assertThat(ids(store.query(query("service", "gateway")))).containsExactly(trace(1));
    assertThat(store.query(query("service", "ledger")).get(0).services()).containsExactly("gateway", "ledger");

    store.add(traceOf(2, "other", 1, 1000, 5)); // 4 spans > 2: trace 1 goes
    assertThat(store.query(query("service", "ledger"))).isEmpty();
  }
}
