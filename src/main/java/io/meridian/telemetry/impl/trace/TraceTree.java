package io.meridian.telemetry.impl.trace;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A trace's spans as a tree ({@code GET /api/v1/traces/{traceId}}): a span hangs under the span
 * its {@code parentId} names; the server half of a shared span (same id as its client, Zipkin's
 * B3 style) hangs under the client half and the children of that id hang under the server half;
 * spans whose parent never arrived, and any cycle, become roots. Siblings are ordered by start;
 * nesting stops at {@value #MAX_DEPTH} levels.
 * Every node carries its start offset from the trace's start and its duration, in µs and in ms.
 */
public final class TraceTree {

  /** Nesting stops here (the deeper spans are still in the flat list); a node cut there says {@code "truncated": true}. */
  static final int MAX_DEPTH = 256;

  private static final Comparator<Span> BY_START = Comparator
      .comparingLong((Span s) -> s.timestamp() == 0 ? Long.MAX_VALUE : s.timestamp())
      .thenComparing(s -> s.shared() ? 1 : 0)
      .thenComparing(Span::id);

  /** The trace document: summary fields, {@code roots} (nested {@code children}) and the flat {@code spans}. */
  public static JsonObject toJson(String traceId, List<Span> spans) {
    List<Span> sorted = new ArrayList<>(spans);
    sorted.sort(BY_START);
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    boolean error = false;
    Set<String> services = new TreeSet<>();
    for (Span s : sorted) {
      if (s.timestamp() != 0) {
        start = Math.min(start, s.timestamp());
        end = Math.max(end, s.end());
      }
      error |= s.error();
      if (s.serviceName() != null) {
        services.add(s.serviceName());
      }
    }
    long traceStart = start == Long.MAX_VALUE ? 0 : start;
    Map<Span, List<Span>> children = new IdentityHashMap<>();
    List<Span> roots = link(sorted, children);
    JsonArray tree = new JsonArray();
    for (Span root : roots) {
      tree.add(node(root, children, traceStart, 0));
    }
    JsonArray flat = new JsonArray();
    for (Span s : sorted) {
      flat.add(timed(s, traceStart));
    }
    long duration = start == Long.MAX_VALUE ? 0 : end - start;
    return new JsonObject()
        .put("traceId", traceId)
        .put("start", traceStart)
        .put("duration", duration)
        .put("durationMs", duration / 1000.0)
        .put("spanCount", spans.size())
        .put("services", new JsonArray(new ArrayList<>(services)))
        .put("error", error)
        .put("roots", tree)
        .put("spans", flat);
  }

  /** The span a summary names the trace after: the earliest span without a parent, else the earliest span. */
  static Span root(List<Span> spans) {
    Span best = null;
    Span bestRoot = null;
    for (Span s : spans) {
      if (best == null || BY_START.compare(s, best) < 0) {
        best = s;
      }
      if (s.parentId() == null && (bestRoot == null || BY_START.compare(s, bestRoot) < 0)) {
        bestRoot = s;
      }
    }
    return bestRoot != null ? bestRoot : best;
  }

  /** Fills {@code children} and returns the roots, both in start order. */
  static List<Span> link(List<Span> sorted, Map<Span, List<Span>> children) {
    Map<String, Span> clientHalf = new HashMap<>();
    Map<String, Span> parentFor = new HashMap<>();
    for (Span s : sorted) {
      if (!s.shared()) {
        clientHalf.putIfAbsent(s.id(), s);
        parentFor.putIfAbsent(s.id(), s);
      }
    }
    for (Span s : sorted) {
      if (s.shared()) {
        parentFor.putIfAbsent(s.id() + "/shared", s);
      }
    }
    Map<Span, Span> parent = new IdentityHashMap<>();
    for (Span s : sorted) {
      Span p;
      if (s.shared() && clientHalf.containsKey(s.id())) {
        p = clientHalf.get(s.id());
      } else if (s.parentId() == null) {
        p = null;
      } else {
        // children of a shared id belong under its server half
        p = parentFor.getOrDefault(s.parentId() + "/shared", parentFor.get(s.parentId()));
      }
      if (p != null && p != s) {
        parent.put(s, p);
      }
    }
    for (Span s : sorted) {
      Span p = parent.get(s);
      if (p != null) {
        children.computeIfAbsent(p, k -> new ArrayList<>()).add(s);
      }
    }
    // roots: spans without a parent; then any span left unreached sits in a cycle: cut it there
    List<Span> roots = new ArrayList<>();
    Set<Span> reached = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (Span s : sorted) {
      if (!parent.containsKey(s)) {
        roots.add(s);
        reach(s, children, reached);
      }
    }
    for (Span s : sorted) {
      if (!reached.contains(s)) {
        children.get(parent.remove(s)).remove(s);
        roots.add(s);
        reach(s, children, reached);
      }
    }
    roots.sort(BY_START);
    return roots;
  }

  private static void reach(Span from, Map<Span, List<Span>> children, Set<Span> reached) {
    java.util.ArrayDeque<Span> pending = new java.util.ArrayDeque<>();
    pending.push(from);
    while (!pending.isEmpty()) {
      Span s = pending.pop();
      if (reached.add(s)) {
        children.getOrDefault(s, List.of()).forEach(pending::push);
      }
    }
  }

  private static JsonObject node(Span span, Map<Span, List<Span>> children, long traceStart, int depth) {
    JsonObject json = timed(span, traceStart).put("depth", depth);
    JsonArray kids = new JsonArray();
    List<Span> below = children.getOrDefault(span, List.of());
    if (depth + 1 >= MAX_DEPTH && !below.isEmpty()) {
      return json.put("children", kids).put("truncated", true);
    }
    for (Span child : below) {
      kids.add(node(child, children, traceStart, depth + 1));
    }
    return json.put("children", kids);
  }

  private static JsonObject timed(Span span, long traceStart) {
    JsonObject json = span.toJson();
    if (span.timestamp() != 0) {
      long offset = span.timestamp() - traceStart;
      json.put("startOffset", offset).put("startOffsetMs", offset / 1000.0);
    }
    json.put("durationMs", span.duration() / 1000.0);
    return json;
  }

  private TraceTree() {
  }
}
