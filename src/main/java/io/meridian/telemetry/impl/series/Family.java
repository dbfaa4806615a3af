package io.meridian.telemetry.impl.series;

/**
 * A metric family's metadata from a scrape: its name, type ({@code counter}, {@code gauge},
 * {@code histogram}, {@code summary}, {@code untyped}; OpenMetrics types mapped onto these) and help.
 */
public record Family(String name, String type, String help) {
}
