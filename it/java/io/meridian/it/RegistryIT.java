package io.meridian.it;

import io.meridian.testing.Examples;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies the registry as a user tries it, on the real jar: the "done when" walk-through. */
class RegistryIT {

  static final String ORDERS = Examples.orders().replace("\"ttl\": \"15s\"", "\"ttl\": \"2s\"");

  @TempDir
  Path work;

  private Map<String, String> env(int admin) throws Exception {
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(admin, work.resolve("data")));
    Path conf = work.resolve("planes.yaml");
    Files.writeString(conf, """
        registry:
          planes:
            - name: data
              cidrs: [10.0.0.0/8]
            - name: mgmt
              cidrs: [192.168.0.0/16]
        """);
    return env;
  }

  private static JsonArray endpoints(MeridianProcess m, String token, String query) throws Exception {
    return new JsonObject(m.get("/api/v1/services/orders/endpoints?" + query, token).body()).getJsonArray("endpoints");
  }

  @Test
  void registerResolvePerPlaneExpireAndSurviveARestart() throws Exception {
    int admin = MeridianProcess.freePort();
    Map<String, String> env = env(admin);
    String conf = work.resolve("planes.yaml").toString();
    try (MeridianProcess m = MeridianProcess.start(work, env, admin, "--conf", conf)) {
      m.awaitReady(Duration.ofSeconds(60));
      String token = Files.readString(work.resolve("data").resolve("admin.token")).trim();
      HttpResponse<String> created = m.send("POST", "/api/v1/instances", token, ORDERS);
      assertThat(created.statusCode()).isEqualTo(201);
      long registeredAt = System.nanoTime();

      JsonArray data = endpoints(m, token, "tenant=shop&plane=data");
      assertThat(data).hasSize(1);
      assertThat(data.getJsonObject(0).getString("address")).isEqualTo("10.1.0.5");
      assertThat(endpoints(m, token, "tenant=shop&plane=mgmt")).isEmpty();

      // no heartbeats: critical within TTL + 1 s, and out of the healthy list
      while (!endpoints(m, token, "tenant=shop&plane=data").isEmpty()) {
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - registeredAt)).isLessThan(3000);
        Thread.sleep(50);
      }
      JsonObject instance = new JsonObject(m.get("/api/v1/instances/orders-7f9c", token).body());
      assertThat(instance.getJsonObject("status").getString("state")).isEqualTo("critical");
      assertThat(endpoints(m, token, "tenant=shop&plane=data&healthy=false")).hasSize(1);

      m.terminate();
      assertThat(m.waitForExit(Duration.ofSeconds(30))).isIn(0, 143);
    }
    try (MeridianProcess m = MeridianProcess.start(work, env, admin, "--conf", conf)) {
      m.awaitReady(Duration.ofSeconds(60));
      String token = Files.readString(work.resolve("data").resolve("admin.token")).trim();
      JsonObject instance = new JsonObject(m.get("/api/v1/instances/orders-7f9c", token).body());
      assertThat(instance.getString("tenant")).isEqualTo("shop");
      assertThat(instance.getJsonArray("endpoints")).hasSize(2);
    }
  }

  @Test
  void noAcknowledgedRegistrationIsLostToKill9() throws Exception {
    int admin = MeridianProcess.freePort();
    Map<String, String> env = env(admin);
    ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
    String conf = work.resolve("planes.yaml").toString();
    try (MeridianProcess m = MeridianProcess.start(work, env, admin, "--conf", conf)) {
      m.awaitReady(Duration.ofSeconds(60));
      String token = Files.readString(work.resolve("data").resolve("admin.token")).trim();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        int writer = w;
        writers.add(pool.submit(() -> {
          for (int i = 0; ; i++) {
            String id = "w" + writer + "-" + i;
            String body = "{\"id\":\"" + id + "\",\"endpoints\":[{\"plane\":\"data\",\"address\":\"10.9." + writer + "." + (i % 250)
                + "\"}],\"services\":[{\"name\":\"load\",\"port\":80}]}";
            try {
              if (m.send("POST", "/api/v1/instances", token, body).statusCode() == 201) {
                acknowledged.add(id);
              }
            } catch (Exception killed) {
              return null;
            }
          }
        }));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acknowledged.size() < 300 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(300);
      m.process().destroyForcibly();
      m.process().waitFor(10, TimeUnit.SECONDS);
      for (Future<?> f : writers) {
        f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
    }
    try (MeridianProcess m = MeridianProcess.start(work, env, admin, "--conf", conf)) {
      m.awaitReady(Duration.ofSeconds(60));
      String token = Files.readString(work.resolve("data").resolve("admin.token")).trim();
      JsonArray instances = new JsonObject(m.get("/api/v1/instances?service=load", token).body()).getJsonArray("instances");
      List<String> ids = instances.stream().map(i -> ((JsonObject) i).getString("id")).toList();
      assertThat(ids).containsAll(acknowledged);
    }
  }
}
