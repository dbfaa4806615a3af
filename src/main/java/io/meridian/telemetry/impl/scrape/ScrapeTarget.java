package io.meridian.telemetry.impl.scrape;

import java.util.Map;

/**
 * One thing the scraper scrapes: a stable key (what the series store files its series under), where
 * it comes from, the URL (or, for a node, its bus address) and the labels added to every sample.
 *
 * @param key    {@code registry/<tenant>/<instance>/<service>}, {@code static/<name>} or {@code node/<id>}
 * @param kind   {@link #REGISTRY}, {@link #STATIC} or {@link #NODE}
 * @param url    {@code http(s)://…} for HTTP targets, the bus address for node targets
 * @param labels added to every sample of the target (sorted)
 */
record ScrapeTarget(String key, String kind, String url, LabelMap labels) {

  static final String REGISTRY = "registry";
  static final String STATIC = "static";
  static final String NODE = "node";

  ScrapeTarget(String key, String kind, String url, Map<String, String> labels) {
    this(key, kind, url, LabelMap.of(labels));
  }

  boolean overBus() {
    return kind.equals(NODE);
  }
}
