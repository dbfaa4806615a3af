package io.meridian.common.verticle;

import io.meridian.common.auth.TokenVerifier;
import io.meridian.common.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * What the launcher hands every role besides its config subtree: node identity, the durable
 * store, token verification and the meter registry. Everything a role needs from another role
 * it gets over the event bus instead.
 *
 * @param nodeId identifier of this process (unique in a cluster)
 * @param store  the node's durable store
 * @param tokens verifies API tokens (for roles that serve their own authenticated ports)
 * @param meters where the role registers its meters ({@code /metrics})
 */
public record RoleContext(String nodeId, Store store, TokenVerifier tokens, MeterRegistry meters) {

  public RoleContext {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(meters, "meters");
  }
}
