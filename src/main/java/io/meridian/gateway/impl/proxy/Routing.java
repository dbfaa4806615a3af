package io.meridian.gateway.impl.proxy;

import io.meridian.common.config.GatewayOptions;
import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.impl.route.Cluster;
import io.meridian.gateway.impl.route.HttpRoute;
import io.meridian.gateway.impl.route.RouteTable;
import io.meridian.gateway.impl.route.ServiceRoutes;
import io.vertx.core.Future;

/**
 * The routing step (a plugin of phase {@link Phase#ROUTE}): from the request's host and path to
 * the tenant, the service, the VirtualService route and the cluster to call.
 *
 * <p>URL forms (after an optional {@code /t/{tenant}} prefix, which picks the tenant; without
 * it the tenant is {@code default}, or the one named by a {@code {service}.{tenant}.{hostDomain}}
 * host): {@code /api/{service}/v{n}/…} (pins the service's version {@code v{n}}),
 * {@code /api/{service}/…}, {@code /iui/{service}/…}, a binding's own {@code path} prefix, and
 * host-based {@code {service}.{hostDomain}}. An edge gateway forwards to the tenant's gateways
 * (service {@code meridian-gateway} of that tenant) unless the service is shared or external.
 */
public final class Routing implements GatewayPlugin {

  /** The service tenant gateways register under (an edge forwards to it). */
  public static final String TENANT_GATEWAY_SERVICE = "meridian-gateway";

  private final GatewayOptions options;
  private final boolean edge;
  private final String hostSuffix;

  public Routing(GatewayOptions options) {
    this.options = options;
    this.edge = options.tier().equals(GatewayOptions.EDGE);
    this.hostSuffix = options.hostDomain() == null ? null : "." + options.hostDomain();
  }

  @Override
  public String id() {
    return "routing";
  }

  @Override
  public Phase phase() {
    return Phase.ROUTE;
  }

  @Override
  public Future<Void> onRequest(Exchange exchange) {
    ProxyExchange x = (ProxyExchange) exchange;
    if (x.routeDirty) {
      // a plugin changed headers the route may match on
      x.routeDirty = false;
      x.routeFailure = route(x);
    }
    PluginFailure failure = x.routeFailure;
    return failure == null ? Future.succeededFuture() : Future.failedFuture(failure);
  }

