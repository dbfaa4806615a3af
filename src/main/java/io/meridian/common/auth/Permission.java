package io.meridian.common.auth;

/** What a token may do. Routes and bus services declare the permission they need. */
public enum Permission {
  /** Read registry, rules, status, metrics and every other read-only API. */
  READ,
  /** Register, heartbeat and deregister instances (what a registration agent does). */
  REGISTER,
  /** Change the registry beyond registration (e.g. edit or remove any instance). */
  WRITE_REGISTRY,
  /** Create, change, delete and roll back traffic rules. */
  WRITE_RULES,
  /** Create and revoke API tokens; cluster and node administration. */
  ADMINISTER
}
