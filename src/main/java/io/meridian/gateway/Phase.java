package io.meridian.gateway;

/**
 * Where a plugin runs in a request's life. Request hooks run in this order, response hooks in
 * the reverse order; plugins of one phase keep their configured order. A chain whose
 * configured order contradicts the phases is refused when it is built.
 */
public enum Phase {
  /** Sees every request first and every response last: request ids, logs, metrics, tracing. */
  OBSERVE,
  /** Establishes who is calling: JWT, external auth. */
  AUTHN,
  /** Decides whether the caller may: black/white lists, authorization policies. */
  AUTHZ,
  /** Rate limits. */
  LIMIT,
  /**
   * Chooses the upstream: the routing step (service, rule, subset), then the circuit breakers
   * (they decide on the destination routing settled on).
   */
  ROUTE,
  /** Changes the request on its way out and the response on its way back. */
  TRANSFORM
}
