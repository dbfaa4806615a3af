package io.meridian.app.demo;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.config.ConfigLoader;
import io.meridian.registry.RegistryClient;
import io.meridian.rules.RulesClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --demo}: a small live mesh inside the Meridian process for a first look at a live mesh
 * (docs/ui.md, Demo mode). Three demo services on loopback only, each on two network planes
 * ({@value #DATA_PLANE} on {@value #DATA_ADDRESS}, {@value #MGMT_PLANE} on {@value #MGMT_ADDRESS},
 * same port): {@code orders} v1 and v2 (v2 fails one request in {@value #V2_FAIL_EVERY}) and
 * {@code shop} v1, which calls {@code orders} through the gateway. It registers them with
 * metrics bindings (the telemetry role scrapes them), applies a DestinationRule and a 90/10
 * VirtualService canary for {@code orders}, and sends {@value #REQUESTS_PER_SECOND} requests a
 * second to {@code shop} through the gateway. It reaches the registry and the rules over the bus
 * (their public clients) and the gateway over HTTP, like any other client. On stop it stops the
 * traffic and deregisters its instances.
 */
public final class DemoMesh extends VerticleBase {

  public static final String DATA_PLANE = "data";
  public static final String MGMT_PLANE = "mgmt";
  public static final String DATA_ADDRESS = "127.0.0.1";
  public static final String MGMT_ADDRESS = "127.0.0.2";
  public static final int REQUESTS_PER_SECOND = 5;
  public static final int V2_FAIL_EVERY = 10;
  public static final String TENANT = "default";
  /** The demo's instances, by id: service and version. */
  public static final Map<String, String[]> INSTANCES = Map.of(
      "orders-v1", new String[] {"orders", "v1"},
      "orders-v2", new String[] {"orders", "v2"},
      "shop-v1", new String[] {"shop", "v1"});

  /**
   * What {@code --demo} sets before the user's flags (a later {@code --set} overrides any): loopback
   * only, two planes with CIDRs, the gateway and the scraper on the data plane, every gateway
   * request traced, scrapes every 5 s, and its own data directory.
   */
  public static final List<ConfigLoader.Setting> SETTINGS = List.of(
      new ConfigLoader.Setting("host", "127.0.0.1"),
      new ConfigLoader.Setting("data.dir", "demo-data"),
      new ConfigLoader.Setting("registry.planes", "[{name: " + DATA_PLANE + ", cidrs: [" + DATA_ADDRESS + "/32]}, {name: "
          + MGMT_PLANE + ", cidrs: [" + MGMT_ADDRESS + "/32]}]"),
      new ConfigLoader.Setting("gateway.plane", DATA_PLANE),
      new ConfigLoader.Setting("gateway.tracing.sampling", "1.0"),
      new ConfigLoader.Setting("telemetry.scrape.plane", DATA_PLANE),
      new ConfigLoader.Setting("telemetry.scrape.interval", "5s"));

  private static final Logger LOG = LoggerFactory.getLogger(DemoMesh.class);
  private static final Principal DEMO = new Principal("demo", Role.ADMIN);
  private static final List<String> TRACE_HEADERS = List.of("traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid",
      "x-b3-parentspanid", "x-b3-sampled", "b3", "x-request-id");

  private final int gatewayPort;
  private final List<HttpServer> servers = new ArrayList<>();
  private HttpClient client;
  private long trafficTimer = -1;
  private final AtomicLong sent = new AtomicLong();

  /** A demo mesh sending its traffic to the gateway on {@code gatewayPort} (on {@value #DATA_ADDRESS}). */
  public DemoMesh(int gatewayPort) {
    this.gatewayPort = gatewayPort;
  }

  @Override
  public Future<?> start() {
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setName("meridian-demo"),
        new PoolOptions().setHttp1MaxSize(8));
    List<Future<Integer>> ports = new ArrayList<>();
    List<String> ids = new ArrayList<>(new TreeMap<>(INSTANCES).keySet());
    for (String id : ids) {
      String[] sv = INSTANCES.get(id);
      ports.add(serve(new Backend(sv[0], sv[1], id, sv[1].equals("v2") ? V2_FAIL_EVERY : 0)));
    }
    return Future.all(ports).compose(done -> {
      RegistryClient registry = new RegistryClient(vertx);
      List<Future<JsonObject>> registered = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        String[] sv = INSTANCES.get(ids.get(i));
        registered.add(registry.register(registration(ids.get(i), sv[0], sv[1], ports.get(i).result()).encode(), DEMO));
      }
      return Future.all(registered);
    }).compose(done -> new RulesClient(vertx).apply(rules(), TENANT, false, DEMO)).onSuccess(applied -> {
      trafficTimer = vertx.setPeriodic(1000 / REQUESTS_PER_SECOND, t -> traffic());
      LOG.info("demo mesh: shop v1 -> orders v1/v2 (90/10 canary) on planes {} and {}; {} requests/s through the gateway",
          DATA_PLANE, MGMT_PLANE, REQUESTS_PER_SECOND);
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(trafficTimer);
    RegistryClient registry = new RegistryClient(vertx);
    List<Future<?>> steps = new ArrayList<>();
    for (String id : INSTANCES.keySet()) {
      steps.add(registry.deregister(id, DEMO).otherwise(e -> {
        LOG.debug("demo instance {} not deregistered: {}", id, e.getMessage());
        return null;
      }));
    }
    return Future.join(steps).transform(done -> {
      List<Future<?>> closing = new ArrayList<>();
      servers.forEach(s -> closing.add(s.close()));
      if (client != null) {
        closing.add(client.close());
      }
      return Future.join(closing);
    });
  }

  /** The registration of one demo instance: both planes, one http binding with its metrics. */
  static JsonObject registration(String id, String service, String version, int port) {
    return new JsonObject()
        .put("id", id)
        .put("tenant", TENANT)
        .put("kind", "mesh")
        .put("labels", new JsonObject().put("app", service).put("demo", "true"))
        .put("endpoints", new JsonArray()
            .add(new JsonObject().put("plane", DATA_PLANE).put("address", DATA_ADDRESS))
            .add(new JsonObject().put("plane", MGMT_PLANE).put("address", MGMT_ADDRESS)))
        .put("services", new JsonArray().add(new JsonObject()
            .put("name", service).put("version", version).put("port", port).put("protocol", "http")
            .put("metrics", new JsonObject().put("path", "/metrics").put("port", port))));
  }

  /** The canary: subsets by version and a 90/10 split of {@code orders}. */
  static JsonArray rules() {
    JsonObject destinationRule = new JsonObject()
        .put("apiVersion", "networking.istio.io/v1")
        .put("kind", "DestinationRule")
        .put("metadata", new JsonObject().put("name", "orders").put("namespace", TENANT))
        .put("spec", new JsonObject().put("host", "orders").put("subsets", new JsonArray()
            .add(new JsonObject().put("name", "v1").put("labels", new JsonObject().put("version", "v1")))
            .add(new JsonObject().put("name", "v2").put("labels", new JsonObject().put("version", "v2")))));
    JsonObject virtualService = new JsonObject()
        .put("apiVersion", "networking.istio.io/v1")
        .put("kind", "VirtualService")
        .put("metadata", new JsonObject().put("name", "orders").put("namespace", TENANT))
        .put("spec", new JsonObject().put("hosts", new JsonArray().add("orders")).put("http", new JsonArray()
            .add(new JsonObject().put("route", new JsonArray()
                .add(route("v1", 90))
                .add(route("v2", 10))))));
    return new JsonArray().add(destinationRule).add(virtualService);
  }

  private static JsonObject route(String subset, int weight) {
    return new JsonObject().put("destination", new JsonObject().put("host", "orders").put("subset", subset))
        .put("weight", weight);
  }

  /** One demo service: its counters and how it answers. */
  private final class Backend {
    final String service;
    final String version;
    final String instance;
    final int failEvery;
    final AtomicLong received = new AtomicLong();
    final Map<Integer, LongAdder> answered = new TreeMap<>();

    Backend(String service, String version, String instance, int failEvery) {
      this.service = service;
      this.version = version;
      this.instance = instance;
      this.failEvery = failEvery;
      for (int code : new int[] {200, 500, 502}) {
        answered.put(code, new LongAdder());
      }
    }

    void handle(HttpServerRequest request) {
      if (request.path().equals("/metrics")) {
        StringBuilder text = new StringBuilder("# HELP demo_requests_total Requests answered, by status code\n"
            + "# TYPE demo_requests_total counter\n");
        answered.forEach((code, n) -> text.append("demo_requests_total{code=\"").append(code).append("\"} ")
            .append(n.sum()).append('\n'));
        request.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(text.toString());
        return;
      }
      long n = received.incrementAndGet();
      // a little latency, v2 a bit slower: the UI's p99 has something to show
      long delay = ThreadLocalRandom.current().nextLong(2, version.equals("v2") ? 40 : 20);
      vertx.setTimer(delay, t -> {
        if (service.equals("shop")) {
          callOrders(request);
        } else {
          answer(request, failEvery > 0 && n % failEvery == 0 ? 500 : 200, new JsonObject());
        }
      });
    }

    /** shop → orders through the gateway, passing the trace headers on so one trace shows both calls. */
    private void callOrders(HttpServerRequest incoming) {
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(DATA_ADDRESS).setPort(gatewayPort)
          .setURI("/api/orders/items").setTimeout(5000);
      for (String h : TRACE_HEADERS) {
        String v = incoming.getHeader(h);
        if (v != null) {
          options.putHeader(h, v);
        }
      }
      client.request(options).compose(r -> r.send().compose(resp -> resp.body().map(body -> resp.statusCode())))
          .onComplete(ar -> {
            int status = ar.succeeded() ? ar.result() : 0;
            answer(incoming, status == 200 ? 200 : 502, new JsonObject().put("orders", status));
          });
    }

    private void answer(HttpServerRequest request, int status, JsonObject extra) {
      answered.computeIfAbsent(status, c -> new LongAdder()).increment();
      request.response().setStatusCode(status).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("service", service).put("version", version).put("instance", instance)
              .put("path", request.path()).mergeIn(extra).encode());
    }
  }

  /** Listens on the data-plane address (a free port), then on the management-plane address with the same port. */
  private Future<Integer> serve(Backend backend) {
    HttpServer data = vertx.createHttpServer(new HttpServerOptions().setHost(DATA_ADDRESS).setPort(0))
        .requestHandler(backend::handle);
    return data.listen().compose(bound -> {
      servers.add(bound);
      HttpServer mgmt = vertx.createHttpServer(new HttpServerOptions().setHost(MGMT_ADDRESS).setPort(bound.actualPort()))
          .requestHandler(backend::handle);
      return mgmt.listen().map(m -> {
        servers.add(m);
        return bound.actualPort();
      }).recover(e -> Future.failedFuture(new IllegalStateException("the demo needs the loopback address " + MGMT_ADDRESS
          + " for its second plane (Linux has 127.0.0.0/8 on lo; elsewhere add it as an alias): " + e.getMessage(), e)));
    });
  }

  private void traffic() {
    sent.incrementAndGet();
    client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(DATA_ADDRESS).setPort(gatewayPort)
            .setURI("/api/shop/checkout").setTimeout(5000))
        .compose(r -> r.send().compose(resp -> resp.body()))
        .onFailure(e -> LOG.debug("demo request failed: {}", e.getMessage()));
  }

  /** Deploys the demo into {@code vertx} and waits until it is registered and its rules applied. */
  public static Future<String> deploy(io.vertx.core.Vertx vertx, int gatewayPort) {
    Promise<String> deployed = Promise.promise();
    vertx.deployVerticle(new DemoMesh(gatewayPort)).onComplete(deployed);
    return deployed.future();
  }
}
