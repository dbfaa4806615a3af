package io.meridian.common.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The telemetry role's scraper ({@code telemetry.scrape}, docs/telemetry.md): every service
 * binding that declares metrics on {@link #plane()}, every Meridian node of the cluster (its own
 * meters, over the bus) and the {@link #targets()} listed here.
 *
 * @param enabled     whether the scraper runs at all
 * @param interval    time between two scrapes of one target (each target has its own phase: first
 *                    scrapes are spread over one interval, and every scrape is jittered)
 * @param timeout     per-target timeout (connect + full body)
 * @param concurrency scrapes in flight at once
 * @param maxBodySize a target answering more is cut off and marked down with an error
 * @param plane       the network plane the scraper reaches targets on (an endpoint on this plane is used)
 * @param nodes       whether every Meridian node's own meters are scraped (over the event bus)
 * @param targets     static targets (Envoy admin {@code /stats/prometheus}, applications)
 */
public record ScrapeOptions(boolean enabled, Duration interval, Duration timeout, int concurrency, long maxBodySize,
    String plane, boolean nodes, List<Target> targets) {

  /** A static target: a name, the URL scraped, labels added to every series. */
  public record Target(String name, String url, Map<String, String> labels) {
    public Target {
      labels = Map.copyOf(labels);
    }

    public JsonObject toJson() {
      JsonObject l = new JsonObject();
      labels.forEach(l::put);
      return new JsonObject().put("name", name).put("url", url).put("labels", l);
    }
  }

  public ScrapeOptions {
    targets = List.copyOf(targets);
  }

  static ScrapeOptions read(ConfigReader r) {
    boolean enabled = r.bool("enabled", true);
    Duration interval = r.duration("interval", Duration.ofSeconds(15), Duration.ofMillis(100), Duration.ofHours(1));
    Duration timeout = r.duration("timeout", Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofMinutes(5));
    int concurrency = r.intValue("concurrency", 32, 1, 4096);
    long maxBodySize = r.size("maxBodySize", 8L * 1024 * 1024, 1024, 1024L * 1024 * 1024);
    String plane = r.string("plane", "default");
    if (!RegistryOptions.LABEL.matcher(plane).matches()) {
      throw new ConfigException(r.path("plane"), "not a plane name: '" + plane + "'");
    }
    boolean nodes = r.bool("nodes", true);
    List<Target> targets = r.list("targets", t -> {
      String name = t.string("name", null);
      String url = t.string("url", null);
      JsonObject labels = t.object("labels");
      if (name == null || name.isBlank()) {
        throw new ConfigException(t.path("name"), "a target name is required");
      }
      if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
        throw new ConfigException(t.path("url"), "an http:// or https:// URL is required, got " + (url == null ? "nothing" : "'" + url + "'"));
      }
      java.util.Map<String, String> l = new java.util.LinkedHashMap<>();
      if (labels != null) {
        for (String k : labels.fieldNames()) {
          if (!k.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
            throw new ConfigException(t.path("labels") + "." + k, "not a Prometheus label name");
          }
          l.put(k, String.valueOf(labels.getValue(k)));
        }
      }
      return new Target(name, url, l);
    });
    return new ScrapeOptions(enabled, interval, timeout, concurrency, maxBodySize, plane, nodes, targets);
  }

  public JsonObject toJson() {
    JsonArray t = new JsonArray();
    targets.forEach(target -> t.add(target.toJson()));
    return new JsonObject()
        .put("enabled", enabled)
        .put("interval", io.meridian.common.units.Durations.format(interval))
        .put("timeout", io.meridian.common.units.Durations.format(timeout))
        .put("concurrency", concurrency)
        .put("maxBodySize", maxBodySize)
        .put("plane", plane)
        .put("nodes", nodes)
        .put("targets", t);
  }
}
