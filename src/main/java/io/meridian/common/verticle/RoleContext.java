package io.meridian.common.verticle;

import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import io.meridian.common.cluster.LocalMembership;
import io.meridian.common.cluster.Membership;
import io.meridian.common.config.RoleNames;
import java.util.Objects;
import java.util.Set;

/**
 * What the launcher hands every role besides its config subtree: node identity, the durable
 * store, token verification and the meter registry. Everything a role needs from another role
 * it gets over the event bus instead.
 *
 * @param nodeId identifier of this process (unique in a cluster)
 * @param store  the node's durable store
 * @param tokens verifies API tokens (for roles that serve their own authenticated ports)
 * @param meters where the role registers its meters ({@code /metrics})
 * @param membership the cluster's members and the leader of each role (this node alone when not clustered)
 */
public record RoleContext(String nodeId, Store store, TokenVerifier tokens, MeterRegistry meters, Membership membership) {

  public RoleContext {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(meters, "meters");
    Objects.requireNonNull(membership, "membership");
  }

  /** A node that is not clustered: it alone runs (and leads) every role. */
  public RoleContext(String nodeId, Store store, TokenVerifier tokens, MeterRegistry meters) {
    this(nodeId, store, tokens, meters, LocalMembership.single(nodeId, Set.copyOf(RoleNames.ALL)));
  }
}
