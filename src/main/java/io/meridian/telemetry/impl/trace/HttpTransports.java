package io.meridian.telemetry.impl.trace;

import io.meridian.telemetry.impl.trace.SpanExporter.ExportException;
import io.meridian.telemetry.impl.trace.SpanExporter.Transport;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The exporters' transports on Vert.x's non-blocking HTTP client: Zipkin v2 JSON, OTLP
 * {@code http/protobuf} and OTLP {@code grpc} (HTTP/2 without TLS upgrade, or over TLS with
 * ALPN; unary {@code TraceService/Export}, status from {@code grpc-status}).
 */
public final class HttpTransports {

  /** OTLP/gRPC method path. */
  static final String OTLP_GRPC_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

  /** Zipkin v2: {@code POST} of a JSON array to the configured URL (e.g. {@code http://host:9411/api/v2/spans}). */
  public static Transport zipkin(Vertx vertx, String url, Duration timeout) {
    return new Post(vertx, "zipkin", url, timeout, false, "application/json", ZipkinJson::encode);
  }

  /** OTLP over HTTP: {@code POST} of an {@code ExportTraceServiceRequest} to the URL (e.g. {@code http://host:4318/v1/traces}). */
  public static Transport otlpHttp(Vertx vertx, String url, Duration timeout) {
    return new Post(vertx, "otlp", url, timeout, false, "application/x-protobuf",
        batch -> Buffer.buffer(OtlpSpans.request(batch).toByteArray()));
  }

  /** OTLP over gRPC to {@code http(s)://host:port} (e.g. {@code http://host:4317}). */
  public static Transport otlpGrpc(Vertx vertx, String url, Duration timeout) {
    return new Post(vertx, "otlp", url, timeout, true, "application/grpc", batch -> {
      byte[] message = OtlpSpans.request(batch).toByteArray();
      return Buffer.buffer(5 + message.length).appendByte((byte) 0).appendInt(message.length).appendBytes(message);
    });
  }

  private static final class Post implements Transport {
    private final String kind;
    private final String url;
    private final Duration timeout;
    private final boolean grpc;
    private final String contentType;
    private final Function<List<Span>, Buffer> encode;
    private final HttpClient client;
    private final RequestOptions target;

    Post(Vertx vertx, String kind, String url, Duration timeout, boolean grpc, String contentType,
        Function<List<Span>, Buffer> encode) {
      this.kind = kind;
      this.url = url;
      this.timeout = timeout;
      this.grpc = grpc;
      this.contentType = contentType;
      this.encode = encode;
      URI uri = URI.create(url);
      boolean tls = "https".equalsIgnoreCase(uri.getScheme());
      int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
      String path = grpc ? OTLP_GRPC_PATH : (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      HttpClientOptions options = new HttpClientOptions()
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
          .setKeepAlive(true)
          .setSsl(tls);
      if (grpc) {
        options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false).setUseAlpn(tls);
      }
      this.client = vertx.createHttpClient(options);
      this.target = new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost()).setPort(port).setURI(path)
          .setSsl(tls).setIdleTimeout(timeout.toMillis());
    }

    @Override
    public String kind() {
      return kind;
    }

    @Override
    public String endpoint() {
      return url;
    }

    @Override
    public Future<Void> send(List<Span> batch) {
      Buffer body = encode.apply(batch);
      RequestOptions options = new RequestOptions(target).putHeader("Content-Type", contentType);
      if (grpc) {
        options.putHeader("te", "trailers").putHeader("grpc-timeout", timeout.toMillis() + "m");
      }
      return client.request(options)
          .compose(request -> request.send(body))
          .compose(response -> response.body().map(content -> outcome(response, content)))
          .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .recover(failure -> Future.failedFuture(failure instanceof ExportException ? failure
              : new ExportException(failure.getClass().getSimpleName() + ": " + failure.getMessage(), true)))
          .mapEmpty();
    }

    private Void outcome(HttpClientResponse response, Buffer content) {
      int status = response.statusCode();
      if (status / 100 != 2) {
        boolean retryable = status >= 500 || status == 408 || status == 429;
        String text = content.length() > 300 ? content.getString(0, 300) + "…" : content.toString();
        throw new ExportException("HTTP " + status + " " + text.strip(), retryable);
      }
      if (grpc) {
        MultiMap trailers = response.trailers();
        String code = trailers.get("grpc-status") != null ? trailers.get("grpc-status") : response.getHeader("grpc-status");
        if (code == null) {
          throw new ExportException("no grpc-status in the answer", true);
        }
        if (!code.equals("0")) {
          String message = trailers.get("grpc-message") != null ? trailers.get("grpc-message") : response.getHeader("grpc-message");
          // OTLP: these codes may pass (spec "OTLP/gRPC Throttling" and failures)
          boolean retryable = List.of("1", "4", "8", "10", "11", "14", "15").contains(code);
          throw new ExportException("gRPC status " + code + (message == null ? "" : " " + message), retryable);
        }
      }
      return null;
    }

    @Override
    public Future<Void> close() {
      return client.close();
    }
  }

  private HttpTransports() {
  }
}
