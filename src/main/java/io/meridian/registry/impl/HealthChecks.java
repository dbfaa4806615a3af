package io.meridian.registry.impl;

import io.meridian.registry.HealthPolicy;
import io.meridian.registry.HealthStatus;
import io.meridian.registry.Instance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Active HTTP and TCP health checks. Every check is asynchronous (never blocks the event
 * loop), runs every {@code interval} with ±10 % jitter, and at most {@code maxConcurrent}
 * run at once (the rest wait their turn). Verdicts go to {@link RegistryService#checkResult}.
 */
final class HealthChecks {

  private final Vertx vertx;
  private final RegistryService registry;
  private final int maxConcurrent;
  private final HttpClient http;
  private final NetClient tcp;
  private final Map<String, Long> timers = new HashMap<>();
  private final Deque<String> queue = new ArrayDeque<>();
  private final Set<String> queued = new HashSet<>();
  private final Set<String> running = new HashSet<>();

  HealthChecks(Vertx vertx, RegistryService registry, int maxConcurrent) {
    this.vertx = vertx;
    this.registry = registry;
    this.maxConcurrent = maxConcurrent;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setMaxRedirects(0)
        .setName("meridian-health-checks"));
    this.tcp = vertx.createNetClient(new NetClientOptions().setReconnectAttempts(0));
  }

  /** (Re)schedules checks for {@code instance}; {@code soon} runs the first within a second. */
  void schedule(Instance instance, boolean soon) {
    cancel(instance.id());
    HealthPolicy policy = instance.spec().health();
    long interval = policy.interval().toMillis();
    long delay = soon ? ThreadLocalRandom.current().nextLong(Math.min(interval, 1000)) + 1 : jittered(interval);
    timers.put(instance.id(), vertx.setTimer(delay, t -> {
      timers.remove(instance.id());
      enqueue(instance.id());
    }));
  }

  void cancel(String id) {
    Long timer = timers.remove(id);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
    if (queued.remove(id)) {
      queue.remove(id);
    }
  }

  void close() {
    timers.values().forEach(vertx::cancelTimer);
    timers.clear();
    queue.clear();
    queued.clear();
    http.close();
    tcp.close();
  }

  private void enqueue(String id) {
    if (running.contains(id) || !queued.add(id)) {
      return;
    }
    queue.add(id);
    drain();
  }

  private void drain() {
    while (running.size() < maxConcurrent && !queue.isEmpty()) {
      String id = queue.poll();
      queued.remove(id);
      Instance instance = registry.instance(id);
      if (instance == null || !instance.spec().health().isActive()) {
        continue;
      }
      running.add(id);
      check(instance).onComplete(ar -> {
        running.remove(id);
        Instance current = registry.instance(id);
        // a re-registration while the check ran replaces it: only report for the same policy
        if (current != null && current.spec().health().equals(instance.spec().health())) {
          String[] verdict = ar.succeeded() ? ar.result() : new String[] {HealthStatus.CRITICAL, String.valueOf(ar.cause())};
          registry.checkResult(id, verdict[0], verdict[1]);
          if (!timers.containsKey(id)) {
            timers.put(id, vertx.setTimer(jittered(current.spec().health().interval().toMillis()), t -> {
              timers.remove(id);
              enqueue(id);
            }));
          }
        }
        drain();
      });
    }
  }

  /** Runs one check; the future holds {@code [status, output]}. */
  private Future<String[]> check(Instance instance) {
    HealthPolicy policy = instance.spec().health();
    String address = instance.spec().address(policy.plane());
    long timeout = policy.timeout().toMillis();
    if (policy.policy().equals("tcp")) {
      String target = address + ":" + policy.port();
      return tcp.connect(new io.vertx.core.net.ConnectOptions().setHost(address).setPort(policy.port()).setTimeout((int) timeout))
          .map(socket -> {
            socket.close();
            return new String[] {HealthStatus.PASSING, "TCP connect " + target + ": success"};
          })
          .otherwise(e -> new String[] {HealthStatus.CRITICAL, "TCP connect " + target + ": " + describe(e)});
    }
    String host = address.indexOf(':') >= 0 ? "[" + address + "]" : address;
    String url = "http://" + host + ":" + policy.port() + policy.path();
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(address).setPort(policy.port())
            .setURI(policy.path()).setConnectTimeout(timeout).setIdleTimeout(timeout)
            .putHeader("User-Agent", "Meridian-Health-Check"))
        .compose(request -> request.send())
        .compose(response -> response.body().map(body -> {
          int code = response.statusCode();
          String status = code >= 200 && code < 300 ? HealthStatus.PASSING
              : code == 429 ? HealthStatus.WARNING : HealthStatus.CRITICAL;
          return new String[] {status, "HTTP GET " + url + ": " + code + " " + response.statusMessage()};
        }))
        .otherwise(e -> new String[] {HealthStatus.CRITICAL, "HTTP GET " + url + ": " + describe(e)});
  }

  private static long jittered(long interval) {
    long jitter = interval / 10;
    return Math.max(1, interval - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1));
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }
}
