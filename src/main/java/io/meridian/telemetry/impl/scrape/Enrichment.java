package io.meridian.telemetry.impl.scrape;

import io.meridian.telemetry.impl.series.Sample;

/**
 * Adds a target's labels to the samples scraped from it, as Prometheus does with
 * {@code honor_labels: false}: the target's label wins, and a scraped label of the same name is
 * kept as {@code exported_<name>} (again prefixed while that name is taken too). Scraped labels
 * with an empty value are dropped (an empty label is an absent one).
 */
final class Enrichment {

  private final LabelMap target;
  private final NameCache names;

  Enrichment(LabelMap target, NameCache names) {
    this.target = target;
    this.names = names;
  }

  /** The sample with the target's labels and the {@code n} scraped label pairs in {@code pairs}. */
  Sample sample(String name, String[] pairs, int n, double value) {
    int t = target.count();
    String[] merged = new String[2 * (t + n)];
    int m = 0;
    for (int i = 0; i < t; i++) {
      merged[m++] = target.name(i);
      merged[m++] = target.valueAt(i);
    }
    for (int i = 0; i < n; i++) {
      String label = pairs[2 * i];
      String labelValue = pairs[2 * i + 1];
      if (labelValue.isEmpty()) {
        continue;
      }
      while (target.containsKey(label) || takenByScraped(label, pairs, n, i)) {
        label = exported(label);
      }
      merged[m++] = label;
      merged[m++] = labelValue;
    }
    return new Sample(name, LabelMap.sorted(merged, m), value);
  }

  /** Whether another scraped label (not the {@code self}th) is named {@code label}. */
  private static boolean takenByScraped(String label, String[] pairs, int n, int self) {
    if (!label.startsWith("exported_")) {
      return false; // the scraped names are unique: only a renamed label can meet another one
    }
    for (int i = 0; i < n; i++) {
      if (i != self && pairs[2 * i].equals(label)) {
        return true;
      }
    }
    return false;
  }

  private String exported(String label) {
    String renamed = "exported_" + label;
    byte[] bytes = renamed.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    return names.get(bytes, 0, bytes.length);
  }

  /** A sample carrying only the target's labels (the synthetic {@code up}, {@code scrape_*} series). */
  Sample targetSample(String name, double value) {
    return new Sample(name, target, value);
  }
}
