package io.meridian.it.xds;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A proxyless gRPC client (grpc-java's grpc-xds) in its own JVM — grpc-xds reads its bootstrap
 * once per JVM (env {@code GRPC_XDS_BOOTSTRAP_CONFIG}). It reads commands on stdin and answers
 * one line each on stdout:
 * <ul>
 *   <li>{@code call TARGET N [HEADER=VALUE]} → {@code RESULT {"backends":{name:n},"local":{addr:n},"errors":n,"error":…}}</li>
 *   <li>{@code gone TARGET NAME TIMEOUT_MS} → calls until 20 answers in a row come from others;
 *       {@code RESULT {"at": epoch ms of the first of them, "calls": n}} or {@code RESULT {"timeout": true}}</li>
 *   <li>{@code quit}</li>
 * </ul>
 */
public final class XdsClientMain {

  private final Map<String, ManagedChannel> channels = new HashMap<>();

  public static void main(String[] args) throws Exception {
    new XdsClientMain().run();
  }

  private void run() throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("READY");
    String line;
    while ((line = in.readLine()) != null) {
      String[] words = line.trim().split(" ");
      JsonObject result;
      try {
        result = switch (words[0]) {
          case "call" -> call(words[1], Integer.parseInt(words[2]), words.length > 3 ? words[3] : null);
          case "gone" -> gone(words[1], words[2], Long.parseLong(words[3]));
          case "quit" -> null;
          default -> new JsonObject().put("error", "unknown command " + words[0]);
        };
      } catch (RuntimeException e) {
        result = new JsonObject().put("error", e.toString());
      }
      if (result == null) {
        break;
      }
      System.out.println("RESULT " + result.encode());
      System.out.flush();
    }
    channels.values().forEach(ManagedChannel::shutdownNow);
    System.exit(0);
  }

  private ManagedChannel channel(String target) {
    return channels.computeIfAbsent(target, t -> Grpc.newChannelBuilder("xds:///" + t, InsecureChannelCredentials.create()).build());
  }

  private String who(String target, String header) {
    var channel = header == null ? channel(target) : io.grpc.ClientInterceptors.intercept(channel(target),
        MetadataUtils.newAttachHeadersInterceptor(headers(header)));
    return ClientCalls.blockingUnaryCall(channel, Echo.WHO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "who");
  }

  private static Metadata headers(String header) {
    Metadata metadata = new Metadata();
    String[] kv = header.split("=", 2);
    metadata.put(Metadata.Key.of(kv[0], Metadata.ASCII_STRING_MARSHALLER), kv[1]);
    return metadata;
  }

  private JsonObject call(String target, int n, String header) {
    Map<String, Integer> backends = new TreeMap<>();
    Map<String, Integer> local = new TreeMap<>();
    int errors = 0;
    String error = null;
    for (int i = 0; i < n; i++) {
      try {
        String answer = who(target, header);
        String[] parts = answer.split("@", 2);
        backends.merge(parts[0], 1, Integer::sum);
        local.merge(parts[1], 1, Integer::sum);
      } catch (StatusRuntimeException e) {
        errors++;
        error = e.getStatus().toString();
      }
    }
    JsonObject result = new JsonObject().put("backends", new JsonObject(new HashMap<>(backends)))
        .put("local", new JsonObject(new HashMap<>(local))).put("errors", errors);
    return error == null ? result : result.put("error", error);
  }

  private JsonObject gone(String target, String name, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    int streak = 0;
    long streakStart = 0;
    int calls = 0;
    while (System.currentTimeMillis() < deadline) {
      long start = System.currentTimeMillis();
      calls++;
      String answer;
      try {
        answer = who(target, null);
      } catch (StatusRuntimeException e) {
        answer = "error@" + e.getStatus().getCode();
      }
      if (answer.startsWith(name + "@")) {
        streak = 0;
      } else {
        if (streak == 0) {
          streakStart = start;
        }
        if (++streak == 20) {
          return new JsonObject().put("at", streakStart).put("calls", calls);
        }
      }
    }
    return new JsonObject().put("timeout", true).put("calls", calls);
  }
}
