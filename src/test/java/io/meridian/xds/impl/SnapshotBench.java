package io.meridian.xds.impl;

import com.google.protobuf.Message;
import io.meridian.registry.Instance;
import io.meridian.rules.Rule;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Benchmark behind {@code scripts/bench/xds} (first part): building a full snapshot for one
 * sidecar of 1,000 services × 10 endpoints (10,000 endpoints; 100 services with a
 * DestinationRule of two subsets and a 90/10 VirtualService) — translation, deterministic
 * serialization, per-resource hashes and the client-side checks, every type. Peer in the same
 * run: protobuf's plain serialization of the same resources (the floor of producing the bytes).
 */
public final class SnapshotBench {

  public static void main(String[] args) {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int endpoints = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Translator.Model model = model(services, endpoints);
    NodeInfo node = XdsFixtures.nodeInfo("default", "default", "sidecar");
    int warmup = 10;
    int runs = 30;
    long[] full = new long[runs];
    long[] translate = new long[runs];
    long[] floor = new long[runs];
    int resources = 0;
    for (int i = -warmup; i < runs; i++) {
      long t0 = System.nanoTime();
      Snapshot snapshot = new Snapshot(i + warmup + 1, model, t0);
      int count = 0;
      Snapshot.Prepared cds = snapshot.resources(node, TypeUrls.CLUSTER, null);
      count += cds.resources().size();
      count += snapshot.resources(node, TypeUrls.ENDPOINT, cds.resources().keySet()).resources().size();
      Snapshot.Prepared lds = snapshot.resources(node, TypeUrls.LISTENER, null);
      count += lds.resources().size();
      count += snapshot.resources(node, TypeUrls.ROUTE, Set.of("8080")).resources().size();
      long t1 = System.nanoTime();
      Map<String, Map<String, Message>> all = new Translator(model, node).all(List.of());
      long t2 = System.nanoTime();
      long bytes = 0;
      for (Map<String, Message> byName : all.values()) {
        for (Message m : byName.values()) {
          bytes += m.toByteArray().length;
        }
      }
      long t3 = System.nanoTime();
      if (i >= 0) {
        full[i] = t1 - t0;
        translate[i] = t2 - t1;
        floor[i] = t3 - t2;
        resources = count;
      }
      if (bytes == 0) {
        throw new IllegalStateException("nothing serialized");
      }
    }
    System.out.printf("| full snapshot for a sidecar, %,d services × %d endpoints (%,d resources) | translate + serialize + hash + check:"
        + " p50 %.1f ms, p99 **%.1f ms** (%d runs after %d warm-up) | translation alone p50 %.1f ms | peer: protobuf serialization of the"
        + " same resources p50 %.1f ms |%n", services, endpoints, resources, pct(full, 50), pct(full, 99), runs, warmup,
        pct(translate, 50), pct(floor, 50));
  }

  static Translator.Model model(int services, int endpoints) {
    List<Instance> instances = new ArrayList<>();
    List<Rule> rules = new ArrayList<>();
    for (int s = 0; s < services; s++) {
      for (int n = 0; n < endpoints; n++) {
        instances.add(XdsFixtures.instance(new JsonObject().put("id", "svc-" + s + "-" + n).put("tenant", "default").put("kind", "mesh")
            .put("labels", new JsonObject().put("zone", "z" + (n % 3)))
            .put("endpoints", new JsonArray().add(new JsonObject().put("plane", "default")
                .put("address", "10." + (s / 250) + "." + (s % 250) + "." + (n + 1))))
            .put("services", new JsonArray().add(new JsonObject().put("name", "svc-" + s).put("version", "v" + (n % 2 + 1))
                .put("port", 8080).put("protocol", "http").put("planes", new JsonArray().add("default"))))));
      }
      if (s % 10 == 0) {
        rules.add(XdsFixtures.rule(new JsonObject().put("apiVersion", "networking.istio.io/v1").put("kind", "DestinationRule")
            .put("metadata", new JsonObject().put("name", "svc-" + s))
            .put("spec", new JsonObject().put("host", "svc-" + s).put("subsets", new JsonArray()
                .add(new JsonObject().put("name", "v1").put("labels", new JsonObject().put("version", "v1")))
                .add(new JsonObject().put("name", "v2").put("labels", new JsonObject().put("version", "v2")))))));
        rules.add(XdsFixtures.rule(new JsonObject().put("apiVersion", "networking.istio.io/v1").put("kind", "VirtualService")
            .put("metadata", new JsonObject().put("name", "svc-" + s))
            .put("spec", new JsonObject().put("hosts", new JsonArray().add("svc-" + s)).put("http", new JsonArray().add(
                new JsonObject().put("route", new JsonArray()
                    .add(new JsonObject().put("destination", new JsonObject().put("host", "svc-" + s).put("subset", "v1")).put("weight", 90))
                    .add(new JsonObject().put("destination", new JsonObject().put("host", "svc-" + s).put("subset", "v2")).put("weight", 10))))))));
      }
    }
    return new Translator.Model(instances, rules);
  }

  static double pct(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  private SnapshotBench() {
  }
}
