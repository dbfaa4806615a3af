package io.meridian.common.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.meridian.common.units.Durations;
import java.time.Duration;
import java.util.List;

/**
 * Clustered mode (Hazelcast TCP/IP join; multicast is never used).
 *
 * @param enabled  join a cluster ({@code --cluster} sets it)
 * @param members  addresses of members to join ({@code host} or {@code host:port})
 * @param name     cluster name; nodes with another name never join
 * @param host     this node's address for cluster traffic (Hazelcast and the event bus)
 * @param port     Hazelcast member port (the next free one is taken when in use)
 * @param busPort  event-bus TCP port ({@code 0} = any free port)
 * @param quorum   members needed to accept changes ({@code 0} = a majority of {@code members})
 * @param failureTimeout how long a silent member stays in the cluster before it counts as gone
 */
public record ClusterOptions(boolean enabled, List<String> members, String name, String host, int port, int busPort,
    int quorum, Duration failureTimeout) {

  public ClusterOptions {
    members = List.copyOf(members);
  }

  static ClusterOptions read(ConfigReader r) {
    boolean enabled = r.bool("enabled", false);
    List<String> members = r.stringList("members", List.of("127.0.0.1"));
    for (int i = 0; i < members.size(); i++) {
      String member = members.get(i);
      if (member.isBlank() || member.contains(" ") || member.contains("-")) {
        throw new ConfigException(r.path("members") + "[" + i + "]",
            "'" + member + "' is not an address (host or host:port; ranges are not supported)");
      }
    }
    String name = r.string("name", "meridian");
    if (name.isBlank()) {
      throw new ConfigException(r.path("name"), "must not be blank");
    }
    String host = r.string("host", "127.0.0.1");
    int port = r.intValue("port", 5701, 1, 65535);
    int busPort = r.port("busPort", 0);
    int quorum = r.intValue("quorum", 0, 0, 1000);
    Duration failureTimeout = r.duration("failureTimeout", Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMinutes(5));
    return new ClusterOptions(enabled, members, name, host, port, busPort, quorum, failureTimeout);
  }

  /** Members needed to accept changes: {@link #quorum} when set, else a majority of {@link #members}. */
  public int quorumSize() {
    return quorum > 0 ? quorum : members.size() / 2 + 1;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("enabled", enabled)
        .put("members", new JsonArray(members))
        .put("name", name)
        .put("host", host)
        .put("port", port)
        .put("busPort", busPort)
        .put("quorum", quorum)
        .put("failureTimeout", Durations.format(failureTimeout));
  }
}
