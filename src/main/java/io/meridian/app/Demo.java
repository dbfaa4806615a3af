package io.meridian.app;

import io.meridian.app.demo.DemoMesh;
import io.meridian.common.config.MeridianConfig;
import io.meridian.common.config.RoleNames;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code --demo} on a started node: deploys the {@link DemoMesh}, prints where to look, stops it first on shutdown. */
final class Demo {

  /** The roles the demo needs in the same process. */
  static final List<String> ROLES = List.of("registry", "rules", "gateway", "telemetry");

  private static final Logger LOG = LoggerFactory.getLogger(Demo.class);

  private final Node node;
  private final String deployment;

  private Demo(Node node, String deployment) {
    this.node = node;
    this.deployment = deployment;
  }

  static Demo start(Node node, MeridianConfig config, PrintStream out) throws Exception {
    int gatewayPort = node.status().getJsonObject("ports").getInteger("gateway");
    String id = DemoMesh.deploy(node.vertx(), gatewayPort).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    String host = config.listeners().get("admin").host();
    String adminHost = host == null || host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    String admin = "http://" + adminHost + ":" + node.adminPort();
    String token = node.adminToken().file() != null && !"config".equals(node.adminToken().source())
        ? node.adminToken().file().toAbsolutePath().toString() : null;
    out.println();
    out.println("Meridian demo is running.");
    if (config.roles().contains(RoleNames.UI)) {
      out.println("  Web UI:       " + admin + "/  (log in with the admin token below)");
    }
    out.println("  Admin API:    " + admin + "/api/v1/");
    out.println("  Admin token:  " + (token != null ? token + "  (paste its content into the login; the API's bearer token)"
        : "the one set in admin.token / MERIDIAN_ADMIN_TOKEN"));
    out.println("  Mesh:         shop v1 -> orders v1 (90%) / v2 (10%, fails 1 request in " + DemoMesh.V2_FAIL_EVERY
        + "), planes " + DemoMesh.DATA_PLANE + " (" + DemoMesh.DATA_ADDRESS + ") and " + DemoMesh.MGMT_PLANE + " ("
        + DemoMesh.MGMT_ADDRESS + ")");
    out.println("  Traffic:      " + DemoMesh.REQUESTS_PER_SECOND + " requests/s to http://" + DemoMesh.DATA_ADDRESS + ":"
        + gatewayPort + "/api/shop/checkout, every request traced; metrics scraped every 5 s");
    if (token != null) {
      out.println("  Try:          curl -H \"Authorization: Bearer $(cat " + token + ")\" " + admin
          + "/api/v1/services/orders/endpoints?plane=" + DemoMesh.MGMT_PLANE);
    }
    out.println("  Stop:         Ctrl-C");
    out.println();
    out.flush();
    return new Demo(node, id);
  }

  void stop() {
    try {
      node.vertx().undeploy(deployment).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("stopping the demo failed: {}", e.toString());
    }
  }
}
