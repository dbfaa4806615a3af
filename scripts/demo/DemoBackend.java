import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A demo HTTP service for scripts/gateway-demo: answers every request with
 * {"service":…,"version":…,"instance":…,"path":…} (and "user": the x-user header, when sent). Run with the source launcher:
 * {@code java scripts/demo/DemoBackend.java PORT SERVICE VERSION INSTANCE [STATUS]} (STATUS, default
 * 200, is what it answers with: 500 makes a failing service).
 */
public final class DemoBackend {

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String service = args[1];
    String version = args[2];
    String instance = args[3];
    int status = args.length > 4 ? Integer.parseInt(args[4]) : 200;
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      byte[] body = ("{\"service\":\"" + service + "\",\"version\":\"" + version + "\",\"instance\":\"" + instance
          + "\",\"path\":\"" + exchange.getRequestURI() + "\""
          + (exchange.getRequestHeaders().getFirst("x-user") != null
              ? ",\"user\":\"" + exchange.getRequestHeaders().getFirst("x-user") + "\"" : "")
          + "}\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println(instance + " listening on 127.0.0.1:" + port);
  }
}
