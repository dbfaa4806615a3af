package io.meridian.it;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * Verifies the split deployment: every case of {@link GatewayIT} (versions in the URL, the 90/10
 * canary over 1,000 requests, a killed instance failing no request, outlier ejection, the error
 * mapping with a TTL expiring and a heartbeat, the loop between two gateways) passes unchanged
 * with gateway {@value GatewayIT#GATEWAY} alone on its own node of a two-node cluster, while the
 * registry and the rules run on the other node, which the test registers and applies rules to.
 */
class GatewaySplitIT extends GatewayIT {

  static final String TOKEN = "gateway-split-it-admin-token-0123456789";

  @Override
  @BeforeAll
  void start() throws Exception {
    int hzA = MeridianProcess.freePort();
    int hzB = MeridianProcess.freePort();
    int adminA = MeridianProcess.freePort();
    int adminB = MeridianProcess.freePort();
    String name = "split-" + Long.toString(System.nanoTime(), 36);
    String members = "127.0.0.1:" + hzA + ",127.0.0.1:" + hzB;
    node = MeridianProcess.start(work.resolve("control"), env(adminA, hzA, members, name, "control"), adminA,
        "--cluster", "--roles", "registry,rules");
    node.awaitReady(Duration.ofSeconds(60));
    Map<String, String> gatewayEnv = env(adminB, hzB, members, name, "edge");
    gatewayEnv.put("MERIDIAN_GATEWAY_NAME", GATEWAY);
    gatewayNode = MeridianProcess.start(work.resolve("edge"), gatewayEnv, adminB, "--cluster", "--roles", "gateway");
    gatewayNode.awaitReady(Duration.ofSeconds(60));
    token = TOKEN;
    gateway = gatewayNode.boundPort("gateway", token);
  }

  private static Map<String, String> env(int admin, int hz, String members, String name, String dir) {
    Map<String, String> env = MeridianProcess.loopbackEnv(admin, work.resolve(dir).resolve("data"));
    env.put("MERIDIAN_CLUSTER_PORT", String.valueOf(hz));
    env.put("MERIDIAN_CLUSTER_MEMBERS", members);
    env.put("MERIDIAN_CLUSTER_NAME", name);
    env.put("MERIDIAN_CLUSTER_HOST", "127.0.0.1");
    env.put("MERIDIAN_ADMIN_TOKEN", TOKEN);
    return env;
  }
}
