package io.meridian.common.config;

import io.meridian.common.units.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The gateway role ({@code gateway.*}; {@code gateway.port} and {@code gateway.tier} are
 * contracts).
 *
 * @param listener           the HTTP entry ({@code gateway.host}, {@code gateway.port})
 * @param name               this gateway's name: VirtualServices listing {@code gateways} apply here when they name it;
 *                           error responses carry it
 * @param tier               {@code tenant}: routes to its tenants' services; {@code edge}: picks the tenant and forwards
 *                           to that tenant's gateways (service {@code meridian-gateway}) or to shared/external services
 * @param tenants            the tenants it serves (empty = every tenant); requests naming no tenant are for {@code default}
 * @param plane              the network plane it reaches upstreams on (only endpoints on it are used)
 * @param visibility         which bindings it publishes: {@code external}, {@code internal} or {@code any}
 * @param labels             instance labels that must all match (extra scope)
 * @param hostDomain         host-based virtual hosts {@code {service}.{hostDomain}} (and, for tenants,
 *                           {@code {service}.{tenant}.{hostDomain}}); {@code null} = off
 * @param hopLimit           requests that passed this many gateways are refused with 508 (loop protection)
 * @param connectTimeout     upstream connect timeout
 * @param requestTimeout     default upstream response timeout when no VirtualService sets one (0 = none)
 * @param idleTimeout        idle keep-alive connections (downstream and upstream), and TCP listener connections through
 *                           which nothing moved, are closed after this
 * @param maxHeaderSize      largest request head accepted (bigger → 431)
 * @param tls                TLS termination from PEM files, or {@code null} for plaintext
 * @param tcp                L4 listeners: a publish port per TCP service (port 0 = any free port)
 * @param accessLog          one line per request on logger {@code io.meridian.gateway.access}
 * @param eventLoops         the proxy's own event-loop threads (0 = one per core)
 * @param advertise          the address at which this gateway registers itself in the registry as service
 *                           {@code meridian-gateway} of each tenant it serves (what an edge gateway forwards to);
 *                           {@code null} = it does not register itself
 * @param trustedProxies     CIDRs (or addresses) of proxies in front of the gateway: when the TCP peer is one of them,
 *                           the client's address is the rightmost {@code Forwarded for=} (else {@code X-Forwarded-For})
 *                           entry that is not (empty = neither header is ever trusted)
 * @param maxBodySize        largest request body accepted, by {@code Content-Length} or as streamed (bigger → 413);
 *                           0 = unlimited
 * @param traceSampling      the share of requests traced when the caller did not decide (0–1); a
 *                           caller's sampled flag ({@code traceparent}, B3) is followed
 */
