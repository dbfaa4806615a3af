package io.meridian.telemetry.impl.series;

import java.util.Map;

/** One series' samples in a time window, oldest first ({@code times} in epoch milliseconds). */
public record Series(String name, Map<String, String> labels, long[] times, double[] values) {
}
