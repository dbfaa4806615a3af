import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A demo HTTP service for the demo scripts: answers every request with
 * {"service":…,"version":…,"instance":…,"path":…} (and "user": the x-user header, when sent), and
 * exposes its own Prometheus metrics on {@code /metrics}: {@code demo_requests_total{code}}, the
 * requests it answered by status (200, 500 and STATUS start at 0, so a ratio of 500s to all exists for
 * every instance from its first scrape on). Run with the source launcher:
 * {@code java scripts/demo-backends/DemoBackend.java PORT SERVICE VERSION INSTANCE [STATUS [EVERY]]} (STATUS,
 * default 200, is what it answers with: 500 makes a failing service; with EVERY it answers STATUS
 * only to every EVERY-th request and 200 to the others: {@code 500 10} fails 1 request in 10).
 */
public final class DemoBackend {

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String service = args[1];
    String version = args[2];
    String instance = args[3];
    int status = args.length > 4 ? Integer.parseInt(args[4]) : 200;
    int every = args.length > 5 ? Integer.parseInt(args[5]) : 1;
    Map<Integer, LongAdder> answered = new ConcurrentSkipListMap<>();
    for (int code : new int[] {200, 500, status}) {
      answered.put(code, new LongAdder());
    }
    AtomicLong received = new AtomicLong();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      int code = received.incrementAndGet() % every == 0 ? status : 200;
      byte[] body = ("{\"service\":\"" + service + "\",\"version\":\"" + version + "\",\"instance\":\"" + instance
          + "\",\"path\":\"" + exchange.getRequestURI() + "\""
          + (exchange.getRequestHeaders().getFirst("x-user") != null
              ? ",\"user\":\"" + exchange.getRequestHeaders().getFirst("x-user") + "\"" : "")
          + "}\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(code, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
      answered.get(code).increment();
    });
    server.createContext("/metrics", exchange -> {
      exchange.getRequestBody().readAllBytes();
      StringBuilder text = new StringBuilder("# HELP demo_requests_total Requests answered, by status code\n"
          + "# TYPE demo_requests_total counter\n");
      answered.forEach((code, n) -> text.append("demo_requests_total{code=\"").append(code).append("\"} ").append(n.sum()).append('\n'));
      byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println(instance + " listening on 127.0.0.1:" + port);
  }
}
