package io.meridian.ui.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-type rate bound of the UI stream, on a test clock. */
class EventGateTest {

  /** Verifies that a window lets at most the limit through and owes one resync for the rest, due at its end. */
  @Test
  void aBurstPassesUpToTheLimitThenOwesOneResync() {
    EventGate gate = new EventGate(5);
    int passed = 0;
    for (int i = 0; i < 1000; i++) {
      if (gate.offer(10_000 + i % 900)) {
        passed++;
      }
    }
    assertThat(passed).isEqualTo(5);
    assertThat(gate.resyncDueAt()).isEqualTo(11_000);
    assertThat(gate.takeResync(10_999)).isZero();
    assertThat(gate.takeResync(11_000)).isEqualTo(995);
    assertThat(gate.takeResync(11_001)).isZero();
    assertThat(gate.resyncDueAt()).isEqualTo(-1);
    assertThat(gate.offer(11_002)).isTrue();
  }

  /** Verifies that once an event was coalesced nothing passes until the resync, so the resync always follows every dropped event. */
  @Test
  void nothingPassesWhileAResyncIsOwed() {
    EventGate gate = new EventGate(2);
    assertThat(gate.offer(0)).isTrue();
    assertThat(gate.offer(1)).isTrue();
    assertThat(gate.offer(2)).isFalse();
    // a new window without taking the resync: still held back
    assertThat(gate.offer(1500)).isFalse();
    assertThat(gate.takeResync(2600)).isEqualTo(2);
    assertThat(gate.offer(2601)).isTrue();
  }

  /** Verifies that a steady rate under the limit never owes a resync. */
  @Test
  void aSteadyRateUnderTheLimitPassesEverything() {
    EventGate gate = new EventGate(10);
    for (long t = 0; t < 60_000; t += 200) {
      assertThat(gate.offer(t)).isTrue();
    }
    assertThat(gate.resyncDueAt()).isEqualTo(-1);
  }

  /** Verifies that an event lost otherwise (slow reader) owes a resync too. */
  @Test
  void aLostEventOwesAResync() {
    EventGate gate = new EventGate(10);
    assertThat(gate.offer(0)).isTrue();
    gate.lost();
    assertThat(gate.takeResync(1000)).isEqualTo(1);
  }
}
