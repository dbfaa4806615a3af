package io.meridian.app.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.meridian.common.cluster.Member;
import io.meridian.common.cluster.Membership;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The Hazelcast cluster's members as Meridian sees them: Hazelcast's member list (the same
 * order, oldest first, on every member) with each member's roles from the attribute
 * {@value HazelcastSetup#ROLES_ATTRIBUTE}. Member ids are the Hazelcast member UUIDs.
 */
public final class HazelcastMembership implements Membership {

  private final HazelcastInstance hazelcast;
  private final String nodeId;
  private final int quorumSize;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public HazelcastMembership(HazelcastInstance hazelcast, int quorumSize) {
    this.hazelcast = hazelcast;
    this.nodeId = hazelcast.getCluster().getLocalMember().getUuid().toString();
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
      UUID uuid = m.getUuid();
      members.add(new Member(uuid.toString(), set, m.getAddress().getHost() + ":" + m.getAddress().getPort()));
    }
    return members;
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
