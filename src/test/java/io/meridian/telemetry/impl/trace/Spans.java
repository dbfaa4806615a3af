package io.meridian.telemetry.impl.trace;

import java.util.List;
import java.util.Map;

/** Spans for tests. */
final class Spans {

  static final long T0 = 1_700_000_000_000_000L;

  /** A span of {@code service} starting {@code offset} µs after {@link #T0}. */
  static Span span(String traceId, String id, String parentId, String service, String name, long offset, long duration) {
    return new Span(traceId, id, parentId, name, null, T0 + offset, duration,
        service == null ? null : new Span.Endpoint(service, null, null, 0), null, Map.of(), List.of(), false, false);
  }

  static Span withKind(Span s, Span.Kind kind, boolean shared) {
    return new Span(s.traceId(), s.id(), s.parentId(), s.name(), kind, s.timestamp(), s.duration(), s.localEndpoint(),
        s.remoteEndpoint(), s.tags(), s.annotations(), shared, s.debug());
  }

  static Span withTags(Span s, Map<String, String> tags) {
    return new Span(s.traceId(), s.id(), s.parentId(), s.name(), s.kind(), s.timestamp(), s.duration(), s.localEndpoint(),
        s.remoteEndpoint(), tags, s.annotations(), s.shared(), s.debug());
  }

  /** A 32-hex trace id ending in {@code n}. */
  static String trace(int n) {
    return String.format("4bf92f3577b34da6%016x", n);
  }

  /** A 16-hex span id ending in {@code n}. */
  static String id(int n) {
    return String.format("%016x", n + 1);
  }

  private Spans() {
  }
}
