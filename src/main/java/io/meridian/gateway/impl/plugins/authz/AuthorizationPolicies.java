package io.meridian.gateway.impl.plugins.authz;

import java.util.List;

/**
 * The {@code AuthorizationPolicy}s of one service, compiled: the deciding order is Istio's
 * (any matching {@code DENY} refuses; then, when there are {@code ALLOW} policies, one must match).
 */
final class AuthorizationPolicies {

  /** One condition of a rule, evaluated per request. */
  @FunctionalInterface
  interface Condition {
    boolean test(AuthzRequest request);

    Condition ALWAYS = r -> true;
    Condition NEVER = r -> false;
  }

  /** A rule: every condition must hold ({@code from}, {@code to}, each {@code when}). */
  record Rule(Condition[] conditions) {
    boolean matches(AuthzRequest request) {
      for (Condition c : conditions) {
        if (!c.test(request)) {
          return false;
        }
      }
      return true;
    }
  }

  /** A policy ({@code namespace/name}) matches when one of its rules does (a policy without rules never does). */
  record Policy(String name, Rule[] rules) {
    boolean matches(AuthzRequest request) {
      for (Rule r : rules) {
        if (r.matches(request)) {
          return true;
        }
      }
      return false;
    }
  }

  private final Policy[] deny;
  private final Policy[] allow;
  private final String allowNames;

  AuthorizationPolicies(List<Policy> deny, List<Policy> allow) {
    this.deny = deny.toArray(Policy[]::new);
    this.allow = allow.toArray(Policy[]::new);
    this.allowNames = String.join(", ", allow.stream().map(Policy::name).toList());
  }

  /** Why the request is refused, or {@code null} when it may pass. */
  String decide(AuthzRequest request) {
    for (Policy p : deny) {
      if (p.matches(request)) {
        return "RBAC: access denied by AuthorizationPolicy " + p.name() + " (DENY)";
      }
    }
    if (allow.length == 0) {
      return null;
    }
    for (Policy p : allow) {
      if (p.matches(request)) {
        return null;
      }
    }
    return "RBAC: access denied: no ALLOW AuthorizationPolicy matches (" + allowNames + ")";
  }

  int denyCount() {
    return deny.length;
  }

  int allowCount() {
    return allow.length;
  }
}
