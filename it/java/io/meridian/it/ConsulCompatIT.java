package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.consul.BlockingQueryOptions;
import io.vertx.ext.consul.CheckOptions;
import io.vertx.ext.consul.CheckStatus;
import io.vertx.ext.consul.ConsulClient;
import io.vertx.ext.consul.ConsulClientOptions;
import io.vertx.ext.consul.ServiceEntry;
import io.vertx.ext.consul.ServiceEntryList;
import io.vertx.ext.consul.ServiceList;
import io.vertx.ext.consul.ServiceOptions;
import io.vertx.ext.consul.ServiceQueryOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the Consul-compatible API of the real jar with a real Consul client library
 * (vertx-consul-client), plus a registration with TaggedAddresses exactly as Consul's Go client
 * sends it (the Java clients do not support TaggedAddresses).
 */
class ConsulCompatIT {

  /** What Consul's Go api.Agent().ServiceRegister(&AgentServiceRegistration{...}) puts on the wire. */
  static final String GO_REGISTRATION = """
      {"ID":"orders-1","Name":"orders","Tags":["primary"],"Port":8080,"Address":"10.1.0.5",
       "TaggedAddresses":{"mgmt":{"Address":"192.168.5.5","Port":8080}},
       "Meta":{"version":"v2","plane":"data"},
       "Check":{"CheckID":"orders-ttl","Name":"orders TTL","TTL":"30s","DeregisterCriticalServiceAfter":"10m"}}
      """;

  @TempDir
  Path work;

  MeridianProcess meridian;
  Vertx vertx;
  ConsulClient consul;
  WebClient web;
  int consulPort;
  String token;

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @BeforeEach
  void start() throws Exception {
    int admin = MeridianProcess.freePort();
    consulPort = MeridianProcess.freePort();
    Map<String, String> env = new HashMap<>(MeridianProcess.loopbackEnv(admin, work.resolve("data")));
    env.put("MERIDIAN_CONSUL_PORT", Integer.toString(consulPort));
    env.put("MERIDIAN_REGISTRY_PLANES", "[{name: data, cidrs: [10.0.0.0/8]}, {name: mgmt, cidrs: [192.168.0.0/16]}]");
    meridian = MeridianProcess.start(work, env, admin, "--roles", "registry");
    meridian.awaitReady(Duration.ofSeconds(60));
    String adminToken = Files.readString(work.resolve("data").resolve("admin.token")).trim();
    token = new JsonObject(meridian.send("POST", "/api/v1/tokens", adminToken, "{\"name\":\"svc\",\"role\":\"operator\"}").body())
        .getString("token");
    vertx = Vertx.vertx();
    consul = ConsulClient.create(vertx, new ConsulClientOptions().setHost("127.0.0.1").setPort(consulPort).setAclToken(token));
    web = WebClient.create(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
    meridian.close();
  }

  private HttpResponse<Buffer> put(String path, String body, String tokenHeader) throws Exception {
    var request = web.put(consulPort, "127.0.0.1", path);
    if (tokenHeader != null) {
      request.putHeader("X-Consul-Token", tokenHeader);
    }
    return await(request.sendBuffer(Buffer.buffer(body)));
  }

  @Test
  void aConsulClientRegistersPassesWatchesAndDeregisters() throws Exception {
    // register with TaggedAddresses on two planes and a TTL check (starts critical, as in Consul)
    assertThat(put("/v1/agent/service/register", GO_REGISTRATION, token).statusCode()).isEqualTo(200);
    ServiceEntryList critical = await(consul.healthServiceNodesWithOptions("orders", true,
        new ServiceQueryOptions().setBlockingOptions(new BlockingQueryOptions())));
    assertThat(critical.getList()).isEmpty();

    await(consul.passCheck("orders-ttl"));
    ServiceEntryList passing = await(consul.healthServiceNodes("orders", true));
    assertThat(passing.getList()).hasSize(1);
    ServiceEntry entry = passing.getList().get(0);
    assertThat(entry.getService().getId()).isEqualTo("orders-1");
    assertThat(entry.getService().getAddress()).isEqualTo("10.1.0.5");
    assertThat(entry.getService().getPort()).isEqualTo(8080);
    assertThat(entry.getService().getMeta()).containsEntry("version", "v2");
    assertThat(entry.getChecks()).singleElement().satisfies(c -> assertThat(c.getStatus()).isEqualTo(CheckStatus.PASSING));

    // the planes are kept: each consumer gets only its plane's address (Meridian's API and ?plane=)
    JsonObject mgmt = new JsonObject(meridian.get("/api/v1/services/orders/endpoints?plane=mgmt", token).body());
    assertThat(mgmt.getJsonArray("endpoints").getJsonObject(0).getString("address")).isEqualTo("192.168.5.5");
    String planeQuery = await(web.get(consulPort, "127.0.0.1", "/v1/catalog/service/orders?plane=mgmt")
        .putHeader("X-Consul-Token", token).send()).bodyAsString();
    assertThat(planeQuery).contains("192.168.5.5").doesNotContain("10.1.0.5");

    // a blocking query wakes within 1 s of a change
    long index = passing.getIndex();
    Future<ServiceEntryList> watching = consul.healthServiceNodesWithOptions("orders", true,
        new ServiceQueryOptions().setBlockingOptions(new BlockingQueryOptions().setIndex(index).setWait("30s")));
    Thread.sleep(300);
    assertThat(watching.isComplete()).isFalse();
    long changedAt = System.nanoTime();
    await(consul.failCheck("orders-ttl"));
    ServiceEntryList woken = watching.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    long wokeAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changedAt);
    assertThat(woken.getList()).isEmpty();
    assertThat(woken.getIndex()).isGreaterThan(index);
    assertThat(wokeAfterMs).as("blocking query woke %d ms after the change", wokeAfterMs).isLessThan(1000);

    await(consul.deregisterService("orders-1"));
    assertThat(await(consul.catalogServiceNodes("orders")).getList()).isEmpty();
  }

