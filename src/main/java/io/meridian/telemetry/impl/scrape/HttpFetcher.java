package io.meridian.telemetry.impl.scrape;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Fetches scrape bodies over HTTP with one shared client: the whole fetch (pool wait, connect,
 * head and body) within the timeout, the body (after decompression) cut off as soon as it
 * exceeds the size limit, gzip accepted, OpenMetrics preferred.
 */
final class HttpFetcher {

  /** What a scrape asks for, as Prometheus does: OpenMetrics 1.0, else the text format 0.0.4. */
  static final String ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  /** Connections kept per target host:port (bindings of one instance may share a metrics port). */
  static final int CONNECTIONS_PER_ENDPOINT = 4;

  private final Vertx vertx;
  private final HttpClient client;
  private final long timeoutMs;
  private final long maxBodySize;
  private final String timeoutHeader;

  HttpFetcher(Vertx vertx, Duration interval, Duration timeout, long maxBodySize, int concurrency) {
    this.vertx = vertx;
    this.timeoutMs = timeout.toMillis();
    this.maxBodySize = maxBodySize;
    this.timeoutHeader = String.valueOf(timeout.toMillis() / 1000.0);
    HttpClientOptions options = new HttpClientOptions()
        .setName("meridian-scraper")
        .setDecompressionSupported(true)
        .setKeepAlive(true)
        // a connection outlives the gap between two scrapes of its target
        .setKeepAliveTimeout((int) Math.max(30, 2 * interval.toSeconds()))
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
        .setMaxHeaderSize(32 * 1024);
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(CONNECTIONS_PER_ENDPOINT).setMaxWaitQueueSize(Math.max(16, concurrency));
    this.client = vertx.createHttpClient(options, pool);
  }

  /** The body at {@code url}, or a {@link ScrapeFailure}. */
  Future<Body> fetch(String url) {
    Promise<Body> promise = Promise.promise();
    HttpClientRequest[] current = new HttpClientRequest[1];
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (promise.tryFail(new ScrapeFailure(ScrapeFailure.TIMEOUT, "timeout: no complete answer within " + timeoutMs + " ms"))
          && current[0] != null) {
        current[0].reset();
      }
    });
    promise.future().onComplete(x -> vertx.cancelTimer(timer));
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setAbsoluteURI(url)
        .setConnectTimeout(timeoutMs)
        .putHeader(HttpHeaders.ACCEPT, ACCEPT)
        .putHeader(HttpHeaders.USER_AGENT, "Meridian-scraper")
        .putHeader("X-Prometheus-Scrape-Timeout-Seconds", timeoutHeader);
    Future<HttpClientRequest> requested;
    try {
      requested = client.request(request);
    } catch (RuntimeException e) { // a closed client throws rather than failing the future
      promise.tryFail(failure(e));
      return promise.future();
    }
    requested.compose(req -> {
      current[0] = req;
      if (promise.future().isComplete()) {
        req.reset();
        return Future.failedFuture("abandoned");
      }
      return req.send();
    }).onSuccess(response -> {
      if (promise.future().isComplete()) {
        response.request().reset();
        return;
      }
      if (response.statusCode() / 100 != 2) {
        promise.tryFail(new ScrapeFailure(ScrapeFailure.HTTP_ERROR, "HTTP " + response.statusCode()
            + (response.statusMessage() == null ? "" : " " + response.statusMessage())));
        response.request().reset();
        return;
      }
      long declared = contentLength(response.getHeader(HttpHeaders.CONTENT_LENGTH));
      String encoding = response.getHeader(HttpHeaders.CONTENT_ENCODING);
      // a declared length is the decompressed size only without a content encoding
      if (declared > maxBodySize && (encoding == null || encoding.equalsIgnoreCase("identity"))) {
        promise.tryFail(tooLarge());
        response.request().reset();
        return;
      }
      String contentType = response.getHeader(HttpHeaders.CONTENT_TYPE);
      Accumulator body = new Accumulator((int) Math.min(maxBodySize, declared > 0 ? declared : 64 * 1024), maxBodySize);
      response.handler(chunk -> {
        if (promise.future().isComplete()) {
          return;
        }
        if (body.length + (long) chunk.length() > maxBodySize) {
          promise.tryFail(tooLarge());
          response.request().reset();
          return;
        }
        body.append(chunk);
      });
      response.exceptionHandler(e -> promise.tryFail(failure(e)));
      response.endHandler(v -> promise.tryComplete(new Body(body.bytes, body.length, contentType)));
    }).onFailure(e -> promise.tryFail(failure(e)));
    return promise.future();
  }

  /**
   * The body's bytes in one array, grown by doubling but never beyond the size limit (callers
   * check {@code length + chunk <= limit} before appending), so a body holds at most
   * {@code limit} bytes of heap.
   */
  static final class Accumulator {
    byte[] bytes;
    int length;
    private final long limit;

    Accumulator(int initial, long limit) {
      this.limit = limit;
      bytes = new byte[(int) Math.min(limit, Math.max(1024, initial))];
    }

    void append(Buffer chunk) {
      int n = chunk.length();
      if (length + n > bytes.length) {
        long grown = Math.min(limit, Math.min(Integer.MAX_VALUE - 8, 2L * bytes.length));
        bytes = java.util.Arrays.copyOf(bytes, (int) Math.max(length + n, grown));
      }
      chunk.getBytes(0, n, bytes, length);
      length += n;
    }
  }

  private ScrapeFailure tooLarge() {
    return new ScrapeFailure(ScrapeFailure.TOO_LARGE, "body exceeds " + maxBodySize + " bytes");
  }

  private ScrapeFailure failure(Throwable e) {
    if (e instanceof ScrapeFailure f) {
      return f;
    }
    if (e instanceof TimeoutException || e instanceof io.netty.channel.ConnectTimeoutException) {
      return new ScrapeFailure(ScrapeFailure.TIMEOUT, "timeout: " + e.getMessage());
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new ScrapeFailure(ScrapeFailure.ERROR, message);
  }

  private static long contentLength(String header) {
    if (header == null) {
      return -1;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  Future<Void> close() {
    return client.close();
  }
}
