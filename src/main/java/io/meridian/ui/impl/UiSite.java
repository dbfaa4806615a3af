package io.meridian.ui.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The web UI's static files, loaded once from the classpath directory {@code webroot/} (packed
 * into the jar from the repository's {@code webroot/}) and served from memory at {@code /} on the
 * admin server of nodes that run the {@code ui} role.
 *
 * <ul>
 *   <li>Every answer carries {@link #CONTENT_SECURITY_POLICY}, {@code X-Content-Type-Options:
 *       nosniff}, {@code Referrer-Policy: no-referrer} and {@code X-Frame-Options: DENY}.</li>
 *   <li>{@code index.html} (at {@code /}, {@code /index.html} and as the single-page-app
 *       fallback) is {@code Cache-Control: no-cache}; other files are
 *       {@code public, max-age=}{@link #ASSET_MAX_AGE_SECONDS}; all carry a content-hash
 *       {@code ETag} and answer {@code If-None-Match} with 304.</li>
 *   <li>Fallback: a GET for a path without a file extension that is no file (e.g.
 *       {@code /services/orders}) gets {@code index.html}, so the browser's router shows the
 *       page. Never under {@link #NOT_UI}: those stay the API's (404 JSON when unknown), as do
 *       missing files with an extension and paths with a segment starting with a dot.</li>
 * </ul>
 */
public final class UiSite {

  /** The policy on every UI answer: no inline script or style, nothing from other origins. */
  public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  /** How long browsers may use a non-HTML asset without revalidating. */
  public static final int ASSET_MAX_AGE_SECONDS = 300;

  /** Path prefixes that never fall back to the UI. */
  public static final List<String> NOT_UI = List.of("/api", "/metrics", "/federate", "/health", "/ready");

  /** Where the files are on the classpath. */
  public static final String CLASSPATH_DIR = "webroot";

  private static final long MAX_TOTAL_BYTES = 32L * 1024 * 1024;
  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("html", "text/html; charset=utf-8"),
      Map.entry("js", "text/javascript; charset=utf-8"),
      Map.entry("mjs", "text/javascript; charset=utf-8"),
      Map.entry("css", "text/css; charset=utf-8"),
      Map.entry("json", "application/json; charset=utf-8"),
      Map.entry("svg", "image/svg+xml"),
      Map.entry("png", "image/png"),
      Map.entry("ico", "image/x-icon"),
      Map.entry("txt", "text/plain; charset=utf-8"),
      Map.entry("woff2", "font/woff2"));

  private record Asset(Buffer body, String type, String etag, boolean index) {
  }

  private static UiSite packed;

  private final Map<String, Asset> assets;
  private final Asset index;

  private UiSite(Map<String, Asset> assets) {
    this.assets = Map.copyOf(assets);
    this.index = assets.get("/index.html");
    if (index == null) {
      throw new IllegalStateException(CLASSPATH_DIR + "/index.html is missing from the classpath");
    }
  }

  /**
   * Loads {@code webroot/} from the classpath (a directory or a jar). Blocking: call it before
   * the admin server starts, never on an event loop.
   *
   * @throws IllegalStateException when there is no {@code webroot/index.html}
   */
  public static UiSite load() {
    URL root = UiSite.class.getClassLoader().getResource(CLASSPATH_DIR + "/index.html");
    if (root == null) {
      throw new IllegalStateException(CLASSPATH_DIR + "/index.html is missing from the classpath");
    }
    try {
      URI uri = root.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
          return new UiSite(read(jar.getPath("/" + CLASSPATH_DIR)));
        }
      }
      return new UiSite(read(Path.of(uri).getParent()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The jar's {@code webroot/}, loaded on first use ({@link #load()}) and then shared. */
  public static synchronized UiSite packed() {
    if (packed == null) {
      packed = load();
    }
    return packed;
  }

  /** Serves the files given as {@code path → content} (paths like {@code /app.js}; tests). */
  public static UiSite of(Map<String, byte[]> files) {
    Map<String, Asset> assets = new TreeMap<>();
    files.forEach((path, bytes) -> assets.put(path, asset(path, bytes)));
    return new UiSite(assets);
  }

  private static Map<String, Asset> read(Path dir) throws IOException {
    Map<String, Asset> assets = new TreeMap<>();
    long total = 0;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        String name = dir.relativize(file).toString().replace('\\', '/');
        if (name.startsWith(".") || name.contains("/.")) {
          continue;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
          bytes = in.readAllBytes();
        }
        total += bytes.length;
        if (total > MAX_TOTAL_BYTES) {
          throw new IllegalStateException(CLASSPATH_DIR + "/ exceeds " + MAX_TOTAL_BYTES + " bytes");
        }
        assets.put("/" + name, asset("/" + name, bytes));
      }
    }
    return assets;
  }

  private static Asset asset(String path, byte[] bytes) {
    String extension = extension(path);
    String type = TYPES.getOrDefault(extension == null ? "" : extension, "application/octet-stream");
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
      String etag = "\"" + HexFormat.of().formatHex(hash, 0, 12) + "\"";
      return new Asset(Buffer.buffer(bytes), type, etag, path.equals("/index.html"));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The served paths (e.g. {@code /index.html}, {@code /app.js}). */
  public List<String> paths() {
    return List.copyOf(new TreeMap<>(assets).keySet());
  }

  /** Adds the UI's routes; mount it after every other route so the API keeps its paths. */
  public void mount(Router router) {
    router.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::serve);
  }

  private void serve(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (!isUiPath(path)) {
      ctx.next();
      return;
    }
    Asset asset = path.equals("/") ? index : assets.get(path);
    if (asset == null) {
      if (extension(path) != null) {
        ctx.next();
        return;
      }
      asset = index;
    }
    HttpServerResponse response = ctx.response();
    securityHeaders(response);
    response.putHeader(HttpHeaders.CACHE_CONTROL, asset.index() ? "no-cache" : "public, max-age=" + ASSET_MAX_AGE_SECONDS);
    response.putHeader(HttpHeaders.ETAG, asset.etag());
    response.putHeader(HttpHeaders.VARY, "Accept-Encoding");
    String match = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
    if (match != null && etagMatches(match, asset.etag())) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_TYPE, asset.type());
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(asset.body().length())).end();
    } else {
      response.end(asset.body());
    }
  }

  /** Adds the headers every UI answer carries. */
  public static void securityHeaders(HttpServerResponse response) {
    response.putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Frame-Options", "DENY");
  }

  static boolean isUiPath(String path) {
    if (path == null || !path.startsWith("/") || path.contains("/.")) {
      return false;
    }
    for (String prefix : NOT_UI) {
      if (path.equals(prefix) || path.startsWith(prefix + "/")) {
        return false;
      }
    }
    return true;
  }

  private static boolean etagMatches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String c = candidate.trim();
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.equals(etag) || c.equals("*")) {
        return true;
      }
    }
    return false;
  }

  private static String extension(String path) {
    String last = path.substring(path.lastIndexOf('/') + 1);
    int dot = last.lastIndexOf('.');
    return dot <= 0 ? null : last.substring(dot + 1).toLowerCase(Locale.ROOT);
  }
}
