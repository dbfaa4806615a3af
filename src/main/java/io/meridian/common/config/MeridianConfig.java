package io.meridian.common.config;

import io.meridian.common.units.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The whole, validated configuration of one Meridian process.
 *
 * <p>Built-in defaults come from the reads in {@link #fromJson}; {@code conf/meridian.yaml}
 * documents exactly these defaults (a test keeps the two equal). The keys listed in
 * ARCHITECTURE.md "Default ports" ({@code admin.port}, {@code consul.port}, {@code xds.port},
 * {@code gateway.port}, {@code telemetry.zipkin.port}, {@code data.dir}, {@code admin.token},
 * {@code cluster.members}, {@code cluster.name}) are a public contract.
 *
 * @param roles           roles this process runs ({@code --roles})
 * @param host            default bind address of every listener without its own {@code host}
 * @param shutdownTimeout how long a graceful stop waits for in-flight work
 */
public record MeridianConfig(
    List<String> roles,
    String host,
    Duration shutdownTimeout,
    AdminOptions admin,
    RegistryOptions registry,
    RulesOptions rules,
    ListenerOptions consul,
    XdsOptions xds,
    GatewayOptions gateway,
    TelemetryOptions telemetry,
    DataOptions data,
    ClusterOptions cluster,
    LogOptions log) {

  public static final int DEFAULT_CONSUL_PORT = 8500;
  public static final int DEFAULT_XDS_PORT = 15010;
  public static final int DEFAULT_GATEWAY_PORT = 9080;

  /** The data directory. */
  public record DataOptions(String dir) {
    static DataOptions read(ConfigReader r) {
      String dir = r.string("dir", "data");
      if (dir.isBlank()) {
        throw new ConfigException(r.path("dir"), "must not be blank");
      }
      return new DataOptions(dir);
    }

    public JsonObject toJson() {
      return new JsonObject().put("dir", dir);
    }
  }

  public MeridianConfig {
    roles = List.copyOf(roles);
  }

  /** The built-in defaults. */
  public static MeridianConfig defaults() {
    return fromJson(new JsonObject());
  }

  /** Reads and validates a merged config document; throws {@link ConfigException} naming the first bad key. */
  public static MeridianConfig fromJson(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    List<String> roles = readRoles(r);
    String host = r.string("host", "0.0.0.0");
    if (host.isBlank()) {
      throw new ConfigException("host", "must not be blank");
    }
    Duration shutdownTimeout = r.duration("shutdownTimeout", Duration.ofSeconds(10), Duration.ZERO, Duration.ofMinutes(10));

    AdminOptions admin = r.read("admin", AdminOptions::read);
    RegistryOptions registry = r.read("registry", RegistryOptions::read);
    RulesOptions rules = r.read("rules", RulesOptions::read);
    ListenerOptions consul = r.read("consul", c -> ListenerOptions.read(c, DEFAULT_CONSUL_PORT));
    XdsOptions xds = r.read("xds", XdsOptions::read);
    GatewayOptions gateway = r.read("gateway", GatewayOptions::read);
    TelemetryOptions telemetry = r.read("telemetry", TelemetryOptions::read);
    DataOptions data = r.read("data", DataOptions::read);
    ClusterOptions cluster = r.read("cluster", ClusterOptions::read);
    LogOptions log = r.read("log", LogOptions::read);
    r.requireKnownKeys();

    MeridianConfig config = new MeridianConfig(roles, host, shutdownTimeout, admin, registry, rules, consul, xds, gateway,
        telemetry, data, cluster, log);
    config.checkPortConflicts();
    return config;
  }

  private static List<String> readRoles(ConfigReader r) {
    List<String> roles = r.stringList("roles", RoleNames.ALL);
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    for (String role : roles) {
      String name = role.trim();
      if (!RoleNames.ALL.contains(name)) {
        throw new ConfigException("roles", "unknown role '" + role + "' (roles: " + String.join(", ", RoleNames.ALL) + ")");
      }
      unique.add(name);
    }
    if (unique.isEmpty()) {
      throw new ConfigException("roles", "at least one role is needed (roles: " + String.join(", ", RoleNames.ALL) + ")");
    }
    // deployment order is the canonical order, whatever order the user wrote
    List<String> ordered = new ArrayList<>();
    for (String role : RoleNames.ALL) {
      if (unique.contains(role)) {
        ordered.add(role);
      }
    }
    return ordered;
  }

  /**
   * The listeners this process binds, by contract name ({@code admin}, {@code consul},
   * {@code xds}, {@code gateway}, {@code gateway.tcp[i]}, {@code zipkin}), with hosts resolved.
   * Only the listeners of the configured roles are included.
   */
  public Map<String, ListenerOptions> listeners() {
    Map<String, ListenerOptions> result = new LinkedHashMap<>();
    result.put("admin", admin.listener().withDefaultHost(host));
    if (roles.contains(RoleNames.REGISTRY)) {
      result.put("consul", consul.withDefaultHost(host));
    }
    if (roles.contains(RoleNames.XDS)) {
      result.put("xds", xds.listener().withDefaultHost(host));
    }
    if (roles.contains(RoleNames.GATEWAY)) {
      result.put("gateway", gateway.listener().withDefaultHost(host));
      for (int i = 0; i < gateway.tcp().size(); i++) {
        result.put("gateway.tcp[" + i + "]", new ListenerOptions(gateway.listener().host(), gateway.tcp().get(i).port())
            .withDefaultHost(host));
      }
    }
    if (roles.contains(RoleNames.TELEMETRY)) {
      result.put("zipkin", telemetry.zipkin().withDefaultHost(host));
    }
    return result;
  }

  /**
   * This configuration with every listener's host filled in from {@link #host()}, as each role
   * receives it.
   */
  public MeridianConfig resolved() {
    return new MeridianConfig(roles, host, shutdownTimeout,
        new AdminOptions(admin.listener().withDefaultHost(host), admin.token(), admin.publicEndpoints(), admin.maxBodySize()),
        registry, rules, consul.withDefaultHost(host), xds.withDefaultHost(host), gateway.withDefaultHost(host),
        telemetry.withDefaultHost(host), data, cluster, log);
  }

  /** The config key of a listener's port, by contract name. */
  public static String portKey(String listener) {
    return switch (listener) {
      case "zipkin" -> "telemetry.zipkin.port";
      default -> listener + ".port";
    };
  }

  private void checkPortConflicts() {
    List<Map.Entry<String, ListenerOptions>> entries = new ArrayList<>(listeners().entrySet());
    for (int i = 0; i < entries.size(); i++) {
      for (int j = 0; j < i; j++) {
        ListenerOptions a = entries.get(i).getValue();
        ListenerOptions b = entries.get(j).getValue();
        if (a.port() != 0 && a.port() == b.port() && hostsOverlap(a.host(), b.host())) {
          throw new ConfigException(portKey(entries.get(i).getKey()),
              "port " + a.port() + " is also " + portKey(entries.get(j).getKey()) + "; every listener needs its own port");
        }
      }
    }
  }

  private static boolean hostsOverlap(String a, String b) {
    return a.equals(b) || isWildcard(a) || isWildcard(b);
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
  }

  /** The configuration as a JSON document (the same shape {@link #fromJson} reads). */
  public JsonObject toJson(boolean redactSecrets) {
    return new JsonObject()
        .put("roles", new JsonArray(roles))
        .put("host", host)
        .put("shutdownTimeout", Durations.format(shutdownTimeout))
        .put("admin", admin.toJson(redactSecrets))
        .put("registry", registry.toJson())
        .put("rules", rules.toJson())
        .put("consul", consul.toJson())
        .put("xds", xds.toJson())
        .put("gateway", gateway.toJson())
        .put("telemetry", telemetry.toJson())
        .put("data", data.toJson())
        .put("cluster", cluster.toJson())
        .put("log", log.toJson());
  }
}
