package io.meridian.common.units;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsAndSizesTest {

  @Test
  void parsesIstioStyleDurations() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
  }

  @Test
  void refusesDurationsWithoutUnitsOrWithJunk() {
    assertThatThrownBy(() -> Durations.parse("10")).hasMessageContaining("unit");
    assertThatThrownBy(() -> Durations.parse("10 s")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Durations.parse("-1s")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Durations.parse("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Durations.parse("99999999999999h")).hasMessageContaining("too long");
  }

  @Test
  void formatsDurationsInAFormParseAccepts() {
    for (String text : new String[] {"10s", "1500ms", "2m", "0s", "1h", "3d", "7us"}) {
      assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
    }
  }

  @Test
  void parsesSizes() {
    assertThat(Sizes.parse("1048576")).isEqualTo(1_048_576);
    assertThat(Sizes.parse("1MiB")).isEqualTo(1L << 20);
    assertThat(Sizes.parse("512kb")).isEqualTo(512_000);
    assertThat(Sizes.parse("2 GiB")).isEqualTo(2L << 30);
    assertThatThrownBy(() -> Sizes.parse("1.5MiB")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sizes.parse("lots")).isInstanceOf(IllegalArgumentException.class);
  }
}
