package io.meridian.telemetry.impl.scrape;

import io.meridian.common.Addresses;
import io.meridian.common.config.ScrapeOptions;
import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.meridian.registry.ServiceBinding;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where targets come from (docs/telemetry.md, Scraper): pure functions from the registry's
 * instances, the configured static targets and the cluster's members to {@link ScrapeTarget}s.
 */
final class TargetSources {

  /**
   * One target per service binding that declares metrics {@code {path, port}}, on an instance with
   * an endpoint on {@code plane}: {@code http://<address on plane>:<metrics port><path>}, labelled
   * {@code tenant}, {@code service}, {@code version} (absent when unversioned), {@code instance}
   * (the instance id), {@code plane} and {@code kind}. Unhealthy instances are scraped too
   * ({@code up} says what the scrape found).
   */
  static List<ScrapeTarget> registry(Collection<Instance> instances, String plane) {
    List<ScrapeTarget> targets = new ArrayList<>();
    for (Instance instance : instances) {
      InstanceSpec spec = instance.spec();
      String address = spec.address(plane);
      if (address == null) {
        continue;
      }
      for (ServiceBinding binding : spec.services()) {
        if (binding.metricsPath() == null || binding.metricsPort() <= 0) {
          continue;
        }
        String host = address.indexOf(':') >= 0 && !address.startsWith("[") ? "[" + address + "]" : address;
        String path = binding.metricsPath().startsWith("/") ? binding.metricsPath() : "/" + binding.metricsPath();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("tenant", spec.tenant());
        labels.put("service", binding.name());
        labels.put("version", binding.version());
        labels.put("instance", spec.id());
        labels.put("plane", plane);
        labels.put("kind", spec.kind());
        targets.add(new ScrapeTarget(ScrapeTarget.REGISTRY + "/" + spec.tenant() + "/" + spec.id() + "/" + binding.name(),
            ScrapeTarget.REGISTRY, "http://" + host + ":" + binding.metricsPort() + path, labels));
      }
    }
    return targets;
  }

  /**
   * The configured targets: their labels, plus {@code job} = the target's name and
   * {@code instance} = the URL's {@code host:port}, unless the configuration sets those labels.
   */
  static List<ScrapeTarget> statics(List<ScrapeOptions.Target> configured) {
    List<ScrapeTarget> targets = new ArrayList<>();
    for (ScrapeOptions.Target t : configured) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("job", t.name());
      URI uri = URI.create(t.url());
      int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
      labels.put("instance", uri.getHost() + ":" + port);
      labels.putAll(t.labels());
      targets.add(new ScrapeTarget(ScrapeTarget.STATIC + "/" + t.name(), ScrapeTarget.STATIC, t.url(), labels));
    }
    return targets;
  }

  /** Every Meridian node, scraped over the bus at {@link Addresses#nodeMetrics}: {@code job=meridian}, {@code meridian_node=<id>}. */
  static List<ScrapeTarget> nodes(List<String> members) {
    List<ScrapeTarget> targets = new ArrayList<>();
    for (String id : members) {
      targets.add(new ScrapeTarget(ScrapeTarget.NODE + "/" + id, ScrapeTarget.NODE, Addresses.nodeMetrics(id),
          Map.of("job", "meridian", "meridian_node", id)));
    }
    return targets;
  }

  private TargetSources() {
  }
}
