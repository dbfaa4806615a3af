package io.meridian.bench;

import io.meridian.telemetry.impl.trace.Span;
import io.meridian.telemetry.impl.trace.TraceQuery;
import io.meridian.telemetry.impl.trace.TraceStore;
import io.meridian.telemetry.impl.trace.TraceTree;
import io.meridian.telemetry.impl.trace.ZipkinJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Benchmark behind {@code scripts/bench/traces}: the trace store's cost with gateway-shaped spans
 * (a server span and a client span per trace, the tags the gateway's tracing plugin writes):
 * intake rate (decode a 512-span Zipkin JSON batch + add), heap per stored span at the default
 * bound, query and tree latency on a full store.
 */
public final class TraceBench {

  public static void main(String[] args) {
    int maxSpans = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int services = 50;
    List<Buffer> batches = new java.util.ArrayList<>();
    for (int b = 0; b < 64; b++) {
      batches.add(batch(b, 256, services));
    }
    // warm up, then measure intake on a store the size of the default bound
    TraceStore warm = new TraceStore(maxSpans);
    for (int i = 0; i < 400; i++) {
      warm.add(ZipkinJson.decode(batches.get(i % batches.size())));
    }
    warm = null;
    long before = usedHeap();
    TraceStore store = new TraceStore(maxSpans);
    long start = System.nanoTime();
    long spans = 0;
    int rounds = Math.max(1, 2 * maxSpans / 512);
    for (int i = 0; i < rounds; i++) {
      List<Span> decoded = ZipkinJson.decode(batches.get(i % batches.size()));
      store.add(renumber(decoded, i));
      spans += decoded.size();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long after = usedHeap();
    System.out.printf(Locale.ROOT, "| intake: decode 512-span JSON batch + add (store full, evicting) | %,.0f spans/s | %.1f µs per span |%n",
        spans / seconds, seconds * 1e6 / spans);
    System.out.printf(Locale.ROOT, "| heap held by the store at %,d spans (%,d traces) | %,.0f MB | %,.0f bytes per span |%n",
        store.spans(), store.traces(), (after - before) / 1e6, (double) (after - before) / store.spans());

    String[] queries = {"", "service=svc-7", "service=svc-7&minDuration=50ms", "spanName=get svc-3&limit=100"};
    for (String q : queries) {
      JsonObject params = new JsonObject();
      for (String kv : q.split("&")) {
        if (!kv.isEmpty()) {
          params.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
      }
      TraceQuery query = TraceQuery.parse(params, System.currentTimeMillis());
      for (int i = 0; i < 20; i++) {
        store.query(query);
      }
      int n = 50;
      long t = System.nanoTime();
      int found = 0;
      for (int i = 0; i < n; i++) {
        found = store.query(query).size();
      }
      System.out.printf(Locale.ROOT, "| query `%s` (%d found) | %.2f ms | |%n", q.isEmpty() ? "(all, limit 10)" : q, found,
          (System.nanoTime() - t) / 1e6 / n);
    }
    String someTrace = store.query(TraceQuery.parse(new JsonObject(), 0)).get(0).traceId();
    List<Span> trace = store.trace(someTrace);
    long t = System.nanoTime();
    for (int i = 0; i < 10_000; i++) {
      TraceTree.toJson(someTrace, trace).encode();
    }
    System.out.printf(Locale.ROOT, "| one 2-span trace as a tree, encoded | %.1f µs | |%n", (System.nanoTime() - t) / 1e3 / 10_000);
  }

  /** {@code traces} gateway-shaped traces (server + client span) as one Zipkin JSON batch. */
  static Buffer batch(int b, int traces, int services) {
    JsonArray batch = new JsonArray();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int i = 0; i < traces; i++) {
      String traceId = String.format("%016x%016x", b + 1, i + 1);
      String service = "svc-" + r.nextInt(services);
      long ts = 1_764_180_000_000_000L + (long) b * 1_000_000 + i * 1000L;
      long duration = r.nextLong(100, 200_000);
      String server = String.format("%016x", r.nextLong(1, Long.MAX_VALUE));
      batch.add(new JsonObject().put("traceId", traceId).put("id", server).put("kind", "SERVER")
          .put("name", "get " + service).put("timestamp", ts).put("duration", duration)
          .put("localEndpoint", new JsonObject().put("serviceName", "meridian-gateway"))
          .put("tags", new JsonObject().put("http.request.method", "GET").put("url.path", "/api/" + service + "/items/" + i)
              .put("http.response.status_code", "200").put("meridian.tenant", "default").put("meridian.service", service)
              .put("meridian.version", "v1").put("meridian.route", service + "-route")));
      batch.add(new JsonObject().put("traceId", traceId).put("id", String.format("%016x", r.nextLong(1, Long.MAX_VALUE)))
          .put("parentId", server).put("kind", "CLIENT").put("name", "upstream 10.0.0." + (i % 250) + ":8080")
          .put("timestamp", ts + 50).put("duration", duration - 100)
          .put("localEndpoint", new JsonObject().put("serviceName", service))
          .put("remoteEndpoint", new JsonObject().put("ipv4", "10.0.0." + (i % 250)).put("port", 8080))
          .put("tags", new JsonObject().put("server.address", "10.0.0." + (i % 250) + ":8080").put("meridian.attempt", "1")
              .put("http.response.status_code", "200")));
    }
    return batch.toBuffer();
  }

  /** The same spans under trace ids unique to round {@code round} (so the store keeps growing, then evicts). */
  private static List<Span> renumber(List<Span> spans, int round) {
    String prefix = String.format("%08x", round);
    return spans.stream().map(s -> new Span(prefix + s.traceId().substring(8), s.id(), s.parentId(), s.name(), s.kind(),
        s.timestamp(), s.duration(), s.localEndpoint(), s.remoteEndpoint(), s.tags(), s.annotations(), s.shared(),
        s.debug())).toList();
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
