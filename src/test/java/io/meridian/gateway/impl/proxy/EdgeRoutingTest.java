package io.meridian.gateway.impl.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.config.GatewayOptions;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.impl.route.RouteTable;
import io.meridian.gateway.impl.route.RouteTableBuilder;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.Instance;
import io.meridian.registry.InstanceSpec;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How an edge gateway hands a request to a tenant's gateway, and how that gateway reads it. */
class EdgeRoutingTest {

  private final List<EmbeddedChannel> channels = new java.util.ArrayList<>();

  @AfterEach
  void close() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  private static Instance instance(String id, String tenant, String service, int port) {
    JsonObject spec = new JsonObject().put("id", id).put("tenant", tenant)
        .put("endpoints", new JsonArray().add(new JsonObject().put("plane", "default").put("address", "10.0.0.1")))
        .put("services", new JsonArray().add(new JsonObject().put("name", service).put("port", port)
            .put("planes", new JsonArray().add("default"))));
    return new Instance(InstanceSpec.fromJson(spec), 1, 1, 1, "t", "test",
        new HealthStatus(HealthStatus.PASSING, "", "t", "t"));
  }

  private static final List<Instance> REGISTRY = List.of(
      instance("gw-acme", "acme", Routing.TENANT_GATEWAY_SERVICE, 9080),
      instance("gw-default", "default", Routing.TENANT_GATEWAY_SERVICE, 9081),
      instance("orders-acme", "acme", "orders", 8080),
      instance("orders-default", "default", "orders", 8081));

  /** Routes {@code GET target} (with {@code host}) at a gateway configured by {@code gateway}; the exchange after routing. */
  private ProxyExchange route(JsonObject gateway, String host, String target) {
    return route(gateway, host, target, List.of());
  }

  private ProxyExchange route(JsonObject gateway, String host, String target, List<io.meridian.rules.Rule> rules) {
    GatewayOptions options = GatewayOptions.fromJson(gateway);
    GatewayRuntime runtime = new GatewayRuntime(options, null);
    RouteTable table = new RouteTableBuilder(options).build(REGISTRY, rules);
    runtime.routes(table);
    Downstream downstream = new Downstream(runtime, false, "HTTP/1.1", false);
    EmbeddedChannel channel = new EmbeddedChannel(downstream);
    channels.add(channel);
    DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
    request.headers().set(HttpHeaderNames.HOST, host);
    ProxyExchange x = new ProxyExchange(downstream, request);
    PluginFailure failure = new Routing(options).route(x);
    assertThat(failure).as(failure == null ? "" : failure.getMessage()).isNull();
    return x;
  }

  private static JsonObject edge() {
    return new JsonObject().put("tier", "edge").put("name", "edge").put("hostDomain", "apps.test");
  }

  /**
   * Verifies that a tenant the edge picked from the host travels on to the tenant's gateway as
   * a {@code /t/{tenant}} prefix, so that a gateway serving every tenant routes it to that
   * tenant's service — not to the same-named service of tenant {@code default}.
   */
  @Test
  void aTenantPickedByHostIsForwardedExplicitly() {
    ProxyExchange atEdge = route(edge(), "acme.apps.test", "/api/orders/x?q=1");
    assertThat(atEdge.service.name()).isEqualTo(Routing.TENANT_GATEWAY_SERVICE);
    assertThat(atEdge.service.tenant()).isEqualTo("acme");
    assertThat(atEdge.upstreamUri()).isEqualTo("/t/acme/api/orders/x?q=1");

    ProxyExchange atTenantGateway = route(new JsonObject().put("name", "gw-all"), "acme.apps.test", atEdge.upstreamUri());
    assertThat(atTenantGateway.service.tenant()).isEqualTo("acme");
    assertThat(atTenantGateway.service.name()).isEqualTo("orders");
    assertThat(atTenantGateway.upstreamUri()).isEqualTo("/x?q=1");

    // the same hostDomain on both tiers: the explicit /t/{tenant} path wins over the host's single label
    ProxyExchange sameDomain = route(new JsonObject().put("hostDomain", "apps.test"), "acme.apps.test", atEdge.upstreamUri());
    assertThat(sameDomain.service.tenant()).isEqualTo("acme");
    assertThat(sameDomain.service.name()).isEqualTo("orders");

    // {service}.{tenant} hosts mean the same to both tiers: forwarded as they are
    ProxyExchange serviceHost = route(edge(), "orders.acme.apps.test", "/x");
    assertThat(serviceHost.service.tenant()).isEqualTo("acme");
    assertThat(serviceHost.upstreamUri()).isEqualTo("/x");
    ProxyExchange thenTenant = route(new JsonObject().put("hostDomain", "apps.test"), "orders.acme.apps.test", "/x");
    assertThat(thenTenant.service.tenant()).isEqualTo("acme");
    assertThat(thenTenant.service.name()).isEqualTo("orders");
    assertThat(thenTenant.upstreamUri()).isEqualTo("/x");
  }

  /** Verifies that a tenant named in the path, or none (tenant {@code default}), is forwarded as the client sent it. */
  @Test
  void aTenantInThePathOrNoneIsForwardedAsSent() {
    ProxyExchange inPath = route(edge(), "edge.example", "/t/acme/api/orders/x");
    assertThat(inPath.service.tenant()).isEqualTo("acme");
    assertThat(inPath.upstreamUri()).isEqualTo("/t/acme/api/orders/x");

    ProxyExchange none = route(edge(), "edge.example", "/api/orders/x");
    assertThat(none.service.tenant()).isEqualTo("default");
    assertThat(none.service.name()).isEqualTo(Routing.TENANT_GATEWAY_SERVICE);
    assertThat(none.upstreamUri()).isEqualTo("/api/orders/x");
  }

  /**
   * Verifies that a plugin changing a header the service's routes match on makes the ROUTE
   * phase match again (and that other headers, like the request id, do not).
   */
  @Test
  void aHeaderChangedByAPluginIsRoutedOnOnlyWhenARouteMatchesIt() {
    io.meridian.rules.Rule vs = new io.meridian.rules.Rule(io.meridian.rules.RuleKind.VIRTUAL_SERVICE,
        "networking.istio.io/v1", "default", "orders", java.util.Map.of(), java.util.Map.of(), new JsonObject(
            "{\"hosts\":[\"orders\"],\"http\":[{\"name\":\"beta\",\"match\":[{\"headers\":{\"x-user\":{\"exact\":\"b\"}}}],"
                + "\"route\":[{\"destination\":{\"host\":\"orders\"}}]},{\"name\":\"rest\",\"route\":[{\"destination\":{\"host\":\"orders\"}}]}]}"),
        1, 1, "t", "test");
    ProxyExchange x = route(new JsonObject(), "gw", "/api/orders/x", List.of(vs));
    assertThat(x.route()).isEqualTo("rest");
    x.setRequestHeader("x-request-id", "abc");
    assertThat(x.routeDirty).isFalse();
    x.setRequestHeader("X-User", "b");
    assertThat(x.routeDirty).isTrue();
    Routing routing = new Routing(GatewayOptions.fromJson(new JsonObject()));
    assertThat(routing.onRequest(x).succeeded()).isTrue();
    assertThat(x.route()).isEqualTo("beta");
  }
}