public record GatewayOptions(ListenerOptions listener, String name, String tier, List<String> tenants, String plane,
    String visibility, Map<String, String> labels, String hostDomain, int hopLimit, Duration connectTimeout,
    Duration requestTimeout, Duration idleTimeout, long maxHeaderSize, Tls tls, List<TcpRoute> tcp, boolean accessLog,
    int eventLoops, String advertise, List<String> trustedProxies, long maxBodySize, double traceSampling) {

  public static final String EDGE = "edge";
  public static final String TENANT = "tenant";

  /** TLS termination: certificate chain and private key (PKCS#8) in PEM files. */
  public record Tls(String certFile, String keyFile) {
    public JsonObject toJson() {
      return new JsonObject().put("certFile", certFile).put("keyFile", keyFile);
    }
  }

  /** A TCP listener forwarding to a service's {@code tcp} binding. */
  public record TcpRoute(int port, String service, String tenant) {
    public JsonObject toJson() {
      return new JsonObject().put("port", port).put("service", service).put("tenant", tenant);
    }
  }

  public GatewayOptions {
    tenants = List.copyOf(tenants);
    labels = Map.copyOf(labels);
    tcp = List.copyOf(tcp);
    trustedProxies = List.copyOf(trustedProxies);
  }

  static GatewayOptions read(ConfigReader r) {
    ListenerOptions listener = ListenerOptions.read(r, MeridianConfig.DEFAULT_GATEWAY_PORT);
    String name = r.string("name", "meridian-gateway");
    if (!RegistryOptions.LABEL.matcher(name).matches()) {
      throw new ConfigException(r.path("name"), "must be a DNS label (a-z, 0-9, '-'), got '" + name + "'");
    }
    String tier = r.choice("tier", TENANT, List.of(TENANT, EDGE));
    List<String> tenants = r.stringList("tenants", List.of());
    for (int i = 0; i < tenants.size(); i++) {
      if (!RegistryOptions.LABEL.matcher(tenants.get(i)).matches()) {
        throw new ConfigException(r.path("tenants") + "[" + i + "]", "not a tenant name: '" + tenants.get(i) + "'");
      }
    }
    String plane = r.string("plane", RegistryOptions.DEFAULT_PLANE);
    if (!RegistryOptions.LABEL.matcher(plane).matches()) {
      throw new ConfigException(r.path("plane"), "not a plane name: '" + plane + "'");
    }
    String visibility = r.choice("visibility", "any", List.of("any", "external", "internal"));
    Map<String, String> labels = new TreeMap<>();
    r.object("labels").forEach(e -> labels.put(e.getKey(), String.valueOf(e.getValue())));
    String hostDomain = r.string("hostDomain", null);
    if (hostDomain != null && (hostDomain.isBlank() || hostDomain.startsWith(".") || hostDomain.contains("/"))) {
      throw new ConfigException(r.path("hostDomain"), "expected a domain like apps.example.com, got '" + hostDomain + "'");
    }
    int hopLimit = r.intValue("hopLimit", 8, 1, 64);
    Duration connectTimeout = r.duration("connectTimeout", Duration.ofSeconds(2), Duration.ofMillis(1), Duration.ofMinutes(5));
    Duration requestTimeout = r.duration("requestTimeout", Duration.ofSeconds(60), Duration.ZERO, Duration.ofDays(1));
    Duration idleTimeout = r.duration("idleTimeout", Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofDays(1));
    long maxHeaderSize = r.size("maxHeaderSize", 16 * 1024, 1024, 1024 * 1024);
    Tls tls = r.read("tls", t -> {
      String cert = t.string("certFile", null);
      String key = t.string("keyFile", null);
      if (cert == null && key == null) {
        return null;
      }
      if (cert == null || key == null) {
        throw new ConfigException(t.path(cert == null ? "certFile" : "keyFile"), "TLS needs both certFile and keyFile");
      }
      return new Tls(cert, key);
    });
    List<TcpRoute> tcp = r.list("tcp", t -> new TcpRoute(t.port("port", -1), t.string("service", null),
        t.string("tenant", "default")));
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < tcp.size(); i++) {
      TcpRoute route = tcp.get(i);
      String at = r.path("tcp") + "[" + i + "]";
      if (route.port() < 0) {
        throw new ConfigException(at + ".port", "a publish port (1-65535; 0 = any free port) is required");
      }
      if (route.service() == null) {
        throw new ConfigException(at + ".service", "the service to forward to is required");
      }
      if (!RegistryOptions.LABEL.matcher(route.service()).matches()) {
        throw new ConfigException(at + ".service", "not a service name: '" + route.service() + "'");
      }
      if (!RegistryOptions.LABEL.matcher(route.tenant()).matches()) {
        throw new ConfigException(at + ".tenant", "not a tenant name: '" + route.tenant() + "'");
      }
      if (!tenants.isEmpty() && !tenants.contains(route.tenant())) {
        throw new ConfigException(at + ".tenant", "tenant '" + route.tenant() + "' is not one this gateway serves ("
            + r.path("tenants") + ": " + tenants + ")");
      }
      if (route.port() != 0 && (!ports.add(route.port()) || route.port() == listener.port())) {
        throw new ConfigException(at + ".port", "port " + route.port() + " is used twice");
      }
    }
    boolean accessLog = r.read("accessLog", a -> a.bool("enabled", false));
    int eventLoops = r.intValue("eventLoops", 0, 0, 1024);
    String advertise = r.string("advertise", null);
    if (advertise != null) {
      if (!tier.equals(TENANT)) {
        throw new ConfigException(r.path("advertise"), "only a tenant gateway registers itself (" + r.path("tier") + " is "
            + tier + ")");
      }
      if (io.meridian.common.net.Cidr.ipLiteral(advertise) == null) {
        throw new ConfigException(r.path("advertise"), "must be an IP address (how other gateways reach this one), got '"
            + advertise + "'");
      }
    }
    List<String> trustedProxies = r.stringList("trustedProxies", List.of());
    for (int i = 0; i < trustedProxies.size(); i++) {
      try {
        io.meridian.common.net.CidrSet.parseOne(trustedProxies.get(i));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(r.path("trustedProxies") + "[" + i + "]", e.getMessage());
      }
    }
    long maxBodySize = r.size("maxBodySize", 0, 0, Long.MAX_VALUE / 2);
    double traceSampling = r.read("tracing", t -> {
      double v = t.doubleValue("sampling", 0.01);
      if (v < 0 || v > 1 || Double.isNaN(v)) {
        throw new ConfigException(t.path("sampling"), "must be between 0 and 1 (a share of requests), got " + v);
      }
      return v;
    });
    return new GatewayOptions(listener, name, tier, tenants, plane, visibility, labels, hostDomain, hopLimit, connectTimeout,
        requestTimeout, idleTimeout, maxHeaderSize, tls, tcp, accessLog, eventLoops, advertise, trustedProxies,
        maxBodySize, traceSampling);
  }

  GatewayOptions withDefaultHost(String host) {
    return new GatewayOptions(listener.withDefaultHost(host), name, tier, tenants, plane, visibility, labels, hostDomain,
        hopLimit, connectTimeout, requestTimeout, idleTimeout, maxHeaderSize, tls, tcp, accessLog, eventLoops, advertise,
        trustedProxies, maxBodySize, traceSampling);
  }

  /** Whether this gateway serves {@code tenant}. */
  public boolean serves(String tenant) {
    return tenants.isEmpty() || tenants.contains(tenant);
  }

  public JsonObject toJson() {
    JsonObject labelsJson = new JsonObject();
    labels.forEach(labelsJson::put);
    return listener.toJson()
        .put("name", name)
        .put("tier", tier)
        .put("tenants", new JsonArray(tenants))
        .put("plane", plane)
        .put("visibility", visibility)
        .put("labels", labelsJson)
        .put("hostDomain", hostDomain)
        .put("hopLimit", hopLimit)
        .put("connectTimeout", Durations.format(connectTimeout))
        .put("requestTimeout", Durations.format(requestTimeout))
        .put("idleTimeout", Durations.format(idleTimeout))
        .put("maxHeaderSize", maxHeaderSize)
        .put("tls", tls == null ? new JsonObject().put("certFile", null).put("keyFile", null) : tls.toJson())
        .put("tcp", new JsonArray(tcp.stream().map(TcpRoute::toJson).toList()))
        .put("accessLog", new JsonObject().put("enabled", accessLog))
        .put("eventLoops", eventLoops)
        .put("advertise", advertise)
        .put("trustedProxies", new JsonArray(trustedProxies))
        .put("maxBodySize", maxBodySize)
        .put("tracing", new JsonObject().put("sampling", traceSampling));
  }

  /** Reads the JSON form (as the role receives its section). */
  public static GatewayOptions fromJson(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    GatewayOptions options = read(r);
    r.requireKnownKeys();
    return options;
  }
}
