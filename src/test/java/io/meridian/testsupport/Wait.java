package io.meridian.testsupport;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waiting in tests for something that happens on other threads. */
public final class Wait {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private Wait() {
  }

  /** Polls {@code condition} every 20 ms until it holds; fails after 20 s naming {@code what}. */
  public static void until(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + TIMEOUT.toSeconds() + " s: " + what);
      }
      Thread.sleep(20);
    }
  }
}
