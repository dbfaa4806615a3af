package io.meridian.registry.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.meridian.registry.RegistryEvent;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventRingTest {

  private static RegistryEvent event(long index, String service) {
    Instance i = new Instance(InstanceSpec.fromJson(new JsonObject().put("id", "i" + index)), 1, index, index, "t", "x", null);
    return new RegistryEvent(index, RegistryEvent.UPDATED, "t", "default", "i" + index, List.of(service), i, null);
  }

  @Test
  void keepsTheLastEventsAndSaysWhenOlderOnesAreGone() {
    EventRing ring = new EventRing(100);
    for (long i = 1; i <= 250; i++) {
      ring.add(event(i, i % 2 == 0 ? "even" : "odd"));
    }
    assertThat(ring.oldestIndex()).isEqualTo(151);
    assertThat(ring.since(150, 250, 1000)).extracting(RegistryEvent::index).startsWith(151L).endsWith(250L).hasSize(100);
    assertThat(ring.since(149, 250, 1000)).isNull();
    assertThat(ring.since(250, 250, 1000)).isEmpty();
    assertThat(ring.since(200, 250, 10)).extracting(RegistryEvent::index).containsExactly(201L, 202L, 203L, 204L, 205L,
        206L, 207L, 208L, 209L, 210L);
    assertThat(ring.anyAfter(248, e -> e.services().contains("odd"))).isTrue();
    assertThat(ring.anyAfter(249, e -> e.services().contains("odd"))).isFalse();
    assertThat(ring.anyAfter(10, e -> true)).isNull();
  }

  @Test
  void anEmptyRingAfterARestartAsksForAReload() {
    EventRing ring = new EventRing(10);
    assertThat(ring.since(5, 20000, 100)).isNull();
    assertThat(ring.since(20000, 20000, 100)).isEmpty();
  }
}
