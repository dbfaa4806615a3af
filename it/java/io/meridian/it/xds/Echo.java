package io.meridian.it.xds;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A tiny gRPC service for xDS tests: {@code meridian.test.Echo/Who} answers
 * {@code NAME@LOCAL_ADDRESS}, the backend's name and the local address the connection came in
 * on (which network plane the client used). Messages are plain UTF-8 strings.
 */
public final class Echo {

  public static final MethodDescriptor.Marshaller<String> STRING = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  public static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("meridian.test.Echo/Who")
      .setRequestMarshaller(STRING)
      .setResponseMarshaller(STRING)
      .build();

  private static final Context.Key<String> LOCAL = Context.key("local-address");

  private final Server server;

  private Echo(Server server) {
    this.server = server;
  }

  /** A backend named {@code name} listening on {@code port} of every address in {@code hosts} (0 = any port: one host only). */
  public static Echo start(String name, int port, List<String> hosts) throws IOException {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(hosts.get(0), port));
    for (String host : hosts.subList(1, hosts.size())) {
      builder.addListenAddress(new InetSocketAddress(host, port));
    }
    ServerServiceDefinition service = ServerServiceDefinition.builder("meridian.test.Echo")
        .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(name + "@" + LOCAL.get());
          response.onCompleted();
        }))
        .build();
    ServerInterceptor localAddress = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress local = call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
        String host = local instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : String.valueOf(local);
        return Contexts.interceptCall(Context.current().withValue(LOCAL, host), call, headers, next);
      }
    };
    return new Echo(builder.addService(ServerInterceptors.intercept(service, localAddress)).build().start());
  }

  public int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  public void stop() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Runs backends until killed: {@code Echo NAME PORT HOST[,HOST...]} (for scripts). */
  public static void main(String[] args) throws Exception {
    Echo echo = start(args[0], Integer.parseInt(args[1]), List.of(args[2].split(",")));
    System.out.println("echo " + args[0] + " on " + args[2] + ":" + echo.port());
    echo.server.awaitTermination();
  }
}
