package io.meridian.telemetry.impl.series;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SeriesSelectorTest {

  static MemSeries.Key key(String name, String... labels) {
    return new MemSeries.Key(name, labels);
  }

  /** Verifies that the forms /federate documents parse into the matchers they say. */
  @Test
  void parsesNameLabelsAndAllOperators() {
    SeriesSelector s = SeriesSelector.parse("metric{a=\"b\", c!=\"d\",e=~\"r.*\" , f!~'x|y'}");
    assertThat(s.matchers()).extracting(SeriesSelector.Matcher::label, SeriesSelector.Matcher::op, SeriesSelector.Matcher::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("__name__", SeriesSelector.Op.EQ, "metric"),
            org.assertj.core.groups.Tuple.tuple("a", SeriesSelector.Op.EQ, "b"),
            org.assertj.core.groups.Tuple.tuple("c", SeriesSelector.Op.NE, "d"),
            org.assertj.core.groups.Tuple.tuple("e", SeriesSelector.Op.RE, "r.*"),
            org.assertj.core.groups.Tuple.tuple("f", SeriesSelector.Op.NRE, "x|y"));
    assertThat(SeriesSelector.parse("up").matchers()).hasSize(1);
    assertThat(SeriesSelector.parse("up{}").matchers()).hasSize(1);
    assertThat(SeriesSelector.parse("up{job=\"x\",}").matchers()).hasSize(2);
    assertThat(SeriesSelector.parse("{__name__=~\"meridian_.*\"}").matchers()).singleElement()
        .satisfies(m -> assertThat(m.op()).isEqualTo(SeriesSelector.Op.RE));
    assertThat(SeriesSelector.parse("ns:metric:rate5m{a=\"q\\\"uote\\\\\"}").matchers().get(1).value()).isEqualTo("q\"uote\\");
  }

  /** Verifies that matching follows Prometheus: anchored regexes, absent labels as "", name as __name__. */
  @Test
  void matchesLikePrometheus() {
    MemSeries.Key k = key("meridian_up", "job", "node", "zone", "z1");
    assertThat(SeriesSelector.parse("{__name__=~\"meridian_.*\"}").matches(k)).isTrue();
    assertThat(SeriesSelector.parse("{__name__=~\"meridian\"}").matches(k)).as("anchored").isFalse();
    assertThat(SeriesSelector.parse("meridian_up{job=\"node\"}").matches(k)).isTrue();
    assertThat(SeriesSelector.parse("meridian_up{job=\"other\"}").matches(k)).isFalse();
    assertThat(SeriesSelector.parse("meridian_up{missing=\"\"}").matches(k)).isTrue();
    assertThat(SeriesSelector.parse("meridian_up{missing!=\"\"}").matches(k)).isFalse();
    assertThat(SeriesSelector.parse("meridian_up{zone!~\"z[0-9]\"}").matches(k)).isFalse();
    assertThat(SeriesSelector.parse("meridian_up{zone=~\"z1|z2\",job!=\"x\"}").matches(k)).isTrue();
    assertThat(SeriesSelector.parse("other").nameMatches("meridian_up")).isFalse();
    assertThat(SeriesSelector.parse("{job=\"node\"}").nameMatches("anything")).isTrue();
  }

  /** Verifies that malformed selectors, and ones that would match every series, are refused with a reason. */
  @Test
  void refusesBadSelectors() {
    for (String bad : new String[] {"", "{}", "{a=~\".*\"}", "{a!=\"x\"}", "up{job=x}", "up{job=\"x\"", "up{=\"x\"}",
        "up{job==\"x\"}", "up{job=~\"(\"}", "up job", "9up", "up{job=\"x\" zone=\"y\"}", "up{__name__=\"up\"}"}) {
      assertThatThrownBy(() -> SeriesSelector.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageNotContaining("null");
    }
  }
}
