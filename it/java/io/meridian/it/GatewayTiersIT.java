package io.meridian.it;

import static io.meridian.it.GatewayHttp.assertGatewayError;
import static io.meridian.it.GatewayHttp.await;
import static io.meridian.it.GatewayHttp.instance;
import static io.meridian.it.GatewayHttp.register;
import static io.meridian.it.GatewayHttp.seen;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateway tiers from one jar, as three clustered JVMs on 127.0.0.1 sharing one registry:
 * node {@code edge} runs the registry, the rules and an edge gateway; nodes {@code acme} and
 * {@code dflt} each run only a tenant gateway, scoped to tenant {@code acme} and {@code default},
 * registered as service {@code meridian-gateway} of their tenant (acme's by itself, {@code gateway.advertise}).
 */
class GatewayTiersIT {

  @TempDir
  Path work;

  /**
   * Verifies the two tiers: the edge picks the tenant from {@code /t/{tenant}/} and forwards to
   * that tenant's gateway, which routes to its own {@code orders} (the backend sees both
   * gateways in {@code Via} and two hops); without a tenant the request is for {@code default}
   * and never reaches acme's same-named service; shared/external services are reached straight
   * from the edge; a tenant picked by host ({@code acme.apps.test}) is forwarded like one named in
   * the path; a tenant without a gateway gets 503; the acme gateway refuses other tenants
   * and services that exist only in tenant {@code beta} with 404.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void anEdgeForwardsToTheTenantsGatewayAndNeverAcrossTenants() throws Exception {
    int[] hz = {MeridianProcess.freePort(), MeridianProcess.freePort(), MeridianProcess.freePort()};
    String cluster = "gw-tiers-" + Long.toString(System.nanoTime(), 36);
    List<AutoCloseable> closing = new ArrayList<>();
    try {
      MeridianProcess edge = node(closing, "edge", hz, 0, cluster, Map.of("MERIDIAN_GATEWAY_TIER", "edge",
          "MERIDIAN_GATEWAY_NAME", "edge", "MERIDIAN_GATEWAY_HOST_DOMAIN", "apps.test"), "registry,rules,gateway");
      // acme's gateway registers itself (gateway.advertise); default's is registered like any instance
      MeridianProcess acme = node(closing, "acme", hz, 1, cluster, Map.of("MERIDIAN_GATEWAY_TENANTS", "acme",
          "MERIDIAN_GATEWAY_NAME", "gw-acme", "MERIDIAN_GATEWAY_ADVERTISE", "127.0.0.1"), "gateway");
      MeridianProcess dflt = node(closing, "dflt", hz, 2, cluster, Map.of("MERIDIAN_GATEWAY_TENANTS", "default",
          "MERIDIAN_GATEWAY_NAME", "gw-default"), "gateway");
      for (MeridianProcess n : List.of(edge, acme, dflt)) {
        n.awaitReady(Duration.ofSeconds(60));
      }
      String token = MeridianProcess.adminToken(work.resolve("edge").resolve("data"));
      int edgePort = edge.boundPort("gateway", token);
      int acmePort = acme.boundPort("gateway", MeridianProcess.adminToken(work.resolve("acme").resolve("data")));
      int dfltPort = dflt.boundPort("gateway", MeridianProcess.adminToken(work.resolve("dflt").resolve("data")));

      HttpBackend acmeOrders = backend(closing, "orders-acme");
      HttpBackend defaultOrders = backend(closing, "orders-default");
      HttpBackend betaPayments = backend(closing, "payments-beta");
      HttpBackend weather = backend(closing, "weather");
      register(edge, token, instance("gw-default-1", "default", "meridian-gateway", null, dfltPort));
      register(edge, token, instance("orders-acme-1", "acme", "orders", "v1", acmeOrders.port()));
      register(edge, token, instance("orders-default-1", "default", "orders", "v1", defaultOrders.port()));
      register(edge, token, instance("payments-beta-1", "beta", "payments", "v1", betaPayments.port()));
      register(edge, token, instance("weather-1", "default", "weather", null, weather.port()).put("kind", "external"));

      // through the edge and acme's gateway to acme's orders
      JsonObject viaAcme = seen(await("acme reachable through the edge", Duration.ofSeconds(20),
          () -> GatewayHttp.get(edgePort, "/t/acme/api/orders/x?q=1"), r -> r.statusCode() == 200));
      assertThat(viaAcme.getString("backend")).isEqualTo("orders-acme");
      assertThat(viaAcme.getString("path")).isEqualTo("/x?q=1");
      assertThat(viaAcme.getJsonObject("headers").getString("via")).isEqualTo("1.1 edge, 1.1 gw-acme");
      assertThat(viaAcme.getJsonObject("headers").getString("x-meridian-hops")).isEqualTo("2");

      // no tenant named: tenant default, through default's gateway, never acme's orders
      JsonObject viaDefault = seen(await("default reachable through the edge", Duration.ofSeconds(20),
          () -> GatewayHttp.get(edgePort, "/api/orders/x"), r -> r.statusCode() == 200));
      assertThat(viaDefault.getJsonObject("headers").getString("via")).isEqualTo("1.1 edge, 1.1 gw-default");
      int acmeBefore = acmeOrders.requests();
      for (int i = 0; i < 20; i++) {
        JsonObject d = seen(GatewayHttp.get(edgePort, "/api/orders/x"));
        assertThat(d.getString("backend")).isEqualTo("orders-default");
        assertThat(d.getString("path")).isEqualTo("/x");
        assertThat(seen(GatewayHttp.get(edgePort, "/t/default/api/orders/v1/y")).getString("backend")).isEqualTo("orders-default");
        assertThat(seen(GatewayHttp.get(edgePort, "/t/acme/api/orders/v1/y")).getString("backend")).isEqualTo("orders-acme");
      }
      assertThat(acmeOrders.requests() - acmeBefore).isEqualTo(20);

      // the tenant picked by host ({tenant}.{hostDomain}) reaches the tenant's gateway too
      GatewayHttp.RawResponse byHost = GatewayHttp.rawGet(edgePort, "acme.apps.test", "/api/orders/x");
      assertThat(byHost.status()).as(byHost.head() + byHost.body()).isEqualTo(200);
      JsonObject viaHost = new JsonObject(byHost.body());
      assertThat(viaHost.getString("backend")).isEqualTo("orders-acme");
      assertThat(viaHost.getString("path")).isEqualTo("/x");
      assertThat(viaHost.getJsonObject("headers").getString("via")).isEqualTo("1.1 edge, 1.1 gw-acme");

      // an external service is reached straight from the edge, from any tenant
      JsonObject external = seen(await("weather reachable", Duration.ofSeconds(20),
          () -> GatewayHttp.get(edgePort, "/t/acme/api/weather/today"), r -> r.statusCode() == 200));
      assertThat(external.getString("backend")).isEqualTo("weather");
      assertThat(external.getJsonObject("headers").getString("via")).isEqualTo("1.1 edge");

      // a tenant without a gateway
      assertGatewayError(GatewayHttp.get(edgePort, "/t/beta/api/payments/x"), 503, "no_tenant_gateway", "edge");

      // the acme gateway serves acme only: other tenants and beta's service are unknown to it
      assertThat(seen(GatewayHttp.get(acmePort, "/t/acme/api/orders/x")).getString("backend")).isEqualTo("orders-acme");
      assertGatewayError(GatewayHttp.get(acmePort, "/t/acme/api/payments/x"), 404, "no_route", "gw-acme");
      assertGatewayError(GatewayHttp.get(acmePort, "/t/beta/api/payments/x"), 404, "unknown_tenant", "gw-acme");
      assertGatewayError(GatewayHttp.get(acmePort, "/api/orders/x"), 404, "unknown_tenant", "gw-acme");
      assertGatewayError(GatewayHttp.get(dfltPort, "/t/acme/api/orders/x"), 404, "unknown_tenant", "gw-default");
      assertThat(betaPayments.requests()).isZero();
    } finally {
      for (int i = closing.size() - 1; i >= 0; i--) {
        closing.get(i).close();
      }
    }
  }

  private static HttpBackend backend(List<AutoCloseable> closing, String name) throws IOException {
    HttpBackend b = HttpBackend.start(name, "v1");
    closing.add(b);
    return b;
  }

  /** Starts clustered node {@code index} of three (Hazelcast TCP members on loopback) with {@code roles}. */
  private MeridianProcess node(List<AutoCloseable> closing, String name, int[] hz, int index, String cluster,
      Map<String, String> extra, String roles) throws IOException {
    int admin = MeridianProcess.freePort();
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(admin, work.resolve(name).resolve("data")));
    StringBuilder members = new StringBuilder();
    for (int port : hz) {
      members.append(members.length() == 0 ? "" : ",").append("127.0.0.1:").append(port);
    }
    env.put("MERIDIAN_CLUSTER_PORT", String.valueOf(hz[index]));
    env.put("MERIDIAN_CLUSTER_MEMBERS", members.toString());
    env.put("MERIDIAN_CLUSTER_NAME", cluster);
    env.put("MERIDIAN_CLUSTER_HOST", "127.0.0.1");
    env.putAll(extra);
    MeridianProcess process = MeridianProcess.start(work.resolve(name), env, admin, "--cluster", "--roles", roles);
    closing.add(process);
    return process;
  }
}
