package io.meridian.it.xds;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link XdsClientMain} child JVM bootstrapped at a Meridian xDS server, driven line by line. */
public final class XdsClientProcess implements AutoCloseable {

  private final Process process;
  private final Writer commands;
  private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(1000);
  private final Path log;

  private XdsClientProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          lines.offer(line);
        }
      } catch (IOException e) {
        // process gone
      }
    }, "xds-client-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** The grpc-xds bootstrap for a node of Meridian's contract metadata. */
  public static JsonObject bootstrap(int xdsPort, String nodeId, JsonObject metadata) {
    return new JsonObject()
        .put("xds_servers", new io.vertx.core.json.JsonArray().add(new JsonObject()
            .put("server_uri", "127.0.0.1:" + xdsPort)
            .put("channel_creds", new io.vertx.core.json.JsonArray().add(new JsonObject().put("type", "insecure")))
            .put("server_features", new io.vertx.core.json.JsonArray().add("xds_v3"))))
        .put("node", new JsonObject().put("id", nodeId).put("metadata", metadata));
  }

  public static XdsClientProcess start(JsonObject bootstrap, Path workDir) throws Exception {
    Files.createDirectories(workDir);
    Path log = workDir.resolve("xds-client-" + bootstrap.getJsonObject("node").getString("id") + ".log");
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), XdsClientMain.class.getName())
        .redirectError(log.toFile());
    builder.environment().put("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap.encode());
    XdsClientProcess client = new XdsClientProcess(builder.start(), log);
    String ready = client.lines.poll(60, TimeUnit.SECONDS);
    if (!"READY".equals(ready)) {
      client.close();
      throw new IllegalStateException("xDS client did not start: " + ready + "\n" + client.log());
    }
    return client;
  }

  /** Sends one command and waits for its result line. */
  public JsonObject command(String command, Duration timeout) throws Exception {
    commands.write(command + "\n");
    commands.flush();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line != null && line.startsWith("RESULT ")) {
        return new JsonObject(line.substring("RESULT ".length()));
      }
    }
    throw new IllegalStateException("no answer to '" + command + "' within " + timeout + "\n" + log());
  }

  public JsonObject call(String target, int n) throws Exception {
    return command("call " + target + " " + n, Duration.ofSeconds(120));
  }

  public JsonObject call(String target, int n, String header) throws Exception {
    return command("call " + target + " " + n + " " + header, Duration.ofSeconds(120));
  }

  public String log() {
    try {
      String text = Files.readString(log);
      return text.length() > 8000 ? text.substring(text.length() - 8000) : text;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws Exception {
    try {
      commands.write("quit\n");
      commands.flush();
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
