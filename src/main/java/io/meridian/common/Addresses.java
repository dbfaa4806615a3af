package io.meridian.common;

/**
 * Every event-bus address and message header Meridian uses, in one place.
 *
 * <p>Payloads on these addresses are {@code JsonObject}s (or {@code Buffer}s) produced by the
 * records' {@code toJson()}, never local-only codecs, so the same messages work inside one
 * process and across a cluster. Request/reply addresses answer failures with
 * {@link io.meridian.common.error.BusErrors#fail} (failure code = HTTP status, message = the
 * JSON error body).
 *
 * <p>Derived addresses are built only by the helpers below, never by concatenation at call
 * sites.
 */
public final class Addresses {

  /** Prefix of every Meridian address. */
  public static final String PREFIX = "meridian.";

  /**
   * Request/reply header naming the operation a role's service address should perform (the
   * address is the room, the action is the method), e.g. {@code action: register}.
   */
  public static final String HEADER_ACTION = "action";

  /**
   * Request header carrying the caller's principal as JSON ({@code {"name":…,"role":…}}),
   * so the owning role can authorise and record who made a change.
   */
  public static final String HEADER_PRINCIPAL = "meridian-principal";

  /**
   * Request/reply: the registry's service. The {@link #HEADER_ACTION} header names the
   * operation ({@code register}, {@code deregister}, {@code heartbeat}, {@code get},
   * {@code instances}, {@code services}, {@code endpoints}, {@code view}, {@code events});
   * see {@code io.meridian.registry.RegistryClient} for bodies and replies.
   */
  public static final String REGISTRY = PREFIX + "registry";

  /**
   * Publish: every registry change as {@code io.meridian.registry.RegistryEvent#toJson()}, in
   * index order, each index exactly one more than the previous.
   */
  public static final String REGISTRY_EVENTS = PREFIX + "registry.events";

  /**
   * Request/reply: the rules service; the {@link #HEADER_ACTION} header names the operation
   * ({@code put}, {@code apply}, {@code get}, {@code list}, {@code delete}, {@code history},
   * {@code rollback}, {@code export}, {@code events}); see {@code io.meridian.rules.RulesClient}.
   */
  public static final String RULES = PREFIX + "rules";

  /**
   * Publish: every rule change ({@code created}, {@code updated}, {@code deleted}) with its
   * rules index, in index order, each index exactly one more than the previous.
   */
  public static final String RULES_EVENTS = PREFIX + "rules.events";

  /**
   * Request/reply, local to each node: the ids of the cluster's members (just this node's
   * when not clustered), {@code {"members": [...]}}. For services that gather an answer from
   * every node (a node's xDS clients live in that node).
   */
  public static final String MEMBERS = PREFIX + "members";

  /**
   * Point to point (send, no reply) to a telemetry role: a batch of finished spans as a JSON
   * array of Zipkin v2 spans ({@code traceId, id, parentId, name, kind, timestamp, duration}
   * in µs, {@code localEndpoint}, {@code remoteEndpoint}, {@code tags}). Producers (the
   * gateway) batch and drop what no telemetry role takes.
   */
  public static final String TELEMETRY_SPANS = PREFIX + "telemetry.spans";

  /**
   * Request/reply: the telemetry role's service; the {@link #HEADER_ACTION} header names the
   * operation (see {@code io.meridian.telemetry.TelemetryClient} for actions, bodies and replies).
   */
  public static final String TELEMETRY = PREFIX + "telemetry";

  /**
   * Request/reply on each node running the xds role: that node's xDS streams (actions
   * {@code clients}, {@code config_dump}). Absent on nodes without the role.
   */
  public static String xds(String nodeId) {
    return PREFIX + "node." + requireSegment(nodeId) + ".xds";
  }

  /**
   * Request/reply on each node running the gateway role: that gateway's runtime state (action
   * {@code breakers}). Absent on nodes without the role.
   */
  public static String gateway(String nodeId) {
    return PREFIX + "node." + requireSegment(nodeId) + ".gateway";
  }

  /** Request/reply on every node: that node's status document (as {@code /api/v1/status}). */
  /**
   * Request/reply on every node: that node's own meters in the Prometheus text format (a
   * {@code String} reply), so the telemetry role scrapes every node of the cluster over the bus.
   */
  public static String nodeMetrics(String nodeId) {
    return PREFIX + "node." + requireSegment(nodeId) + ".metrics";
  }

  public static String nodeStatus(String nodeId) {
    return PREFIX + "node." + requireSegment(nodeId) + ".status";
  }

  /**
   * Request/reply on each node running {@code role}: that role's replication (actions
   * {@code entry}, {@code sync}, {@code synced}, {@code status}, {@code snapshot},
   * {@code resync}) and writes forwarded to its leader ({@code forward}); see
   * {@code io.meridian.common.cluster.Replica}.
   */
  public static String replica(String role, String nodeId) {
    return PREFIX + "node." + requireSegment(nodeId) + ".replica." + requireSegment(role);
  }

  private static String requireSegment(String segment) {
    if (segment == null || segment.isEmpty() || segment.indexOf('.') >= 0) {
      throw new IllegalArgumentException("address segment must be non-empty and without '.': " + segment);
    }
    return segment;
  }

  private Addresses() {
  }
}
