package io.meridian.telemetry.impl.scrape;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meridian.common.config.ScrapeOptions;
import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.meridian.telemetry.impl.series.Sample;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Target labels on scraped samples (honor_labels=false) and the targets derived from registry, config and members. */
class EnrichmentTest {

  /** Verifies that target labels win and a clashing scraped label becomes exported_<name>, repeatedly if needed, empty ones dropped. */
  @Test
  void targetLabelsWinAndScrapedOnesAreExported() {
    Enrichment e = new Enrichment(LabelMap.of(Map.of("service", "orders", "instance", "orders-1", "exported_job", "x", "job", "j")),
        new NameCache());
    Sample s = e.sample("requests_total", new String[] {"service", "upstream", "code", "200", "job", "scraped", "empty", ""}, 4, 5);
    assertEquals(Map.of("service", "orders", "instance", "orders-1", "exported_job", "x", "job", "j",
        "exported_service", "upstream", "code", "200", "exported_exported_job", "scraped"), s.labels());
    assertEquals(5, s.value());
    assertEquals(List.of("code", "exported_exported_job", "exported_job", "exported_service", "instance", "job", "service"),
        List.copyOf(s.labels().keySet()), "labels are sorted by name");
    assertEquals(Map.of("service", "orders", "instance", "orders-1", "exported_job", "x", "job", "j").hashCode(), e.targetSample("up", 1)
        .labels().hashCode());
  }

  /** Verifies that each binding with metrics on an instance with an address on the plane is a target with the registry's labels. */
  @Test
  void registryBindingsWithMetricsOnThePlaneAreTargets() {
    Instance withMetrics = Instance.fromJson(new JsonObject("""
        {"id": "orders-7f9c", "tenant": "shop", "kind": "mesh", "labels": {"zone": "a"},
         "endpoints": [{"plane": "data", "address": "10.1.0.5"}, {"plane": "mgmt", "address": "fd00::5"}],
         "services": [{"name": "orders", "version": "v2", "port": 8080, "planes": ["data"], "metrics": {"path": "/metrics", "port": 9102}},
                      {"name": "orders-admin", "version": "", "port": 9090, "planes": ["mgmt"], "metrics": {"path": "stats", "port": 9901}},
                      {"name": "orders-grpc", "version": "v2", "port": 8081, "planes": ["data"]}]}"""));
    Instance dataOnly = Instance.fromJson(new JsonObject("""
        {"id": "pay-1", "tenant": "shop", "kind": "shared", "endpoints": [{"plane": "data", "address": "10.1.0.6"}],
         "services": [{"name": "pay", "port": 8080, "metrics": {"path": "/metrics", "port": 8080}}]}"""));
    List<ScrapeTarget> targets = TargetSources.registry(List.of(withMetrics, dataOnly), "mgmt");
    assertEquals(2, targets.size(), targets.toString());
    assertEquals(new ScrapeTarget("registry/shop/orders-7f9c/orders", "registry", "http://[fd00::5]:9102/metrics",
        Map.of("tenant", "shop", "service", "orders", "version", "v2", "instance", "orders-7f9c", "plane", "mgmt", "kind", "mesh")),
        targets.get(0));
    assertEquals("http://[fd00::5]:9901/stats", targets.get(1).url());
    assertEquals(null, targets.get(1).labels().get("version"), "an unversioned binding has no version label");
    assertEquals(3, TargetSources.registry(List.of(withMetrics, dataOnly), "data").size());
  }

  /** Verifies static targets get job and instance unless configured, and nodes job=meridian and meridian_node. */
  @Test
  void staticAndNodeTargets() {
    List<ScrapeTarget> statics = TargetSources.statics(List.of(
        new ScrapeOptions.Target("envoy-edge", "http://127.0.0.1:9901/stats/prometheus", Map.of("service", "edge")),
        new ScrapeOptions.Target("app", "https://app.example/metrics", Map.of("job", "mine"))));
    assertEquals(Map.of("job", "envoy-edge", "instance", "127.0.0.1:9901", "service", "edge"), statics.get(0).labels());
    assertEquals(Map.of("job", "mine", "instance", "app.example:443"), statics.get(1).labels());
    assertEquals("static/envoy-edge", statics.get(0).key());
    ScrapeTarget node = TargetSources.nodes(List.of("n1")).get(0);
    assertEquals(new ScrapeTarget("node/n1", "node", "meridian.node.n1.metrics", Map.of("job", "meridian", "meridian_node", "n1")), node);
  }
}
