package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar meridian.jar --demo} as a newcomer starts it: within a minute the registry
 * has {@code orders} v1 and v2 (and {@code shop}) on both planes, the canary rules are applied,
 * traffic flows through the gateway to both versions, the telemetry role scrapes the demo's
 * targets and holds traces that cross shop and orders; it prints the UI's URL and the token
 * file, and stops cleanly on SIGTERM with its instances deregistered.
 */
class DemoIT {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir
  Path work;

  @FunctionalInterface
  private interface Check {
    String failure() throws Exception; // null = satisfied
  }

  /** Polls {@code check} until it reports no failure or the deadline passes (then fails with its last message). */
  private static void until(long deadlineNanos, String what, Check check) throws Exception {
    String last = "not checked";
    while (System.nanoTime() < deadlineNanos) {
      try {
        last = check.failure();
      } catch (java.io.IOException e) {
        last = e.toString();
      }
      if (last == null) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(what + " within " + DEADLINE.toSeconds() + " s: " + last);
  }

  /**
   * Verifies the demo's whole promise on the real jar: both versions on both planes with the
   * right addresses, the 90/10 VirtualService and its DestinationRule, gateway meters counting
   * requests to shop and to orders v1 and v2, every demo scrape target up, a trace through
   * shop and orders, the banner, and a clean stop.
   */
  @Test
  void aNewcomerSeesALiveMeshACanaryAndTracesWithinAMinute() throws Exception {
    int adminPort = MeridianProcess.freePort();
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(adminPort, work.resolve("ignored")));
    try (MeridianProcess p = MeridianProcess.start(work, env, adminPort, "--demo")) {
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      p.awaitReady(DEADLINE);
      Path dataDir = work.resolve("demo-data");
      until(deadline, "the banner", () -> p.stdout().contains("Meridian demo is running.") ? null : p.stdout());
      String token = MeridianProcess.adminToken(dataDir);
      assertThat(p.stdout()).contains("Web UI:       http://127.0.0.1:" + adminPort + "/  (log in with the admin token below)")
          .contains("Admin API:    http://127.0.0.1:" + adminPort + "/api/v1/")
          .contains("Admin token:  " + dataDir.toAbsolutePath().resolve("admin.token"));
      assertThat(p.stdout() + p.stderr()).doesNotContain(token);

      // registry: both versions of orders (and shop) on both planes, each plane its own address
      for (String[] plane : new String[][] {{"data", "127.0.0.1"}, {"mgmt", "127.0.0.2"}}) {
        until(deadline, "orders v1 and v2 on plane " + plane[0], () -> {
          HttpResponse<String> r = p.get("/api/v1/services/orders/endpoints?plane=" + plane[0], token);
          if (r.statusCode() != 200) {
            return r.statusCode() + " " + r.body();
          }
          Set<String> versions = new HashSet<>();
          for (Object o : new JsonObject(r.body()).getJsonArray("endpoints")) {
            JsonObject e = (JsonObject) o;
            if (!e.getString("address").equals(plane[1])) {
              return "address " + e.getString("address") + " on plane " + plane[0];
            }
            versions.add(e.getString("version"));
          }
          return versions.equals(Set.of("v1", "v2")) ? null : r.body();
        });
        HttpResponse<String> shop = p.get("/api/v1/services/shop/endpoints?plane=" + plane[0], token);
        assertThat(new JsonObject(shop.body()).getJsonArray("endpoints")).as(shop.body()).hasSize(1);
      }

      // rules: the canary
      until(deadline, "the canary rules", () -> {
        HttpResponse<String> r = p.get("/api/v1/rules/VirtualService/default/orders", token);
        if (r.statusCode() != 200) {
          return r.statusCode() + " " + r.body();
        }
        JsonArray route = new JsonObject(r.body()).getJsonObject("spec").getJsonArray("http").getJsonObject(0)
            .getJsonArray("route");
        return route.getJsonObject(0).getInteger("weight") == 90 && route.getJsonObject(1).getInteger("weight") == 10
            ? null : r.body();
      });
      assertThat(p.get("/api/v1/rules/DestinationRule/default/orders", token).statusCode()).isEqualTo(200);

      // gateway traffic: its meters count requests to shop and to both versions of orders
      until(deadline, "gateway requests to shop, orders v1 and orders v2", () -> {
        String metrics = p.get("/metrics", token).body();
        for (String[] sv : new String[][] {{"shop", ""}, {"orders", "v1"}, {"orders", "v2"}}) {
          if (count(metrics, sv[0], sv[1]) < 1) {
            return "no requests to " + sv[0] + " " + sv[1] + " yet";
          }
        }
        return null;
      });
      String metrics = p.get("/metrics", token).body();
      assertThat(count(metrics, "orders", "v1")).isGreaterThan(count(metrics, "orders", "v2"));

      // telemetry: the demo's three scrape targets up, and a trace through shop and orders
      until(deadline, "the demo's scrape targets up", () -> {
        HttpResponse<String> r = p.get("/api/v1/telemetry/targets", token);
        int up = 0;
        for (Object o : new JsonObject(r.body()).getJsonArray("targets")) {
          JsonObject t = (JsonObject) o;
          if (t.getString("url", "").startsWith("http://127.0.0.1:") && "up".equals(t.getString("health"))) {
            up++;
          }
        }
        return up == 3 ? null : r.body();
      });
      until(deadline, "a trace through shop and orders", () -> {
        HttpResponse<String> r = p.get("/api/v1/traces?service=orders&limit=20", token);
        for (Object o : new JsonObject(r.body()).getJsonArray("traces", new JsonArray())) {
          List<?> services = ((JsonObject) o).getJsonArray("services").getList();
          if (services.contains("shop") && services.contains("orders")) {
            return null;
          }
        }
        return r.body();
      });
      until(deadline, "the service metrics of orders by version", () -> {
        HttpResponse<String> r = p.get("/api/v1/metrics/service?name=orders&window=1m", token);
        int withRate = 0;
        for (Object o : new JsonObject(r.body()).getJsonArray("versions", new JsonArray())) {
          if (((JsonObject) o).getValue("rate") != null) {
            withRate++;
          }
        }
        return withRate == 2 ? null : r.body();
      });

      p.terminate();
      assertThat(p.waitForExit(Duration.ofSeconds(30))).isEqualTo(143);
      assertThat(p.stderr() + p.stdout()).contains("stopped");
    }

    // the demo deregistered its instances on the way out (the rules stay)
    int port = MeridianProcess.freePort();
    Map<String, String> plain = new HashMap<>(MeridianProcess.loopbackEnv(port, work.resolve("demo-data")));
    plain.put("MERIDIAN_REGISTRY_PLANES", "[{name: data, cidrs: [127.0.0.1/32]}, {name: mgmt, cidrs: [127.0.0.2/32]}]");
    try (MeridianProcess again = MeridianProcess.start(work, plain, port)) {
      again.awaitReady(DEADLINE);
      String token = MeridianProcess.adminToken(work.resolve("demo-data"));
      JsonObject instances = new JsonObject(again.get("/api/v1/instances", token).body());
      assertThat(instances.getJsonArray("instances")).as(instances.encode()).isEmpty();
      assertThat(again.get("/api/v1/rules/VirtualService/default/orders", token).statusCode()).isEqualTo(200);
    }
  }

  /** The gateway's request count for {@code service} and {@code version} on the node's /metrics (all statuses). */
  private static long count(String metrics, String service, String version) {
    Pattern line = Pattern.compile("^meridian_gateway_requests_seconds_count\\{([^}]*)} ([0-9.eE+]+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(metrics);
    long total = 0;
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("service=\"" + service + "\"") && labels.contains("version=\"" + version + "\"")) {
        total += (long) Double.parseDouble(m.group(2));
      }
    }
    return total;
  }
}