  @Test
  void theTypedClientRegistersAndDiscovers() throws Exception {
    await(consul.registerService(new ServiceOptions().setId("pay-1").setName("pay").setAddress("10.2.0.1").setPort(9000)
        .setTags(List.of("blue")).setMeta(Map.of("version", "v1"))
        .setCheckOptions(new CheckOptions().setTtl("10s").setStatus(CheckStatus.PASSING))));
    ServiceList nodes = await(consul.catalogServiceNodes("pay"));
    assertThat(nodes.getList()).singleElement().satisfies(s -> {
      assertThat(s.getAddress()).isEqualTo("10.2.0.1");
      assertThat(s.getPort()).isEqualTo(9000);
      assertThat(s.getTags()).containsExactly("blue");
    });
    assertThat(nodes.getIndex()).isPositive();
    ServiceList services = await(consul.catalogServices());
    assertThat(services.getList()).anySatisfy(s -> assertThat(s.getName()).isEqualTo("pay"));
    assertThat(await(consul.healthServiceNodes("pay", true)).getList()).hasSize(1);
    await(consul.passCheck("service:pay-1"));
    assertThat(await(consul.localServices())).anySatisfy(s -> assertThat(s.getId()).isEqualTo("pay-1"));
    // exactly Consul's answer: a JSON string and a newline (vertx-consul-client trims it and then
    // cuts two more characters, so it reports the port without its last digit, as with Consul)
    String leader = await(web.get(consulPort, "127.0.0.1", "/v1/status/leader").send()).bodyAsString();
    assertThat(leader).isEqualTo("\"127.0.0.1:" + consulPort + "\"\n");
    assertThat(await(consul.leaderStatus())).startsWith("127.0.0.1:");
    assertThat(await(consul.agentInfo()).getJsonObject("Config").getString("Datacenter")).isEqualTo("dc1");
    // the registration is a Meridian instance like any other
    JsonObject instance = new JsonObject(meridian.get("/api/v1/instances/pay-1", token).body());
    assertThat(instance.getJsonArray("services").getJsonObject(0).getString("version")).isEqualTo("v1");
    assertThat(instance.getJsonArray("endpoints").getJsonObject(0).getString("plane")).isEqualTo("data");
  }

  @Test
  void badTokensAndUnsupportedRegistrationsAreRefused() throws Exception {
    ConsulClient anonymous = ConsulClient.create(vertx, new ConsulClientOptions().setHost("127.0.0.1").setPort(consulPort));
    assertThat(catchThrowable(() -> await(anonymous.catalogServices()))).hasMessageContaining("Unauthorized");
    HttpResponse<Buffer> connect = put("/v1/agent/service/register",
        "{\"Name\":\"x\",\"Port\":1,\"Address\":\"10.0.0.1\",\"Connect\":{\"Native\":true}}", token);
    assertThat(connect.statusCode()).isEqualTo(400);
    assertThat(connect.bodyAsJsonObject().getJsonObject("error").getString("field")).isEqualTo("Connect");
    HttpResponse<Buffer> outside = put("/v1/agent/service/register",
        "{\"Name\":\"x\",\"Port\":1,\"Address\":\"172.16.0.1\"}", token);
    assertThat(outside.statusCode()).isEqualTo(400);
    assertThat(outside.bodyAsJsonObject().getJsonObject("error").getString("field")).isEqualTo("Address");
  }
}
