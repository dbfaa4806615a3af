import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A demo auth service for scripts/gateway-plugins-demo: {@code Authorization: Bearer letmein}
 * (or {@code Bearer letmein-NAME}) → 200 with {@code x-user: NAME} (default {@code demo-user});
 * anything else → 401 with a JSON body. Run with the source launcher:
 * {@code java scripts/demo-backends/DemoAuth.java PORT}.
 */
public final class DemoAuth {

  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 64);
    server.createContext("/", exchange -> {
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      byte[] body;
      if (auth != null && auth.startsWith("Bearer letmein")) {
        String user = auth.startsWith("Bearer letmein-") ? auth.substring("Bearer letmein-".length()) : "demo-user";
        exchange.getResponseHeaders().set("x-user", user);
        body = new byte[0];
        exchange.sendResponseHeaders(200, -1);
      } else {
        body = "{\"error\":\"login required\"}".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"demo\"");
        exchange.sendResponseHeaders(401, body.length);
      }
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    System.out.println("auth listening on 127.0.0.1:" + args[0]);
  }
}
