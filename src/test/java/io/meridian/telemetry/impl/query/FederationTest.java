package io.meridian.telemetry.impl.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.telemetry.impl.series.FederationPage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FederationTest {

  static Map<String, String> labels(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  /** Verifies the text format 0.0.4: one TYPE line per family, escaped label values, special values, timestamps. */
  @Test
  void rendersTextFormatWithTypesAndTimestamps() {
    FederationPage page = new FederationPage(List.of(
        new FederationPage.Entry("h", "histogram", "h_bucket", labels("le", "0.5", "path", "a\"b\\c\nd"), 1000, 3),
        new FederationPage.Entry("h", "histogram", "h_bucket", labels("le", "+Inf"), 1000, Double.POSITIVE_INFINITY),
        new FederationPage.Entry("h", "histogram", "h_count", labels(), 1000, 4),
        new FederationPage.Entry("up", "gauge", "up", labels("job", "x"), 2000, 1.5),
        new FederationPage.Entry("z", "untyped", "z", labels(), 3000, Double.NaN),
        new FederationPage.Entry("z2", "untyped", "z2", labels(), 3000, Double.NEGATIVE_INFINITY),
        new FederationPage.Entry("z3", "counter", "z3", labels(), 3000, 1e20)), null, null);
    assertThat(Federation.render(page)).isEqualTo("""
        # TYPE h histogram
        h_bucket{le="0.5",path="a\\"b\\\\c\\nd"} 3 1000
        h_bucket{le="+Inf"} +Inf 1000
        h_count 4 1000
        # TYPE up gauge
        up{job="x"} 1.5 2000
        # TYPE z untyped
        z NaN 3000
        # TYPE z2 untyped
        z2 -Inf 3000
        # TYPE z3 counter
        z3 1.0E20 3000
        """);
  }

  /** Verifies that a page continuing a family from the previous page does not repeat its TYPE line. */
  @Test
  void continuedFamilyHasNoSecondTypeLine() {
    FederationPage page = new FederationPage(List.of(
        new FederationPage.Entry("h", "histogram", "h_sum", labels(), 1000, 2),
        new FederationPage.Entry("k", "counter", "k", labels(), 1000, 2)), null, new FederationPage.Cursor("h", "h_bucket", 7));
    assertThat(Federation.render(page)).isEqualTo("h_sum 2 1000\n# TYPE k counter\nk 2 1000\n");
  }
}
