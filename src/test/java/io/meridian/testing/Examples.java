package io.meridian.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Example documents shared by tests (under {@code src/test/resources}). */
public final class Examples {

  /** The registration example of the registry issue (two planes, two services, TTL 15 s). */
  public static String orders() {
    return resource("/registry/orders.json");
  }

  public static String resource(String path) {
    try (InputStream in = Examples.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Examples() {
  }
}
