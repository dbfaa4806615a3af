package io.meridian.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code target/meridian.jar} as a child process, bound to 127.0.0.1, with its
 * output captured to files. Always {@link #close()}d (killed if still running).
 */
public final class MeridianProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .build();

  private final Process process;
  private final Path stdout;
  private final Path stderr;
  private final int adminPort;

  private MeridianProcess(Process process, Path stdout, Path stderr, int adminPort) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.adminPort = adminPort;
  }

  /** The jar under test (failsafe passes {@code meridian.jar}). */
  public static Path jar() {
    String jar = System.getProperty("meridian.jar", "target/meridian.jar");
    Path path = Path.of(jar);
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("build the jar first: " + path.toAbsolutePath() + " is missing");
    }
    return path.toAbsolutePath();
  }

  /**
   * Starts the jar in {@code workDir} with {@code env} added to a clean environment (no
   * inherited {@code MERIDIAN_*}).
   *
   * @param adminPort the admin port the caller configured (used by {@link #get}); -1 if none
   */
  public static MeridianProcess start(Path workDir, Map<String, String> env, int adminPort, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(k -> k.startsWith("MERIDIAN_"));
    environment.putAll(env);
    Files.createDirectories(workDir);
    String id = Long.toString(System.nanoTime(), 36);
    Path out = workDir.resolve("stdout-" + id + ".log");
    Path err = workDir.resolve("stderr-" + id + ".log");
    builder.redirectOutput(out.toFile()).redirectError(err.toFile());
    return new MeridianProcess(builder.start(), out, err, adminPort);
  }

  /** Environment binding every listener to 127.0.0.1 with the admin API on {@code adminPort}, other ports free. */
  public static Map<String, String> loopbackEnv(int adminPort, Path dataDir) {
    Map<String, String> env = new HashMap<>();
    env.put("MERIDIAN_HOST", "127.0.0.1");
    env.put("MERIDIAN_ADMIN_PORT", String.valueOf(adminPort));
    env.put("MERIDIAN_CONSUL_PORT", "0");
    env.put("MERIDIAN_XDS_PORT", "0");
    env.put("MERIDIAN_GATEWAY_PORT", "0");
    env.put("MERIDIAN_TELEMETRY_ZIPKIN_PORT", "0");
    env.put("MERIDIAN_DATA_DIR", dataDir.toString());
    return env;
  }

  /** A port that was free a moment ago on 127.0.0.1. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  public Process process() {
    return process;
  }

  public int adminPort() {
    return adminPort;
  }

  /** The operating-system process id. */
  public long pid() {
    return process.pid();
  }

  /** How many file descriptors the process has open (entries of {@code /proc/<pid>/fd}; Linux). */
  public long openFileDescriptors() throws IOException {
    try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
      return fds.count();
    }
  }

  /** The admin token the node wrote to {@code dataDir} on first start. */
  public static String adminToken(Path dataDir) throws IOException {
    return Files.readString(dataDir.resolve("admin.token")).trim();
  }

  /** The port a listener ({@code gateway}, {@code xds}, …) bound, from {@code /api/v1/status}. */
  public int boundPort(String listener, String token) throws IOException, InterruptedException {
    HttpResponse<String> status = get("/api/v1/status", token);
    if (status.statusCode() != 200) {
      throw new AssertionError("GET /api/v1/status answered " + status.statusCode() + ": " + status.body());
    }
    io.vertx.core.json.JsonObject ports = new io.vertx.core.json.JsonObject(status.body()).getJsonObject("ports");
    Integer port = ports == null ? null : ports.getInteger(listener);
    if (port == null) {
      throw new AssertionError("no port '" + listener + "' in " + status.body());
    }
    return port;
  }

  /** Waits for exit; returns the exit code. */
  public int waitForExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("process did not exit within " + timeout + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
    }
    return process.exitValue();
  }

  /** Polls {@code /ready} until 200 (fails early if the process exits). */
  public void awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("process exited with " + process.exitValue() + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
      }
      try {
        if (get("/ready", null).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new AssertionError("not ready within " + timeout + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
  }

  public HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    return send("GET", path, token, null);
  }

  public HttpResponse<String> send(String method, String path, String token, String jsonBody)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
    if (jsonBody != null) {
      b.header("Content-Type", "application/json");
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public String stdout() {
    return read(stdout);
  }

  public String stderr() {
    return read(stderr);
  }

  /** SIGTERM. */
  public void terminate() {
    process.destroy();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "<unreadable: " + e + ">";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
