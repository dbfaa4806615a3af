package io.meridian.gateway.impl.plugins.auth;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JWKS of one {@code jwksUri}, fetched with the gateway's HTTP client and kept: fetched when
 * a rule first names it, refreshed in the background once older than {@link #REFRESH_MILLIS}
 * (requests keep using the keys they have meanwhile), and fetched again when a token names a key
 * id it lacks (a key rotation) — the first time at once, then at most once per {@link #MIN_REFETCH_MILLIS}, so tokens with made-up key ids
 * cannot make the gateway hammer the issuer. Never fetched on a request's thread synchronously:
 * a request that needs keys not loaded yet waits on the fetch in flight ({@link #keys}).
 * Thread-safe.
 */
public final class RemoteJwks {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteJwks.class);
  static final long REFRESH_MILLIS = 10 * 60_000;
  static final long MIN_REFETCH_MILLIS = 30_000;
  /** While no keys were ever loaded, a failed fetch is retried by requests at most this often. */
  static final long RETRY_MILLIS = 1_000;
  /** The largest JWKS document accepted. */
  static final int MAX_BYTES = 512 * 1024;

  private final HttpClient client;
  private final String uri;
  private final long timeoutMillis;
  private volatile Jwks current;
  private volatile long loadedAtMillis;
  private long lastAttemptMillis;
  /** Why the last fetch failed ({@code null}: it did not). */
  private Throwable lastFailure;
  /** When a token's unknown key id last made it fetch again (0: never). */
  private long lastKidRefetchMillis;
  private Future<Jwks> inFlight;

  RemoteJwks(HttpClient client, String uri, long timeoutMillis) {
    this.client = client;
    this.uri = uri;
    this.timeoutMillis = timeoutMillis;
  }

  public String uri() {
    return uri;
  }

  /** The keys loaded so far ({@code null}: none yet). */
  public Jwks current() {
    return current;
  }

  /**
   * The keys to verify with: at once when loaded (starting a background refresh when they are
   * old), otherwise the fetch in flight (started if none is).
   */
  public Future<Jwks> keys() {
    Jwks now = current;
    if (now != null && System.currentTimeMillis() - loadedAtMillis <= REFRESH_MILLIS) {
      return Future.succeededFuture(now); // the per-request path: no lock
    }
    return keysSlow();
  }

  private synchronized Future<Jwks> keysSlow() {
    Jwks now = current;
    long t = System.currentTimeMillis();
    if (now != null) {
      if (t - loadedAtMillis > REFRESH_MILLIS && inFlight == null && t - lastAttemptMillis > MIN_REFETCH_MILLIS) {
        fetch(t);
      }
      return Future.succeededFuture(now);
    }
    if (inFlight != null) {
      return inFlight;
    }
    if (lastFailure != null && t - lastAttemptMillis < RETRY_MILLIS) {
      return Future.failedFuture(lastFailure); // the issuer is failing: not one fetch per request
    }
    return fetch(t);
  }

  /**
   * Keys that may include {@code kid} (missing from the current set): a new fetch unless one ran
   * within {@link #MIN_REFETCH_MILLIS}, in which case the current keys (or the fetch in flight).
   */
  public synchronized Future<Jwks> refetchFor(String kid) {
    if (inFlight != null) {
      return inFlight;
    }
    long t = System.currentTimeMillis();
    if (current != null && lastKidRefetchMillis != 0 && t - lastKidRefetchMillis < MIN_REFETCH_MILLIS) {
      return Future.succeededFuture(current);
    }
    lastKidRefetchMillis = t;
    LOG.debug("JWKS {} has no key {}: fetching it again", uri, kid);
    return fetch(t);
  }

  /** Starts loading (when nothing was loaded or tried yet). */
  synchronized void prefetch() {
    if (current == null && inFlight == null) {
      fetch(System.currentTimeMillis());
    }
  }

  private Future<Jwks> fetch(long now) {
    lastAttemptMillis = now;
    Promise<Jwks> result = Promise.promise();
    inFlight = result.future();
    RequestOptions options = new RequestOptions().setAbsoluteURI(uri).setMethod(HttpMethod.GET)
        .setConnectTimeout(timeoutMillis).setIdleTimeout(timeoutMillis).putHeader("accept", "application/json");
    client.request(options)
        .compose(req -> req.send().compose(resp -> {
          if (resp.statusCode() != 200) {
            return Future.failedFuture("HTTP " + resp.statusCode());
          }
          String length = resp.getHeader("content-length");
          if (length != null && length.length() < 12 && Long.parseLong(length.trim()) > MAX_BYTES) {
            return Future.failedFuture("document larger than " + MAX_BYTES + " bytes");
          }
          return resp.body();
        }))
        .timeout(timeoutMillis * 2, TimeUnit.MILLISECONDS)
        .map(body -> Jwks.parse(body.toString()))
        .onComplete(ar -> {
          synchronized (this) {
            inFlight = null;
            lastFailure = ar.failed() ? ar.cause() : null;
            if (ar.succeeded()) {
              loadedAtMillis = System.currentTimeMillis();
              current = ar.result();
            } else {
              LOG.warn("could not fetch the JWKS {}: {}", uri, ar.cause().getMessage());
            }
          }
          if (ar.succeeded()) {
            result.complete(ar.result());
          } else {
            result.fail(ar.cause());
          }
        });
    return result.future();
  }
}
