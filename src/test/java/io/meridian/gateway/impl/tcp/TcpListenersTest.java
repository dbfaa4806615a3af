package io.meridian.gateway.impl.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.app.Node;
import io.meridian.common.config.ConfigLoader;
import io.meridian.common.verticle.ListenException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the gateway's L4 listeners on an in-process node (registry, rules, gateway) in front
 * of real echo servers: bytes both ways, backpressure, half-close, load balancing, health,
 * connect failures, unknown services, idle timeout, meters and bind errors.
 */
class TcpListenersTest {

  private static final String ADMIN = "tcp-listeners-test-admin-token";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Node node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.stop();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  // ---- the tests -------------------------------------------------------------------------------

  @Test
  void relaysBytesBothWaysAndPassesAHalfCloseOn() throws Exception {
    TcpBackend a = backend("a");
    int port = echoService(Map.of(), a);

    try (Socket s = connect(port)) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readExactly(in, 5)).isEqualTo("ping\n");
      out.write("pong".getBytes(StandardCharsets.US_ASCII));
      assertThat(readExactly(in, 4)).isEqualTo("pong");
      await("only this connection to be open", () -> meter("meridian_gateway_tcp_active", "service", "echo") == 1.0);
      // the client's FIN reaches the backend, which answers and closes; the client reads it all
      s.shutdownOutput();
      assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("END 9\n");
    }
    assertThat(meter("meridian_gateway_tcp_connections_total", "service", "echo", "tenant", "default",
        "gateway", "meridian-gateway")).isGreaterThanOrEqualTo(2.0);
    assertThat(meter("meridian_gateway_tcp_bytes_total", "service", "echo", "direction", "in")).isGreaterThanOrEqualTo(9.0);
    assertThat(meter("meridian_gateway_tcp_bytes_total", "service", "echo", "direction", "out"))
        .isGreaterThanOrEqualTo(15.0);
    await("the connection to be counted as closed", () -> meter("meridian_gateway_tcp_active", "service", "echo") == 0.0);
  }

  @Test
  void aLargePayloadRoundTripsIntactAndAClientThatDoesNotReadIsNotBufferedFor() throws Exception {
    TcpBackend a = backend("a");
    int port = echoService(Map.of(), a);
    double before = meter("meridian_gateway_tcp_bytes_total", "service", "echo", "direction", "out");

    // what the gateway may hold for a client that reads nothing: its socket's send buffer and a little more
    long bound = maxSendBuffer() + 4L * 1024 * 1024;
    long total = Math.max(64L * 1024 * 1024, 4 * bound);
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(TcpBackend.BUFFER);
      s.setSoTimeout(10_000);
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
      AtomicLong written = new AtomicLong();
      AtomicReference<Throwable> writeError = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        try {
          OutputStream out = s.getOutputStream();
          byte[] chunk = new byte[64 * 1024];
          for (long offset = 0; offset < total; offset += chunk.length) {
            int n = (int) Math.min(chunk.length, total - offset);
            for (int i = 0; i < n; i++) {
              chunk[i] = pattern(offset + i);
            }
            out.write(chunk, 0, n);
            written.addAndGet(n);
          }
          s.shutdownOutput();
        } catch (Throwable e) {
          writeError.set(e);
        }
      }, "tcp-test-writer");
      writer.setDaemon(true);
      writer.start();

      // nobody reads: the relay towards the client must stop growing well before the payload is through
      double[] last = {-1};
      int[] still = {0};
      await("the relay to stall", () -> {
        double now = meter("meridian_gateway_tcp_bytes_total", "service", "echo", "direction", "out") - before;
        still[0] = now == last[0] && now > 0 ? still[0] + 1 : 0;
        last[0] = now;
        Thread.sleep(150);
        return still[0] >= 4;
      });
      assertThat(last[0]).isLessThan(bound);

      InputStream in = s.getInputStream();
      byte[] buf = new byte[64 * 1024];
      long read = 0;
      while (read < total) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, total - read));
        assertThat(n).as("bytes after %d of %d", read, total).isPositive();
        for (int i = 0; i < n; i++) {
          if (buf[i] != pattern(read + i)) {
            throw new AssertionError("byte " + (read + i) + " differs");
          }
        }
        read += n;
      }
      assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("END " + total + "\n");
      writer.join(10_000);
      assertThat(writeError.get()).isNull();
      assertThat(written.get()).isEqualTo(total);
    }
  }

  @Test
  void roundRobinSpreadsConnectionsOverTheEndpoints() throws Exception {
    TcpBackend a = backend("a");
    TcpBackend b = backend("b");
    int port = echoService(Map.of(), a, b);
    int a0 = a.accepted.get();
    int b0 = b.accepted.get();
    for (int i = 0; i < 10; i++) {
      assertThat(exchange(port, "hello " + i)).isEqualTo("hello " + i + "END " + ("hello " + i).length() + "\n");
    }
    assertThat(a.accepted.get() - a0).isEqualTo(5);
    assertThat(b.accepted.get() - b0).isEqualTo(5);
  }

  @Test
  void consistentHashOnTheSourceAddressKeepsAClientOnOneEndpoint() throws Exception {
    TcpBackend a = backend("a");
    TcpBackend b = backend("b");
    int port = echoService(Map.of(), a, b);
    HttpResponse<String> rule = send("PUT", "/api/v1/rules/DestinationRule/default/echo", "application/json",
        "{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"DestinationRule\","
            + "\"metadata\":{\"name\":\"echo\",\"namespace\":\"default\"},"
            + "\"spec\":{\"host\":\"echo\",\"trafficPolicy\":{\"loadBalancer\":{\"consistentHash\":{\"useSourceIp\":true}}}}}");
    assertThat(rule.statusCode()).as(rule.body()).isEqualTo(201);
    await("connections to stick to one endpoint", () -> onOneEndpoint(port, 6, a, b));
    assertThat(onOneEndpoint(port, 10, a, b)).isTrue();
  }

  @Test
  void unhealthyAndDeregisteredEndpointsGetNoNewConnectionsWhileOpenOnesContinue() throws Exception {
    TcpBackend a = backend("a");
    TcpBackend b = backend("b");
    int port = echoService(Map.of(), a, b);
    // an open connection to b
    Socket held = null;
    for (int i = 0; i < 4 && held == null; i++) {
      int before = b.accepted.get();
      Socket s = connect(port);
      closeables.add(s);
      assertThat(echo(s, "hi")).isEqualTo("hi");
      if (b.accepted.get() > before) {
        held = s;
      }
    }
    assertThat(held).isNotNull();

    heartbeat("echo-b", "critical");
    await("b to be left out", () -> onlyOn(port, 6, a, b));
    assertThat(onlyOn(port, 10, a, b)).isTrue();
    assertThat(echo(held, "still there")).isEqualTo("still there");

    heartbeat("echo-b", "passing");
    int before = b.accepted.get();
    await("b to be back", () -> {
      exchange(port, "x");
      return b.accepted.get() > before;
    });

    assertThat(send("DELETE", "/api/v1/instances/echo-b", null, null).statusCode()).isEqualTo(204);
    await("b to be gone", () -> onlyOn(port, 6, a, b));
    assertThat(onlyOn(port, 10, a, b)).isTrue();
    assertThat(echo(held, "and still")).isEqualTo("and still");
  }

  @Test
  void aDeadEndpointIsSkippedAfterItsConnectFailureAndTheClientServedElsewhere() throws Exception {
    start("[{port: 0, service: echo}]", Map.of());
    TcpBackend a = backend("a");
    int dead;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      dead = closed.getLocalPort();
    }
    register("echo-dead", "echo", dead, "tcp");
    register("echo-a", "echo", a.port(), "tcp");
    int port = tcpPort("gateway.tcp.echo.default");
    // the table that routes to a also holds the dead endpoint (registered before it)
    awaitServed(port);
    double failed = meter("meridian_gateway_tcp_rejected_total", "service", "echo", "reason", "connect_failed");
    int a0 = a.accepted.get();
    for (int i = 0; i < 10; i++) {
      assertThat(exchange(port, "n" + i)).isEqualTo("n" + i + "END 2\n");
    }
    assertThat(a.accepted.get() - a0).isEqualTo(10);
    assertThat(meter("meridian_gateway_tcp_rejected_total", "service", "echo", "reason", "connect_failed")).isEqualTo(failed);

    // only the dead endpoint left: the client is closed, not left hanging
    assertThat(send("DELETE", "/api/v1/instances/echo-a", null, null).statusCode()).isEqualTo(204);
    await("the client to be closed for want of a reachable endpoint", () -> exchange(port, "x").isEmpty()
        && meter("meridian_gateway_tcp_rejected_total", "service", "echo", "reason", "connect_failed") > failed);
  }

  @Test
  void aServiceThatIsUnknownOrNotTcpGetsItsConnectionsClosed() throws Exception {
    start("[{port: 0, service: nothing}, {port: 0, service: web}, {port: 0, service: echo}]", Map.of());
    TcpBackend a = backend("a");
    register("web-1", "web", a.port(), "http");
    register("echo-a", "echo", a.port(), "tcp");
    // the table that routes echo also holds web (registered before it)
    awaitServed(tcpPort("gateway.tcp.echo.default"));
    int accepted = a.accepted.get();
    for (String service : List.of("nothing", "web")) {
      try (Socket s = connect(tcpPort("gateway.tcp." + service + ".default"))) {
        s.getOutputStream().write("anyone?".getBytes(StandardCharsets.US_ASCII));
        assertThat(closedByPeer(s)).as(service).isTrue();
      }
      assertThat(meter("meridian_gateway_tcp_rejected_total", "service", service, "reason", "no_route")).isEqualTo(1.0);
    }
    assertThat(a.accepted.get()).isEqualTo(accepted);
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    TcpBackend a = backend("a");
    int port = echoService(Map.of("MERIDIAN_GATEWAY_IDLE_TIMEOUT", "1s"), a);
    try (Socket s = connect(port)) {
      assertThat(echo(s, "ping")).isEqualTo("ping");
      // nothing moves: the gateway closes both sides (the read below would time out after 10 s otherwise)
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void aPublishPortInUseFailsTheStartNamingItsKey() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String tcp = "[{port: 0, service: echo}, {port: " + taken.getLocalPort() + ", service: ledger}]";
      assertThatThrownBy(() -> start(tcp, Map.of()))
          .isInstanceOf(ListenException.class)
          .hasMessageContaining("gateway.tcp[1].port").hasMessageContaining(Integer.toString(taken.getLocalPort()))
          .hasMessageContaining("in use");
    }
    node = null;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private void start(String tcp, Map<String, String> env) throws Exception {
    Map<String, String> all = new HashMap<>(Map.of("MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_ADMIN_PORT", "0",
        "MERIDIAN_DATA_DIR", dir.toString(), "MERIDIAN_ADMIN_TOKEN", ADMIN, "MERIDIAN_CONSUL_PORT", "0",
        "MERIDIAN_GATEWAY_PORT", "0"));
    all.putAll(env);
    node = Node.start(ConfigLoader.load(null, all, List.of(new ConfigLoader.Setting("roles", "registry,rules,gateway"),
        new ConfigLoader.Setting("gateway.tcp", tcp))).config(), null);
  }

  /**
   * Starts a node publishing service {@code echo} on a TCP listener, registers {@code backends} as
   * its endpoints ({@code echo-a}, {@code echo-b}, …) and waits until each has been reached.
   */
  private int echoService(Map<String, String> env, TcpBackend... backends) throws Exception {
    start("[{port: 0, service: echo}]", env);
    for (TcpBackend b : backends) {
      register("echo-" + b.name, "echo", b.port(), "tcp");
    }
    int port = tcpPort("gateway.tcp.echo.default");
    await("every endpoint to be served", () -> {
      exchange(port, "x");
      return java.util.Arrays.stream(backends).allMatch(b -> b.accepted.get() > 0);
    });
    return port;
  }

  private TcpBackend backend(String name) throws IOException {
    TcpBackend b = new TcpBackend(name);
    closeables.add(b);
    return b;
  }

  private int tcpPort(String name) {
    Integer port = node.status().getJsonObject("ports").getInteger(name);
    assertThat(port).as("bound port of " + name + " in " + node.status().getJsonObject("ports")).isNotNull();
    return port;
  }

  private void register(String id, String service, int port, String protocol) throws Exception {
    HttpResponse<String> r = send("POST", "/api/v1/instances", "application/json", "{\"id\":\"" + id + "\","
        + "\"endpoints\":[{\"address\":\"127.0.0.1\"}],\"services\":[{\"name\":\"" + service + "\",\"port\":" + port
        + ",\"protocol\":\"" + protocol + "\"}],\"health\":{\"ttl\":\"1h\"}}");
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
  }

  private void heartbeat(String id, String status) throws Exception {
    HttpResponse<String> r = send("PUT", "/api/v1/instances/" + id + "/heartbeat", "application/json",
        "{\"status\":\"" + status + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + ADMIN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of a Prometheus sample whose labels include {@code labels} (name, value, …); 0 when absent. */
  private double meter(String name, String... labels) throws Exception {
    String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)} (\\S+)$").matcher(text);
    while (m.find()) {
      boolean all = true;
      for (int i = 0; i < labels.length; i += 2) {
        all &= m.group(1).contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      }
      if (all) {
        return Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.setSoTimeout(10_000);
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
    return s;
  }

  /** One connection: sends {@code text}, half-closes, returns everything read until the end ({@code ""} if closed at once). */
  private static String exchange(int port, String text) throws IOException {
    try (Socket s = connect(port)) {
      try {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput();
      } catch (IOException e) {
        // closed by the gateway before the write: what was read tells
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        s.getInputStream().transferTo(got);
      } catch (IOException e) {
        // reset by the gateway
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  /** Whether the peer closes {@code s} (a FIN, or a reset when it closed with bytes unread); {@code false} if it sends data. */
  private static boolean closedByPeer(Socket s) throws IOException {
    try {
      return s.getInputStream().read() == -1;
    } catch (java.net.SocketException e) {
      return String.valueOf(e.getMessage()).contains("reset");
    }
  }

  /** Sends on an open connection and reads the echo. */
  private static String echo(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    return readExactly(s.getInputStream(), text.length());
  }

  private static String readExactly(InputStream in, int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static void awaitServed(int port) throws Exception {
    await("the service to be routed", () -> exchange(port, "x").equals("xEND 1\n"));
  }

  /** Whether {@code count} connections all reached one of {@code a} and {@code b}. */
  private static boolean onOneEndpoint(int port, int count, TcpBackend a, TcpBackend b) throws IOException {
    int a0 = a.accepted.get();
    int b0 = b.accepted.get();
    for (int i = 0; i < count; i++) {
      exchange(port, "x");
    }
    int da = a.accepted.get() - a0;
    int db = b.accepted.get() - b0;
    return (da == count && db == 0) || (db == count && da == 0);
  }

  /** Whether {@code count} connections all reached {@code a} and none {@code b}. */
  private static boolean onlyOn(int port, int count, TcpBackend a, TcpBackend b) throws IOException {
    int a0 = a.accepted.get();
    int b0 = b.accepted.get();
    for (int i = 0; i < count; i++) {
      if (!exchange(port, "x").equals("xEND 1\n")) {
        return false;
      }
    }
    return a.accepted.get() - a0 == count && b.accepted.get() == b0;
  }

  private static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("gave up waiting for " + what + " after " + WAIT.toSeconds() + " s");
      }
      Thread.sleep(50);
    }
  }

  private static byte pattern(long i) {
    return (byte) (i ^ (i >>> 8) ^ (i >>> 19));
  }

  /** The largest send buffer the kernel grows a socket's to (Linux {@code tcp_wmem}), or 4 MiB. */
  private static long maxSendBuffer() {
    try {
      String[] wmem = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
      return Long.parseLong(wmem[2]);
    } catch (IOException | RuntimeException e) {
      return 4L * 1024 * 1024;
    }
  }
}
