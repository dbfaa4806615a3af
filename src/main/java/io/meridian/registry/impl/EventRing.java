package io.meridian.registry.impl;

import io.meridian.registry.RegistryEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} published events, for watchers catching up after a gap and for
 * blocking queries deciding whether something they watch changed since their index.
 */
final class EventRing {

  private final RegistryEvent[] events;
  private long count;

  EventRing(int capacity) {
    this.events = new RegistryEvent[capacity];
  }

  /** Forgets every event (a replica installed a snapshot: watchers behind it must reload). */
  void clear() {
    java.util.Arrays.fill(events, null);
    count = 0;
  }

  void add(RegistryEvent event) {
    events[(int) (count++ % events.length)] = event;
  }

  /** Index of the oldest event kept, or {@code Long.MAX_VALUE} when empty. */
  long oldestIndex() {
    if (count == 0) {
      return Long.MAX_VALUE;
    }
    return events[(int) (count <= events.length ? 0 : count % events.length)].index();
  }

  /**
   * Events with an index above {@code after}, oldest first, at most {@code limit}; {@code null}
   * when events after {@code after} are no longer kept (the caller must reload a snapshot).
   */
  List<RegistryEvent> since(long after, long lastPublished, int limit) {
    List<RegistryEvent> result = new ArrayList<>();
    if (after >= lastPublished) {
      return result;
    }
    if (count == 0 || after + 1 < oldestIndex()) {
      return null;
    }
    long first = Math.max(0, count - events.length);
    for (long n = first; n < count && result.size() < limit; n++) {
      RegistryEvent e = events[(int) (n % events.length)];
      if (e.index() > after) {
        result.add(e);
      }
    }
    return result;
  }

  /** Whether an event kept here after {@code after} satisfies {@code filter}; {@code null} when unknown (too old). */
  Boolean anyAfter(long after, java.util.function.Predicate<RegistryEvent> filter) {
    if (count == 0) {
      return Boolean.FALSE;
    }
    if (after + 1 < oldestIndex()) {
      return null;
    }
    long first = Math.max(0, count - events.length);
    for (long n = count - 1; n >= first; n--) {
      RegistryEvent e = events[(int) (n % events.length)];
      if (e.index() <= after) {
        break;
      }
      if (filter.test(e)) {
        return Boolean.TRUE;
      }
    }
    return Boolean.FALSE;
  }
}
