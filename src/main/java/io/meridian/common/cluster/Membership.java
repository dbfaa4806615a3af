package io.meridian.common.cluster;

import java.util.List;
import java.util.Optional;

/**
 * The members of the cluster, oldest first, and the roles each runs — the same list, in the
 * same order, on every member once a membership change has reached it. The leader of a role is
 * the oldest member running it: no election traffic, and every member that sees the same list
 * agrees on it. Not clustered, the only member is this node and it leads every role it runs.
 *
 * <p>Thread-safe; listeners are called on an unspecified thread (hop to your own context).
 */
public interface Membership {

  /** This node's id. */
  String nodeId();

  /** The current members, oldest first (this node included). */
  List<Member> members();

  /** Whether enough members are present to accept writes (a majority of the configured ones). */
  boolean quorum();

  /** How many members make a quorum. */
  int quorumSize();

  /** Calls {@code listener} after every change of the member list; returns a handle removing it. */
  AutoCloseable onChange(Runnable listener);

  /** The oldest member running {@code role}, if any. */
  default Optional<Member> leader(String role) {
    return members().stream().filter(m -> m.runs(role)).findFirst();
  }

  /** Whether this node leads {@code role}. */
  default boolean leads(String role) {
    return leader(role).map(m -> m.id().equals(nodeId())).orElse(false);
  }

  /** The members running {@code role}, oldest first. */
  default List<Member> running(String role) {
    return members().stream().filter(m -> m.runs(role)).toList();
  }
}
