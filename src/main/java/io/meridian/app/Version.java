package io.meridian.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version and time, from {@code META-INF/meridian/version.properties}. */
public record Version(String version, String built) {

  private static final Version CURRENT = read();

  public static Version current() {
    return CURRENT;
  }

  private static Version read() {
    Properties p = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("/META-INF/meridian/version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException ignored) {
      // fall through to "unknown"
    }
    String version = p.getProperty("version", "unknown");
    String built = p.getProperty("built", "unknown");
    return new Version(version.startsWith("${") ? "dev" : version, built.startsWith("${") ? "unknown" : built);
  }
}
