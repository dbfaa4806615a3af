/**
 * The telemetry room's public surface: its bus API ({@link io.meridian.telemetry.TelemetryClient})
 * and REST adapter ({@link io.meridian.telemetry.TelemetryHttpApi}). The scraper, the time-series
 * window, the span intake, the trace store and the exporters live in
 * {@code io.meridian.telemetry.impl}.
 */
package io.meridian.telemetry;
