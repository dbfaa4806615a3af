package io.meridian.common.cluster;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A membership whose list is set by its owner: the single member of an unclustered node
 * (which never changes), and in tests a cluster whose members come and go on command.
 */
public final class LocalMembership implements Membership {

  private final String nodeId;
  private final int quorumSize;
  private volatile List<Member> members;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public LocalMembership(String nodeId, List<Member> members, int quorumSize) {
    this.nodeId = nodeId;
    this.members = List.copyOf(members);
    this.quorumSize = quorumSize;
  }

  /** This node alone, running {@code roles}. */
  public static LocalMembership single(String nodeId, Set<String> roles) {
    return new LocalMembership(nodeId, List.of(new Member(nodeId, roles, "local")), 1);
  }

  /** Replaces the member list and tells the listeners. */
  public void set(List<Member> newMembers) {
    members = List.copyOf(newMembers);
    listeners.forEach(Runnable::run);
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public List<Member> members() {
    return members;
  }

  @Override
  public boolean quorum() {
    return members.size() >= quorumSize;
  }

  @Override
  public int quorumSize() {
    return quorumSize;
  }

  @Override
  public AutoCloseable onChange(Runnable listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }
}
