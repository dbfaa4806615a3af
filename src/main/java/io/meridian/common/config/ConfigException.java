package io.meridian.common.config;

/**
 * An invalid configuration: names the key (dotted path, e.g. {@code admin.port}) and the
 * problem. The launcher prints {@link #getMessage()} as one line and exits with code 2.
 */
public final class ConfigException extends RuntimeException {

  private final String key;

  public ConfigException(String key, String problem) {
    super((key == null || key.isEmpty() ? "config" : "config key '" + key + "'") + ": " + problem, null, false, false);
    this.key = key;
  }

  /** The offending key as a dotted path, or {@code null} for the whole document. */
  public String key() {
    return key;
  }
}
