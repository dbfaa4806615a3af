package io.meridian.gateway;

import java.util.function.BiConsumer;

/**
 * Sees each upstream attempt of one exchange (a plugin puts it as the exchange attribute
 * {@link #KEY}; tracing does, for a client span per attempt). Called on the request's event
 * loop. An attempt ends with {@link #attemptAnswered} when its response head arrives; one that
 * failed (connect failure, reset, timeout) ends when the next starts or the exchange completes.
 */
public interface AttemptObserver {

  Exchange.Key<AttemptObserver> KEY = new Exchange.Key<>("attempt.observer");

  /**
   * Attempt {@code attempt} (1, 2, …) is about to send the request head to {@code upstream}
   * ({@code host:port}); headers given to {@code headers} go upstream with it (and later
   * attempts, unless set again).
   */
  void attemptStarted(int attempt, String upstream, BiConsumer<String, String> headers);

  /** The current attempt's response head arrived with {@code status}. */
  void attemptAnswered(int status);
}
