package io.meridian.app.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.meridian.common.cluster.Member;
import io.meridian.common.cluster.Membership;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The Hazelcast cluster's members as Meridian sees them: Hazelcast's member list (the same
 * order, oldest first, on every member) with each member's roles from the attribute
 * {@value HazelcastSetup#ROLES_ATTRIBUTE}. Member ids are the Vert.x node ids (the attribute
 * {@value #NODE_ID_ATTRIBUTE} that Vert.x gives every member), which stay the same when a member
 * cut off from the others merges back — Hazelcast then gives it a new member UUID.
 */
public final class HazelcastMembership implements Membership {

  /** The member attribute in which Vert.x's cluster manager publishes a member's node id. */
  static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final HazelcastInstance hazelcast;
  private final String nodeId;
  private final int quorumSize;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public HazelcastMembership(HazelcastInstance hazelcast, int quorumSize) {
    this.hazelcast = hazelcast;
    this.nodeId = idOf(hazelcast.getCluster().getLocalMember());
    this.quorumSize = quorumSize;
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        listeners.forEach(Runnable::run);
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        listeners.forEach(Runnable::run);
      }
    });
    // a member that merged back into the cluster has a new member list all at once
    hazelcast.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        listeners.forEach(Runnable::run);
      }
    });
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public List<Member> members() {
    List<Member> members = new ArrayList<>();
    for (com.hazelcast.cluster.Member m : hazelcast.getCluster().getMembers()) {
      String roles = m.getAttribute(HazelcastSetup.ROLES_ATTRIBUTE);
      Set<String> set = roles == null || roles.isBlank() ? Set.of()
          : Arrays.stream(roles.split(",")).map(String::trim).filter(r -> !r.isEmpty()).collect(Collectors.toSet());
      members.add(new Member(idOf(m), set, m.getAddress().getHost() + ":" + m.getAddress().getPort()));
    }
    return members;
  }

  private static String idOf(com.hazelcast.cluster.Member member) {
    String nodeId = member.getAttribute(NODE_ID_ATTRIBUTE);
    return nodeId != null ? nodeId : member.getUuid().toString();
  }

  @Override
  public boolean quorum() {
    return hazelcast.getCluster().getMembers().size() >= quorumSize;
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
