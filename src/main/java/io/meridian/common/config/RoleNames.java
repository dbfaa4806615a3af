package io.meridian.common.config;

import java.util.List;

/** The role names accepted by {@code --roles} and the {@code roles} key: a public contract. */
public final class RoleNames {

  public static final String REGISTRY = "registry";
  public static final String RULES = "rules";
  public static final String XDS = "xds";
  public static final String GATEWAY = "gateway";
  public static final String TELEMETRY = "telemetry";
  public static final String UI = "ui";

  /** Every role, in deployment order. */
  public static final List<String> ALL = List.of(REGISTRY, RULES, XDS, GATEWAY, TELEMETRY, UI);

  private RoleNames() {
  }
}