  /** Sets the exchange's routing fields; returns why it cannot be routed, or {@code null}. */
  PluginFailure route(ProxyExchange x) {
    RouteTable table = x.table;
    String target = x.target;
    int pathEnd = x.pathEnd;
    String tenant = "default";
    String hostService = null;
    boolean hostTenant = false;
    int base = 0;
    if (hostSuffix != null) {
      String host = x.host();
      if (host.endsWith(hostSuffix)) {
        String labels = host.substring(0, host.length() - hostSuffix.length());
        int dot = labels.indexOf('.');
        if (edge) {
          tenant = dot < 0 ? labels : labels.substring(dot + 1);
          // {tenant}.{domain} is made explicit for the tenant gateway (to it, one label names a service);
          // {service}.{tenant}.{domain} means the same to both tiers and passes as it is
          hostTenant = dot < 0;
        } else if (dot < 0) {
          hostService = labels;
        } else {
          hostService = labels.substring(0, dot);
          tenant = labels.substring(dot + 1);
        }
      }
    }
    if (target.startsWith("/t/")) {
      int end = target.indexOf('/', 3);
      if (end < 0 || end > pathEnd) {
        end = pathEnd;
      }
      tenant = target.substring(3, end);
      base = end;
      hostTenant = false;
      hostService = null; // an explicit tenant path is routed by its path, whatever the host says
    }
    x.tenant = tenant;
    if (!options.serves(tenant)) {
      return new PluginFailure(404, "unknown_tenant", "tenant '" + tenant + "' is not served by gateway " + options.name());
    }
    // the request path after the tenant prefix is target[base, pathEnd) ("" means "/")
    ServiceRoutes service;
    int serviceStart;
    String pinned = null;
    if (hostService != null) {
      service = table.service(tenant, hostService);
      if (service == null) {
        return new PluginFailure(404, "no_route", "no service '" + hostService + "' in tenant '" + tenant + "'");
      }
      serviceStart = base;
    } else if (target.startsWith("/api/", base) || target.startsWith("/iui/", base)) {
      boolean api = target.charAt(base + 1) == 'a';
      int nameStart = base + 5;
      int nameEnd = target.indexOf('/', nameStart);
      if (nameEnd < 0 || nameEnd > pathEnd) {
        nameEnd = pathEnd;
      }
      service = table.service(tenant, target, nameStart, nameEnd);
      if (edge && (service == null || service.kind().equals("mesh"))) {
        return forwardToTenantGateway(x, table, tenant, base, hostTenant);
      }
      if (service == null) {
        return new PluginFailure(404, "no_route", "no service '" + target.substring(nameStart, nameEnd) + "' in tenant '"
            + tenant + "'");
      }
      serviceStart = nameEnd;
      if (api && service.versioned() && nameEnd + 2 < pathEnd && target.charAt(nameEnd + 1) == 'v'
          && Character.isDigit(target.charAt(nameEnd + 2))) {
        int vEnd = target.indexOf('/', nameEnd + 1);
        if (vEnd < 0 || vEnd > pathEnd) {
          vEnd = pathEnd;
        }
        pinned = target.substring(nameEnd + 1, vEnd);
        serviceStart = vEnd;
      }
    } else {
      String rest = base == 0 ? x.path() : target.substring(base, pathEnd);
      RouteTable.Prefix prefix = table.prefix(tenant, rest.isEmpty() ? "/" : rest);
      if (prefix == null) {
        if (edge) {
          return forwardToTenantGateway(x, table, tenant, base, hostTenant);
        }
        return new PluginFailure(404, "no_route", "no service matches " + x.method() + " " + x.uri()
            + " (forms: /api/{service}/…, /api/{service}/v{n}/…, /iui/{service}/…, a binding path, /t/{tenant}/…)");
      }
      service = prefix.service();
      serviceStart = Math.min(pathEnd, base + prefix.prefix().length());
    }
    x.service = service;
    x.serviceStart = serviceStart;
    x.forwardStart = service.stripPrefix() ? -1 : base;
    HttpRoute route = service.route(x);
    if (route == null) {
      return new PluginFailure(404, "no_route", "no route of the VirtualService of '" + service.name() + "' matches "
          + x.method() + " " + x.servicePath());
    }
    x.route = route;
    if (route.direct != null || route.redirect != null) {
      return null;
    }
    if (route.destinations.length == 0) {
      return new PluginFailure(503, "no_healthy_endpoint", "the route " + route.name + " has no destination");
    }
    // sticky canary: the host's consistent-hash key also picks among weighted destinations
    Cluster all = service.all();
    HttpRoute.Destination destination = route.destinations.length > 1 && all != null
        && all.lb.kind() == io.meridian.gateway.impl.route.LbPolicy.Kind.CONSISTENT_HASH
        ? route.pick(x.hashKey(all.lb)) : route.pick();
    x.destination = destination;
    if (pinned != null) {
      Cluster c = service.versions().get(pinned);
      if (c == null && pinned.length() > 1) {
        c = service.versions().get(pinned.substring(1));
      }
      if (c == null) {
        return new PluginFailure(503, "no_healthy_endpoint", "no healthy instance of " + service.name() + " version " + pinned
            + " (versions: " + String.join(", ", service.versions().keySet()) + ")");
      }
      x.cluster = c;
      x.version = c.subset; // the version as registered (v1 may have been found as 1)
    } else {
      x.cluster = destination.cluster();
      x.version = destination.cluster().subset;
    }
    return null;
  }

  /**
   * Sends the request on to a gateway of {@code tenant} as the client sent it; a tenant the
   * edge took from the host is made explicit with a {@code /t/{tenant}} prefix (the tenant
   * gateway reads hosts as {@code {service}[.{tenant}]}, so it would otherwise take the
   * request for tenant {@code default}).
   */
  private PluginFailure forwardToTenantGateway(ProxyExchange x, RouteTable table, String tenant, int base,
      boolean hostTenant) {
    ServiceRoutes gateways = table.services().get(tenant + "/" + TENANT_GATEWAY_SERVICE);
    if (gateways == null) {
      return new PluginFailure(503, "no_tenant_gateway", "no gateway is registered for tenant '" + tenant
          + "' (service " + TENANT_GATEWAY_SERVICE + ")");
    }
    x.service = gateways;
    x.serviceStart = base;
    x.forwardStart = 0; // the tenant gateway sees the request as the client sent it
    x.forwardPrefix = hostTenant ? "/t/" + tenant : null;
    HttpRoute route = gateways.routes()[0];
    x.route = route;
    x.destination = route.destinations.length == 0 ? null : route.destinations[0];
    x.cluster = gateways.all();
    return null;
  }
}
