package io.meridian.common.config;

import io.vertx.core.json.JsonObject;

/**
 * The rules role ({@code rules.*}).
 *
 * @param maxDocumentSize   largest single rule document (larger → 400 naming the document)
 * @param maxDocuments      most documents in one apply
 * @param historyPerRule    revisions kept per rule (older ones are dropped)
 * @param eventsRetained    change events kept for consumers catching up
 */
public record RulesOptions(long maxDocumentSize, int maxDocuments, int historyPerRule, int eventsRetained) {

  static RulesOptions read(ConfigReader r) {
    return new RulesOptions(
        r.size("maxDocumentSize", 256 * 1024, 1024, 16L << 20),
        r.intValue("maxDocuments", 500, 1, 100_000),
        r.intValue("historyPerRule", 100, 2, 100_000),
        r.intValue("eventsRetained", 10_000, 100, 10_000_000));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("maxDocumentSize", maxDocumentSize)
        .put("maxDocuments", maxDocuments)
        .put("historyPerRule", historyPerRule)
        .put("eventsRetained", eventsRetained);
  }

  /** Reads the JSON form (as the role receives its section). */
  public static RulesOptions fromJson(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    RulesOptions options = read(r);
    r.requireKnownKeys();
    return options;
  }
}
