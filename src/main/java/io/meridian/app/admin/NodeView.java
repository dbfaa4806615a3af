package io.meridian.app.admin;

import io.vertx.core.json.JsonObject;

/** What the admin server shows of the node it runs in. Safe to call from any thread. */
public interface NodeView {

  /** The {@code /api/v1/status} document. */
  JsonObject status();

  /**
   * Readiness: {@code null} when every deployed role has started and the node is not
   * stopping; otherwise a document naming what is not ready.
   */
  JsonObject notReady();

  /** Ids of every node of the cluster (just this node's id when not clustered). */
  java.util.List<String> memberIds();

  /**
   * The cluster as this node sees it: {@code members} (id, roles, address; oldest first),
   * {@code leaders} (role → member id) and {@code quorum} ({@code size}, {@code present},
   * {@code ok}).
   */
  JsonObject clusterView();

  /** Whether this node is part of a cluster. */
  boolean clustered();

  /** The cluster's members as this node sees them (this node alone when not clustered). */
  io.meridian.common.cluster.Membership membership();
}
