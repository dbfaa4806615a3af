package io.meridian.gateway.impl.route;

import java.util.List;
import java.util.Map;

/**
 * One generation of the gateway's routing state, built from its scoped registry view and the
 * rules, swapped atomically when either changes (requests in flight keep the table they
 * started with). Immutable.
 *
 * @param generation increases with every rebuild
 * @param services   by {@code tenant/name}
 * @param shared     {@code shared} and {@code external} services by name, reachable from every tenant
 *                   (a name shared by two tenants is ambiguous and left out)
 * @param prefixes   custom binding path prefixes, longest first
 * @param tcp        TCP services by {@code tenant/name}
 */
public record RouteTable(long generation, Map<String, ServiceRoutes> services, Map<String, ServiceRoutes> shared,
    List<Prefix> prefixes, Map<String, Cluster> tcp, Map<String, NameIndex> byTenant, NameIndex sharedIndex) {

  /** A custom path prefix and the service it selects. */
  public record Prefix(String prefix, ServiceRoutes service) {
  }

  public static final RouteTable EMPTY = new RouteTable(0, Map.of(), Map.of(), List.of(), Map.of(), Map.of(), NameIndex.EMPTY);

  /** The service {@code name} as seen from {@code tenant}: its own, else a shared one; {@code null} if none. */
  public ServiceRoutes service(String tenant, String name) {
    return service(tenant, name, 0, name.length());
  }

  /** As {@link #service(String, String)} for the name {@code s[start, end)} (no allocation). */
  public ServiceRoutes service(String tenant, String s, int start, int end) {
    NameIndex own = byTenant.get(tenant);
    ServiceRoutes found = own == null ? null : own.get(s, start, end);
    return found != null ? found : sharedIndex.get(s, start, end);
  }

  /** The service whose custom prefix starts {@code path} (within {@code tenant}, or shared), or {@code null}. */
  public Prefix prefix(String tenant, String path) {
    for (Prefix p : prefixes) {
      String prefix = p.prefix();
      if (path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/'
          || prefix.endsWith("/"))) {
        ServiceRoutes s = p.service();
        if (s.tenant().equals(tenant) || !s.kind().equals("mesh")) {
          return p;
        }
      }
    }
    return null;
  }
}
