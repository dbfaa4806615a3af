package io.meridian.telemetry.impl.series;

import java.util.Map;

/**
 * One sample of one scrape, as exposed (e.g. {@code http_requests_total} or
 * {@code http_duration_seconds_bucket} with its {@code le}), its labels already enriched with the
 * target's registry attributes.
 */
public record Sample(String name, Map<String, String> labels, double value) {
}
