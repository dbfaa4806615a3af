package io.meridian.common.verticle;

import java.util.Locale;

/** Life cycle of a role's verticle, as shown in {@code /api/v1/status}. */
public enum RoleState {
  DEPLOYING, STARTING, STARTED, FAILED, STOPPING, STOPPED;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
