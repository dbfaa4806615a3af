package io.meridian.app.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.meridian.common.config.ClusterOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Collection;
import java.util.regex.Pattern;

/**
 * Builds the Hazelcast cluster manager from the {@code cluster} section: Vert.x's own
 * Hazelcast configuration (the maps and locks the event bus needs), with TCP/IP join to
 * {@code cluster.members}, multicast and auto-detection off, and no phone-home.
 */
public final class HazelcastSetup {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** The member attribute carrying a member's roles (comma separated). */
  static final String ROLES_ATTRIBUTE = "meridian.roles";

  /** A cluster manager for a member running {@code roles}. */
  public static HazelcastClusterManager clusterManager(ClusterOptions options, Collection<String> roles) {
    HazelcastClusterManager manager = new HazelcastClusterManager();
    Config config = manager.loadConfig();
    config.setClusterName(options.name());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // a killed member is noticed within failureTimeout (Hazelcast's default is 60 s)
    long failureSeconds = Math.max(2, options.failureTimeout().toSeconds());
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(failureSeconds));
    // a member cut off from the others (a partition, a long pause) looks for them again every
    // 10 s and merges back (Hazelcast's defaults wait 5 min, then 2 min between tries)
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    config.getMemberAttributeConfig().setAttribute(ROLES_ATTRIBUTE, String.join(",", roles));
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(options.port()).setPortAutoIncrement(true).setPortCount(20);
    if (IPV4.matcher(options.host()).matches()) {
      network.getInterfaces().setEnabled(true).clear().addInterface(options.host());
      config.setProperty("hazelcast.local.localAddress", options.host());
    }
    network.setPublicAddress(options.host());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(options.members());
    manager.setConfig(config);
    return manager;
  }

  private HazelcastSetup() {
  }
}
