package io.meridian.common.config;

import io.meridian.common.net.Cidr;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The registry role ({@code registry.*}; the key names {@code strictPlanes}, {@code planes},
 * {@code planes[].name} and {@code planes[].cidrs} are a contract).
 *
 * @param strictPlanes        reject endpoints on undeclared planes and addresses outside their plane's CIDRs
 * @param planes              declared network planes; none declared = one plane {@code default} accepting any address
 * @param maxBodySize         largest registration body (larger → 413)
 * @param maxConcurrentChecks active HTTP/TCP health checks running at once
 * @param eventsRetained      change events kept in memory for watchers that catch up
 */
public record RegistryOptions(boolean strictPlanes, List<Plane> planes, long maxBodySize, int maxConcurrentChecks,
    int eventsRetained) {

  /** The plane every endpoint is on when no planes are declared. */
  public static final String DEFAULT_PLANE = "default";

  /** A DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric, ≤ 63. */
  public static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** A declared network plane: its name and, optionally, the networks its addresses must be in. */
  public record Plane(String name, List<Cidr> cidrs) {
    public Plane {
      cidrs = List.copyOf(cidrs);
    }

    /** Whether {@code address} is acceptable on this plane (any address when no CIDRs are declared). */
    public boolean admits(String address) {
      return cidrs.isEmpty() || cidrs.stream().anyMatch(c -> c.contains(address));
    }

    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("cidrs", new JsonArray(cidrs.stream().map(Cidr::text).toList()));
    }
  }

  public RegistryOptions {
    planes = List.copyOf(planes);
  }

  static RegistryOptions read(ConfigReader r) {
    boolean strict = r.bool("strictPlanes", true);
    List<Plane> planes = r.list("planes", RegistryOptions::readPlane);
    Set<String> names = new HashSet<>();
    for (int i = 0; i < planes.size(); i++) {
      if (!names.add(planes.get(i).name())) {
        throw new ConfigException("registry.planes[" + i + "].name", "plane '" + planes.get(i).name() + "' is declared twice");
      }
    }
    long maxBody = r.size("maxBodySize", 64 * 1024, 1024, 16L << 20);
    int checks = r.intValue("maxConcurrentChecks", 64, 1, 10_000);
    int retained = r.intValue("eventsRetained", 10_000, 100, 10_000_000);
    return new RegistryOptions(strict, planes, maxBody, checks, retained);
  }

  private static Plane readPlane(ConfigReader r) {
    String name = r.string("name", null);
    if (name == null || !LABEL.matcher(name).matches()) {
      throw new ConfigException(r.path("name"), name == null ? "is required"
          : "'" + name + "' is not a DNS-1123 label (lower-case letters, digits, '-')");
    }
    List<Cidr> cidrs = new ArrayList<>();
    List<String> texts = r.stringList("cidrs", List.of());
    for (int i = 0; i < texts.size(); i++) {
      try {
        cidrs.add(Cidr.parse(texts.get(i)));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(r.path("cidrs") + "[" + i + "]", e.getMessage());
      }
    }
    return new Plane(name, cidrs);
  }

  /** The planes in effect: the declared ones, or the single {@value #DEFAULT_PLANE} plane. */
  public List<Plane> effectivePlanes() {
    return planes.isEmpty() ? List.of(new Plane(DEFAULT_PLANE, List.of())) : planes;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("strictPlanes", strictPlanes)
        .put("planes", new JsonArray(planes.stream().map(Plane::toJson).toList()))
        .put("maxBodySize", maxBodySize)
        .put("maxConcurrentChecks", maxConcurrentChecks)
        .put("eventsRetained", eventsRetained);
  }

  /** Reads the JSON form (as a role receives its section). */
  public static RegistryOptions fromJson(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    RegistryOptions options = read(r);
    r.requireKnownKeys();
    return options;
  }
}
