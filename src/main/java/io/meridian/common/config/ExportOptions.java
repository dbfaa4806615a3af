package io.meridian.common.config;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/**
 * Span export from the telemetry role ({@code telemetry.export}): to Zipkin v2 endpoints and to
 * an OTLP collector, batched, retried, through a bounded queue (spans beyond it are dropped and
 * counted; export never blocks intake).
 *
 * @param zipkin       Zipkin v2 span endpoints ({@code http://host:9411/api/v2/spans}); empty: none
 * @param otlp         an OTLP endpoint ({@code http://host:4318/v1/traces} for HTTP, {@code http://host:4317} for gRPC), or null
 * @param otlpProtocol {@code http/protobuf} or {@code grpc}
 * @param batchSize    spans per export request at most
 * @param queueSize    spans waiting per exporter at most
 * @param retries      attempts after the first for a failed batch (with backoff)
 * @param timeout      per-request timeout
 */
public record ExportOptions(List<String> zipkin, String otlp, String otlpProtocol, int batchSize, int queueSize,
    int retries, Duration timeout) {

  public ExportOptions {
    zipkin = List.copyOf(zipkin);
  }

  static ExportOptions read(ConfigReader r) {
    List<String> zipkin = r.stringList("zipkin", List.of());
    for (int i = 0; i < zipkin.size(); i++) {
      String url = zipkin.get(i);
      if (!(url.startsWith("http://") || url.startsWith("https://"))) {
        throw new ConfigException(r.path("zipkin") + "[" + i + "]", "an http:// or https:// URL is required, got '" + url + "'");
      }
    }
    String otlp = r.string("otlp", null);
    if (otlp != null && !(otlp.startsWith("http://") || otlp.startsWith("https://"))) {
      throw new ConfigException(r.path("otlp"), "an http:// or https:// URL is required, got '" + otlp + "'");
    }
    String protocol = r.choice("otlpProtocol", "http/protobuf", List.of("http/protobuf", "grpc"));
    return new ExportOptions(zipkin, otlp, protocol,
        r.intValue("batchSize", 512, 1, 100_000),
        r.intValue("queueSize", 20_000, 1, 10_000_000),
        r.intValue("retries", 3, 0, 100),
        r.duration("timeout", Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofMinutes(5)));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("zipkin", new io.vertx.core.json.JsonArray(zipkin))
        .put("otlp", otlp)
        .put("otlpProtocol", otlpProtocol)
        .put("batchSize", batchSize)
        .put("queueSize", queueSize)
        .put("retries", retries)
        .put("timeout", io.meridian.common.units.Durations.format(timeout));
  }
}
