package io.meridian.gateway.impl.proxy;

import io.meridian.gateway.AttemptObserver;
import io.meridian.gateway.Attributes;
import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.Phase;
import io.meridian.gateway.impl.route.Cluster;
import io.meridian.gateway.impl.route.CorsPolicy;
import io.meridian.gateway.impl.route.Endpoint;
import io.meridian.gateway.impl.route.HttpRoute;
import io.meridian.gateway.impl.route.LbPolicy;
import io.meridian.gateway.impl.route.Match;
import io.meridian.gateway.impl.route.RouteTable;
import io.meridian.gateway.impl.route.ServiceRoutes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AsciiString;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One request through the gateway, from its head to the end of its response, on the client
 * connection's event loop: the plugin chain (forward), the routing decision, attempts to
 * upstream endpoints (retries, timeouts, outlier bookkeeping), the response (plugins in
 * reverse) streamed back with backpressure both ways. Bodies are never buffered whole: a
 * request body is kept for replay only while it is small (retries and mirroring need it).
 */
final class ProxyExchange implements Exchange, Match.Request, Upstream.ConnectCallback, Upstream.Listener, Runnable {

  static final AsciiString HOPS = AsciiString.cached("x-meridian-hops");
  static final AsciiString GATEWAY = AsciiString.cached("x-meridian-gateway");
  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
  static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
  static final AsciiString APPLICATION_JSON = AsciiString.cached("application/json");

  /** Headers of a local answer the gateway sets itself (a refusing plugin's are not copied). */
  static final java.util.Set<String> LOCAL_ANSWER_OWN = java.util.Set.of("content-type", "content-length", "transfer-encoding",
      "connection", "keep-alive", "upgrade", "te", "trailer", "proxy-connection");

  /** Request bodies up to this size are kept for retries and mirroring. */
  static final int REPLAY_LIMIT = 64 * 1024;
  /** Bytes of request body held while the upstream connection opens (then the client is paused). */
  static final int PENDING_LIMIT = 256 * 1024;

  final Downstream downstream;
  final GatewayRuntime runtime;
  final RouteTable table;
  final GatewayRuntime.Chain chain;
  final HttpRequest request;
  final String originalUri;
  private final long start = System.nanoTime();
  private final boolean clientKeepAlive;
  private final EventLoop loop;
  private final HttpVersion originalVersion;
  /**
   * The client side speaks HTTP/2 (this exchange is one stream): the response goes out as
   * {@code HttpObject}s that the stream's codec turns into frames, instead of HTTP/1.1 bytes.
   */
  private final boolean h2;
  private int hopCount;

  // request body
  private boolean requestComplete;
  private long bodyBytes;
  private boolean replayable = true;
  private List<ByteBuf> replay;
  private ArrayDeque<HttpContent> pending;
  private int pendingBytes;
  private boolean readPaused;

  // routing (set by the routing step)
  String tenant;
  ServiceRoutes service;
  /** Why no route matched when the route was located (refused in the ROUTE phase), or {@code null}. */
  PluginFailure routeFailure;
  /** A plugin changed request headers since the route was located: match it again. */
  boolean routeDirty;
  HttpRoute route;
  HttpRoute.Destination destination;
  Cluster cluster;
  String version;
  /**
   * The request target in origin form ({@code /path?query}); routing works on indices into it
   * and nothing is cut out unless a plugin or rule asks.
   */
  final String target;
  /** Where the path ends in {@link #target} (the {@code ?} or the end). */
  final int pathEnd;
  /** Where the service-relative path starts in {@link #target} ({@code == pathEnd}: it is "/"). */
  int serviceStart;
  /** Where the forwarded path starts when the prefix is kept ({@code -1}: the service-relative path is forwarded). */
  int forwardStart = -1;
  /** Put before the forwarded target ({@code /t/{tenant}} when an edge picked the tenant by host), or {@code null}. */
  String forwardPrefix;
  private String servicePath;
  private String query;
  private String errorCode;
  private String requestId;
  private Map<Key<?>, Object> attributes;

  // attempts
  private Endpoint endpoint;
  private Endpoint lastFailed;
  private Upstream upstream;
  private int attempts;
  private boolean headPrepared;
  private boolean counted;
  /** When the current attempt times out ({@code 0}: never); watched by the loop's sweep. */
  long dueNanos;
  boolean timedTracked;
  ProxyExchange timedPrev;
  ProxyExchange timedNext;
  private long deadlineNanos;
  /** How the request body is framed upstream: raw (length-delimited or none) or re-chunked. */
  private boolean requestChunked;
  /**
   * How the response body is framed to the client: for HTTP/1.1 as is ({@code RAW}: a length
   * or the close delimits it), re-chunked, or dropped ({@code NONE}: HEAD, 204, 304); for HTTP/2
   * passed on as {@code HttpContent}s ({@code H2}) or replaced by the end of the stream ({@code H2_NONE}).
   */
  private int responseFraming;
  private static final int RAW = 0;
  private static final int CHUNKED = 1;
  private static final int NONE = 2;
  private static final int H2 = 3;
  private static final int H2_NONE = 4;
  private boolean discarding;
  private boolean interim;

  // response
  private HttpResponse response;
  private int status;
  private boolean responseHeadSent;
  private boolean responseHeadWaiting;
  private ArrayDeque<HttpContent> responseQueue;
  private boolean done;
  private boolean upstreamNeedsFlush;

  ProxyExchange(Downstream downstream, HttpRequest request) {
    this.downstream = downstream;
    this.runtime = downstream.runtime;
    this.table = runtime.routes();
    this.chain = runtime.chain();
    this.request = request;
    this.originalUri = request.uri();
    this.clientKeepAlive = HttpUtil.isKeepAlive(request);
    this.loop = downstream.channel.eventLoop();
    this.originalVersion = request.protocolVersion();
    this.h2 = downstream.stream;
    String uri = request.uri();
    if (!uri.startsWith("/")) {
      // absolute form (http://host/path?q) or '*': route on its path and query
      int scheme = uri.indexOf("://");
      int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
      uri = slash < 0 ? "/" : uri.substring(slash);
    }
    this.target = uri;
    int q = uri.indexOf('?');
    this.pathEnd = q < 0 ? uri.length() : q;
  }

  // ---- request ------------------------------------------------------------------------------

  void start() {
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      boolean tooLarge = cause instanceof io.netty.handler.codec.TooLongFrameException;
      requestComplete = true;
      local(tooLarge ? 431 : 400, tooLarge ? "headers_too_large" : "bad_request",
          tooLarge ? "the request line and headers exceed gateway.maxHeaderSize" : "malformed request: " + cause.getMessage(), true);
      return;
    }
    if (request instanceof LastHttpContent) {
      requestComplete = true;
    }
    HttpHeaders headers = request.headers();
    String hops = headers.get(HOPS);
    int hopCount = 0;
    if (hops != null) {
      try {
        hopCount = Integer.parseInt(hops.trim());
      } catch (NumberFormatException e) {
        hopCount = runtime.options.hopLimit();
      }
    }
    if (hopCount >= runtime.options.hopLimit()) {
      local(508, "loop_detected", "the request has passed " + hopCount + " gateways (limit gateway.hopLimit = "
          + runtime.options.hopLimit() + "); Via: " + headers.get(HttpHeaderNames.VIA), false);
      return;
    }
    this.hopCount = hopCount;
    if (!runtime.ready()) {
      local(503, "not_ready", "the gateway has not loaded the registry and the rules yet", false);
      return;
    }
    Routing routing = runtime.routing;
    if (routing != null) {
      routeFailure = routing.route(this);
    }
    long max = runtime.options.maxBodySize();
    if (max > 0) {
      long length;
      try {
        length = HttpUtil.getContentLength(request, -1L);
      } catch (NumberFormatException e) {
        length = -1;
      }
      if (length > max) {
        local(413, "payload_too_large", "the request body (Content-Length " + length + ") exceeds gateway.maxBodySize ("
            + max + " bytes)", true);
        return;
      }
    }
    runRequestPlugins(0);
  }

  private void runRequestPlugins(int from) {
    GatewayPlugin[] plugins = chain.plugins();
    for (int i = from; i < plugins.length; i++) {
      if (!corsChecked && plugins[i].phase() != Phase.OBSERVE && answeredPreflight()) {
        return;
      }
      Future<Void> f;
      try {
        f = plugins[i].onRequest(this);
      } catch (RuntimeException e) {
        refuse(e);
        return;
      }
      if (f.succeeded()) {
        continue;
      }
      if (f.failed()) {
        refuse(f.cause());
        return;
      }
      int next = i + 1;
      resume(f, () -> runRequestPlugins(next), this::refuse);
      return;
    }
    dispatch();
  }

  /** Continues on this exchange's loop once a plugin's future completes, unless the exchange ended meanwhile. */
  private void resume(Future<?> f, Runnable next, Consumer<Throwable> fail) {
    f.onComplete(ar -> onLoop(() -> {
      if (done) {
        return;
      }
      if (ar.succeeded()) {
        next.run();
      } else {
        fail.accept(ar.cause());
      }
    }));
  }

  @Override
  public void onLoop(Runnable action) {
    if (loop.inEventLoop()) {
      action.run();
    } else {
      loop.execute(action);
    }
  }

  private void refuse(Throwable cause) {
    if (cause instanceof PluginFailure f) {
      byte[] body = f.body();
      if (body != null) {
        this.errorCode = f.code();
        String type = null;
        for (Map.Entry<String, String> h : f.headers()) {
          if (h.getKey().equalsIgnoreCase("content-type")) {
            type = h.getValue();
          }
        }
        respond(f.status(), body, type, null, false, f.headers());
      } else {
        local(f.status(), f.code(), f.getMessage(), false, f.headers());
      }
    } else {
      local(500, "plugin_error", "a gateway plugin failed: " + cause, false);
    }
  }

  /** The routing step failed: answer {@code status} with {@code code}. */
  PluginFailure noRoute(int status, String code, String message) {
    return new PluginFailure(status, code, message);
  }

  /** The CORS preflight check ran (after the OBSERVE plugins, before authentication). */
  private boolean corsChecked;
  /** This exchange is a preflight the gateway answers. */
  private boolean preflight;

  /**
   * Answers a CORS preflight from an origin the route allows, before authentication and
   * authorization (browsers send preflights without credentials); other preflights go on.
   */
  private boolean answeredPreflight() {
    corsChecked = true;
    HttpRoute r = route;
    if (r == null || r.cors == null) {
      return false;
    }
    HttpHeaders h = request.headers();
    String origin = h.get(HttpHeaderNames.ORIGIN);
    if (!CorsPolicy.isPreflight(request.method().name(), origin, h.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD))
        || !r.cors.allows(origin)) {
      return false;
    }
    preflight = true;
    respond(204, new byte[0], null, null, false);
    return true;
  }

  /** CORS headers for a response to an allowed origin (the route's {@code corsPolicy}). */
  private void applyCors(HttpHeaders h) {
    HttpRoute r = route;
    if (r == null || r.cors == null) {
      return;
    }
    String origin = request.headers().get(HttpHeaderNames.ORIGIN);
    if (!r.cors.allows(origin)) {
      return;
    }
    if (preflight) {
      r.cors.preflightHeaders(h, origin);
    } else {
      r.cors.responseHeaders(h, origin);
    }
  }

  private void dispatch() {
    if (!corsChecked && answeredPreflight()) {
      return;
    }
    if (route == null) {
      local(404, "no_route", "no service matches " + request.method() + " " + originalUri, false);
      return;
    }
    if (route.direct != null) {
      respond(route.direct.status(), route.direct.body(), "text/plain; charset=utf-8", null, false);
      return;
    }
    if (route.redirect != null) {
      redirect(route.redirect);
      return;
    }
    HttpRoute.Fault fault = route.fault;
    if (fault != null && fault.aborts()) {
      local(fault.abortStatus(), "fault_injected", "fault injected by the route " + route.name, false);
      return;
    }
    prepareHead();
    HttpRoute.Mirror mirror = route.mirror;
    if (mirror != null && !mirror.cluster().isEmpty() && ThreadLocalRandom.current().nextDouble() * 100 < mirror.percent()) {
      mirror(mirror.cluster());
    }
    long routeTimeout = route.timeoutNanos >= 0 ? route.timeoutNanos : runtime.options.requestTimeout().toNanos();
    deadlineNanos = routeTimeout > 0 ? start + routeTimeout : 0;
    if (fault != null && fault.delays()) {
      loop.schedule(this::attempt, fault.delayNanos(), TimeUnit.NANOSECONDS);
    } else {
      attempt();
    }
  }

  /** Header changes made once, whatever the attempt: hop-by-hop headers, forwarding headers, route mutations. */
  private void prepareHead() {
    if (headPrepared) {
      return;
    }
    headPrepared = true;
    HttpHeaders h = request.headers();
    // one pass over the headers instead of a lookup per special name
    String connection = null;
    String xff = null;
    String via = null;
    boolean hasProto = false;
    boolean hopByHop = false;
    java.util.Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence();
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      CharSequence name = e.getKey();
      switch (name.length()) {
        case 2 -> hopByHop |= AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TE);
        case 3 -> {
          if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.VIA)) {
            via = e.getValue().toString();
          }
        }
        case 7 -> hopByHop |= AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.UPGRADE);
        case 10 -> {
          if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION)) {
            connection = e.getValue().toString();
          } else {
            hopByHop |= AsciiString.contentEqualsIgnoreCase(name, KEEP_ALIVE);
          }
        }
        case 15 -> {
          if (AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_FOR)) {
            xff = e.getValue().toString();
          }
        }
        case 16 -> hopByHop |= AsciiString.contentEqualsIgnoreCase(name, PROXY_CONNECTION);
        case 17 -> {
          if (AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_PROTO)) {
            hasProto = true;
          } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
            requestChunked = AsciiString.containsIgnoreCase(e.getValue(), HttpHeaderValues.CHUNKED);
          }
        }
        default -> {
        }
      }
    }
    if (connection != null) {
      for (String token : connection.split(",")) {
        String t = token.trim();
        if (!t.isEmpty() && !t.equalsIgnoreCase("close") && !t.equalsIgnoreCase("keep-alive")) {
          h.remove(t);
        }
      }
      h.remove(HttpHeaderNames.CONNECTION);
    }
    if (hopByHop) {
      h.remove(KEEP_ALIVE);
      h.remove(PROXY_CONNECTION);
      h.remove(HttpHeaderNames.UPGRADE);
      h.remove(HttpHeaderNames.TE);
    }
    h.set(HOPS, HOP_VALUES[Math.min(hopCount + 1, HOP_VALUES.length - 1)]);
    String client = peerIp(); // X-Forwarded-For gets the address this hop saw
    h.set(X_FORWARDED_FOR, xff == null ? client : xff + ", " + client);
    if (!hasProto) {
      h.set(X_FORWARDED_PROTO, downstream.secure ? HTTPS : HTTP);
    }
    if (h2) {
      h.remove(Http2.STREAM_ID_HEADER);
      h.remove(Http2.SCHEME_HEADER);
    }
    String ours = h2 ? runtime.viaHttp2 : runtime.via;
    h.set(HttpHeaderNames.VIA, via == null ? ours : via + ", " + ours);
    if (!route.requestHeaders.isEmpty()) {
      route.requestHeaders.apply(h);
    }
    if (destination != null && !destination.requestHeaders().isEmpty()) {
      destination.requestHeaders().apply(h);
    }
    HttpRoute.Rewrite rewrite = route.rewrite;
    if (rewrite != null) {
      if (rewrite.authority() != null) {
        h.set(HttpHeaderNames.HOST, rewrite.authority());
      }
      if (rewrite.uriPrefix() != null || rewrite.regex() != null) {
        uriOverride = rewrittenUri();
      }
    }
  }

  private static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString HTTPS = AsciiString.cached("https");
  private static final String[] HOP_VALUES = new String[65];

  static {
    for (int i = 0; i < HOP_VALUES.length; i++) {
      HOP_VALUES[i] = Integer.toString(i);
    }
  }

  private String clientIp;

  /** The client as the gateway trusts it ({@link Attributes#CLIENT_IP} when a plugin set it), else the TCP peer. */
  private String clientIp() {
    if (attributes != null) {
      String trusted = get(Attributes.CLIENT_IP);
      if (trusted != null) {
        return trusted;
      }
    }
    return peerIp();
  }

  private String peerIp() {
    if (clientIp == null) {
      clientIp = downstream.clientIp();
    }
    return clientIp;
  }

  /** The request target sent upstream, as a string (rewrites, mirrors); the hot path writes it from {@link #target}. */
  String upstreamUri() {
    if (uriOverride != null) {
      return uriOverride;
    }
    if (forwardStart >= 0) {
      String forwarded = forwardStart == 0 ? target : target.substring(forwardStart);
      return forwardPrefix == null ? forwarded : forwardPrefix + forwarded;
    }
    return serviceStart >= pathEnd ? "/" + target.substring(pathEnd) : target.substring(serviceStart);
  }

  /** The upstream target when a rewrite changed it, else {@code null}. */
  private String uriOverride;

  private String rewrittenUri() {
    String path = forwardStart >= 0 ? (forwardStart == 0 ? path() : target.substring(forwardStart, pathEnd)) : servicePath();
    HttpRoute.Rewrite rewrite = route.rewrite;
    if (rewrite.regex() != null) {
      path = rewrite.regex().matcher(path).replaceAll(rewrite.regexReplacement());
    } else if (rewrite.uriPrefix() != null) {
      String matched = matchedPrefix();
      path = matched != null && path.startsWith(matched) ? rewrite.uriPrefix() + path.substring(matched.length())
          : rewrite.uriPrefix();
    }
    String q = query();
    return q == null ? path : path + "?" + q;
  }

  /** The literal URI prefix of the route's matches that the service path starts with (Istio's rewrite semantics). */
  private String matchedPrefix() {
    return route.prefixFor(this);
  }

  void onRequestContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    int bytes = content.content().readableBytes();
    bodyBytes += bytes;
    long max = runtime.options.maxBodySize();
    if (max > 0 && bodyBytes > max) {
      tooLarge(content, max);
      return;
    }
    if (replayable && bytes > 0) {
      if (bodyBytes > REPLAY_LIMIT) {
        replayable = false;
        releaseReplay();
      } else {
        if (replay == null) {
          replay = new ArrayList<>(4);
        }
        replay.add(content.content().retainedSlice());
      }
    }
    if (last) {
      requestComplete = true;
    }
    if (done) {
      content.release();
      return;
    }
    Upstream u = upstream;
    if (u != null && !discarding) {
      writeRequestContent(u, content);
      upstreamNeedsFlush = true;
      if (!u.channel.isWritable()) {
        readPaused = true;
        downstream.pauseReading();
      }
    } else {
      if (pending == null) {
        pending = new ArrayDeque<>();
      }
      pending.add(content);
      pendingBytes += bytes;
      if (pendingBytes > PENDING_LIMIT) {
        readPaused = true;
        downstream.pauseReading();
      }
    }
  }

  /**
   * A streamed request body grew past {@code gateway.maxBodySize}: nothing more goes upstream (its
   * connection is closed, so the upstream sees the request cut short), the client gets 413 and its
   * connection is closed — or both sides are cut if the response had already started.
   */
  private void tooLarge(HttpContent content, long max) {
    content.release();
    if (content instanceof LastHttpContent) {
      requestComplete = true;
    }
    if (done) {
      return;
    }
    if (responseHeadSent) {
      errorCode = "payload_too_large";
      abortBoth();
      return;
    }
    local(413, "payload_too_large", "the request body exceeds gateway.maxBodySize (" + max + " bytes)", true);
  }

  /** Writes a request body part upstream in its framing; takes ownership of {@code content}. */
  private void writeRequestContent(Upstream u, HttpContent content) {
    ByteBuf data = content.content();
    boolean last = content instanceof LastHttpContent;
    if (requestChunked) {
      int n = data.readableBytes();
      if (n > 0) {
        u.ctx.write(Http1.chunkHeader(u.ctx.alloc(), n), u.ctx.voidPromise());
        u.ctx.write(data, u.ctx.voidPromise());
        u.ctx.write(Http1.crlf(u.ctx.alloc()), u.ctx.voidPromise());
      } else {
        data.release();
      }
      if (last) {
        u.ctx.write(Http1.lastChunk(u.ctx.alloc(), (LastHttpContent) content), u.ctx.voidPromise());
      }
    } else if (data.isReadable()) {
      u.ctx.write(data, u.ctx.voidPromise());
    } else {
      data.release();
    }
  }

  boolean requestComplete() {
    return requestComplete;
  }

  boolean readPaused() {
    return readPaused;
  }

  void flushUpstream() {
    Upstream u = upstream;
    if (upstreamNeedsFlush && u != null) {
      upstreamNeedsFlush = false;
      u.ctx.flush();
    }
  }

  @Override
  public void upstreamWritabilityChanged(boolean writable) {
    if (writable && readPaused && pending == null) {
      readPaused = false;
      downstream.resumeReading();
    }
  }

  // ---- attempts -----------------------------------------------------------------------------

  private void attempt() {
    if (done) {
      return;
    }
    long now = System.nanoTime();
    if (deadlineNanos != 0 && now - deadlineNanos >= 0) {
      local(504, "upstream_timeout", "no answer from " + describeTarget() + " within the route timeout", false);
      return;
    }
    Endpoint e = cluster.pick(hashKey(), lastFailed);
    if (e == null) {
      local(503, "no_healthy_endpoint", "no healthy endpoint for " + describeTarget() + " on plane "
          + runtime.options.plane(), false);
      return;
    }
    if (cluster.limits.maxRequests() > 0 && cluster.active.get() >= cluster.limits.maxRequests()) {
      local(503, "overflow", "too many requests in flight to " + describeTarget()
          + " (connectionPool.http.http2MaxRequests = " + cluster.limits.maxRequests() + ")", false);
      return;
    }
    attempts++;
    endpoint = e;
    e.active.incrementAndGet();
    cluster.active.incrementAndGet();
    counted = true;
    armTimer(now);
    UpstreamPool pool = runtime.pool(loop);
    Upstream u = pool.poll(e);
    if (u != null && cluster.limits.maxConnections() > 0 && cluster.connections() > cluster.limits.maxConnections()) {
      u.finished(false); // opened before a lower limit took effect: close it (which frees a slot)
      u = null;
    }
    if (u != null) {
      send(u);
      return;
    }
    int max = cluster.limits.maxConnections();
    if (max > 0) {
      // reserve the slot first, then check: two event loops never both take the last one
      e.connections.incrementAndGet();
      if (cluster.connections() > max) {
        e.connections.decrementAndGet();
        awaitSlot(pool);
        return;
      }
      pool.connectReserved(e, this);
      return;
    }
    pool.connect(e, this);
  }

  // ---- waiting for a connection slot (connectionPool.tcp.maxConnections) ---------------------

  /** Whether this request waits for a connection slot. */
  private boolean waiting;

  /** Every connection the cluster may open is open and busy: wait for one, unless too many already wait. */
  private void awaitSlot(UpstreamPool pool) {
    int maxPending = cluster.limits.maxPendingRequests();
    if (maxPending > 0 && cluster.pending.get() >= maxPending) {
      release();
      local(503, "overflow", "too many requests waiting for a connection to " + describeTarget()
          + " (connectionPool.tcp.maxConnections = " + cluster.limits.maxConnections()
          + ", connectionPool.http.http1MaxPendingRequests = " + maxPending + ")", false);
      return;
    }
    // not an attempt yet: un-count it, but keep its deadline (a request waits no longer than its timeout)
    attempts--;
    if (counted) {
      counted = false;
      endpoint.active.decrementAndGet();
      cluster.active.decrementAndGet();
    }
    endpoint = null;
    waiting = true;
    cluster.pending.incrementAndGet();
    runtime.waiting.incrementAndGet();
    for (Endpoint e : cluster.endpoints) {
      e.waiting.incrementAndGet();
    }
    pool.await(this);
    if (cluster.connections() < cluster.limits.maxConnections()) {
      // another loop backed off from the same slot at the same moment: let the waiters look again
      runtime.wakeWaiters();
    }
  }

  private void stopWaiting() {
    if (!waiting) {
      return;
    }
    waiting = false;
    cluster.pending.decrementAndGet();
    runtime.waiting.decrementAndGet();
    for (Endpoint e : cluster.endpoints) {
      e.waiting.decrementAndGet();
    }
  }

  /** A slot may have freed (called by the pool, which already dropped this request from its queue). */
  void retryAfterWait() {
    stopWaiting();
    if (!done) {
      attempt();
    }
  }

  /** Whether this waiting request can take a released connection to {@code e}. */
  boolean canUse(Endpoint e) {
    return waiting && !done && cluster.contains(e) && !e.ejected(System.nanoTime());
  }

  /** Takes over {@code u}, released by another request (the pool already dropped this one from its queue). */
  void resumeWith(Upstream u) {
    stopWaiting();
    attempts++;
    endpoint = u.endpoint;
    endpoint.active.incrementAndGet();
    cluster.active.incrementAndGet();
    counted = true;
    armTimer(System.nanoTime());
    send(u);
  }

  private String describeTarget() {
    return cluster.service + (cluster.subset == null ? "" : " (" + cluster.subset + ")");
  }

  private void armTimer(long now) {
    long perTry = route.retry.perTryTimeoutNanos();
    long due = deadlineNanos;
    if (perTry > 0 && (due == 0 || now + perTry - due < 0)) {
      due = now + perTry;
    }
    dueNanos = due;
    UpstreamPool pool = runtime.pool(loop);
    if (due != 0) {
      pool.track(this);
    } else {
      pool.untrack(this);
    }
  }

  private void disarmTimer() {
    dueNanos = 0;
    if (timedTracked) {
      runtime.pool(loop).untrack(this);
    }
  }

  /** The route timeout or the per-try timeout passed (called by the loop's sweep). */
  @Override
  public void run() {
    dueNanos = 0;
    if (done) {
      return;
    }
    if (waiting) {
      runtime.pool(loop).stopAwaiting(this);
      stopWaiting();
      local(504, "upstream_timeout", "no connection to " + describeTarget() + " became free in time"
          + " (connectionPool.tcp.maxConnections = " + cluster.limits.maxConnections() + ")", false);
      return;
    }
    if (responseHeadSent) {
      // the answer started but did not finish in time: the client cannot be told otherwise
      errorCode = "upstream_timeout";
      abortBoth();
      return;
    }
    Upstream u = upstream;
    upstream = null;
    if (u != null) {
      u.finished(false);
    }
    if (endpoint != null) {
      cluster.recordGatewayError(endpoint);
    }
    lastFailed = endpoint;
    release();
    boolean timeLeft = deadlineNanos == 0 || System.nanoTime() - deadlineNanos < 0;
    if (timeLeft && route.retry.perTryTimeoutNanos() > 0 && canRetry()) {
      attempt();
    } else {
      local(504, "upstream_timeout", "no answer from " + describeTarget() + " in time", false);
    }
  }

  @Override
  public void connected(Upstream u) {
    if (done) {
      u.finished(true);
      return;
    }
    send(u);
  }

  @Override
  public void connectFailed(Throwable cause) {
    if (done) {
      return;
    }
    Endpoint failed = endpoint;
    cluster.recordGatewayError(failed);
    lastFailed = failed;
    release();
    if (route.retry.onConnectFailure() && canRetry()) {
      attempt();
    } else {
      local(502, "upstream_connect_failed", "cannot connect to " + describeTarget() + " at " + failed.authority + ": "
          + rootMessage(cause), false);
    }
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** Whether another attempt is allowed and the request can be sent again whole. */
  private boolean canRetry() {
    return attempts <= route.retry.attempts() && (bodyBytes == 0 || replayable && requestComplete);
  }

  private ByteBuf requestHead(Upstream u) {
    if (uriOverride != null) {
      return Http1.requestHead(u.ctx.alloc(), request, uriOverride, 0, false);
    }
    if (forwardPrefix != null) {
      return Http1.requestHead(u.ctx.alloc(), request, upstreamUri(), 0, false);
    }
    if (forwardStart >= 0) {
      return Http1.requestHead(u.ctx.alloc(), request, target, forwardStart, false);
    }
    return serviceStart >= pathEnd ? Http1.requestHead(u.ctx.alloc(), request, target, pathEnd, true)
        : Http1.requestHead(u.ctx.alloc(), request, target, serviceStart, false);
  }

  private void send(Upstream u) {
    upstream = u;
    u.exchange = this;
    u.requests++;
    u.headRequest = request.method() == HttpMethod.HEAD;
    discarding = false;
    interim = false;
    if (attributes != null) {
      AttemptObserver observer = get(AttemptObserver.KEY);
      if (observer != null) {
        observer.attemptStarted(attempts, u.endpoint.authority, request.headers()::set);
      }
    }
    u.ctx.write(requestHead(u), u.ctx.voidPromise());
    if (attempts > 1) {
      // a retry replays the body kept so far (only whole bodies are retried)
      if (replay != null) {
        for (ByteBuf b : replay) {
          writeRequestContent(u, new DefaultHttpContent(b.retainedDuplicate()));
        }
      }
      if (requestChunked && requestComplete) {
        u.ctx.write(Http1.lastChunk(u.ctx.alloc(), LastHttpContent.EMPTY_LAST_CONTENT), u.ctx.voidPromise());
      }
      if (pending != null) {
        pending.forEach(HttpContent::release);
        pending = null;
        pendingBytes = 0;
      }
    } else if (pending != null) {
      HttpContent c;
      while ((c = pending.poll()) != null) {
        writeRequestContent(u, c);
      }
      pending = null;
      pendingBytes = 0;
      if (readPaused && u.channel.isWritable()) {
        readPaused = false;
        downstream.resumeReading();
      }
    }
    if (downstream.inRead && loop.inEventLoop()) {
      upstreamNeedsFlush = true;
    } else {
      u.ctx.flush();
    }
  }

  // ---- response -----------------------------------------------------------------------------

  @Override
  public void onResponseHead(Upstream u, HttpResponse r) {
    if (u != upstream || done) {
      return;
    }
    if (r.decoderResult().isFailure()) {
      onUpstreamClosed(u, r.decoderResult().cause());
      u.finished(false);
      return;
    }
    int code = r.status().code();
    if (attributes != null && code >= 200) {
      AttemptObserver observer = get(AttemptObserver.KEY);
      if (observer != null) {
        observer.attemptAnswered(code);
      }
    }
    if (code >= 100 && code < 200 && code != 101) {
      // interim (100 Continue, 103 Early Hints): pass it on, keep waiting
      interim = true;
      if (!responseHeadSent) {
        stripHopByHop(r.headers());
        if (h2) {
          // Netty's stream codec sends an informational answer as a HEADERS frame when it is "full"
          writeDownstream(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), Unpooled.EMPTY_BUFFER, r.headers(),
              EmptyHttpHeaders.INSTANCE));
        } else {
          writeDownstream(Http1.responseHead(downstream.ctx.alloc(), r, downstreamIsHttp10()));
        }
      }
      return;
    }
    cluster.record(endpoint, code);
    if (route.retry.retriesStatus(code) && canRetry() && requestComplete) {
      // read and drop this answer, then try again
      discarding = true;
      lastFailed = endpoint;
      return;
    }
    status = code;
    response = r;
    HttpHeaders h = r.headers();
    upstreamKeepAlive = stripHopByHop(h) && r.protocolVersion().minorVersion() == 1;
    if (!route.responseHeaders.isEmpty()) {
      route.responseHeaders.apply(h);
    }
    if (destination != null && !destination.responseHeaders().isEmpty()) {
      destination.responseHeaders().apply(h);
    }
    applyCors(h);
    runResponsePlugins(chain.plugins().length - 1);
  }

  private boolean upstreamKeepAlive;

  /** Removes hop-by-hop headers; returns whether the sender keeps the connection open. */
  private static boolean stripHopByHop(HttpHeaders h) {
    String connection = h.get(HttpHeaderNames.CONNECTION);
    boolean keepAlive = true;
    if (connection != null) {
      if (connection.indexOf(',') < 0) {
        keepAlive = !connection.trim().equalsIgnoreCase("close");
        if (keepAlive && !connection.trim().equalsIgnoreCase("keep-alive")) {
          h.remove(connection.trim());
        }
        h.remove(HttpHeaderNames.CONNECTION);
        h.remove(KEEP_ALIVE);
        return keepAlive;
      }
      for (String token : connection.split(",")) {
        String t = token.trim();
        if (t.equalsIgnoreCase("close")) {
          keepAlive = false;
        } else if (!t.isEmpty() && !t.equalsIgnoreCase("keep-alive")) {
          h.remove(t);
        }
      }
      h.remove(HttpHeaderNames.CONNECTION);
      h.remove(KEEP_ALIVE);
    }
    return keepAlive;
  }

  private void runResponsePlugins(int from) {
    GatewayPlugin[] plugins = chain.plugins();
    for (int i = from; i >= 0; i--) {
      Future<Void> f;
      try {
        f = plugins[i].onResponse(this);
      } catch (RuntimeException e) {
        failResponse(e);
        return;
      }
      if (f.succeeded()) {
        continue;
      }
      if (f.failed()) {
        failResponse(f.cause());
        return;
      }
      int next = i - 1;
      responseHeadWaiting = true;
      if (upstream != null) {
        upstream.channel.config().setAutoRead(false);
      }
      resume(f, () -> runResponsePlugins(next), this::failResponse);
      return;
    }
    sendResponseHead();
  }

  private void failResponse(Throwable cause) {
    Upstream u = upstream;
    upstream = null;
    if (u != null) {
      u.finished(false);
    }
    release();
    refuse(cause);
  }

  private void sendResponseHead() {
    responseHeadWaiting = false;
    HttpResponse r = response;
    HttpHeaders h = r.headers();
    if (h2) {
      sendResponseHeadH2(r, h);
      return;
    }
    boolean http10 = downstreamIsHttp10();
    if (request.method() == HttpMethod.HEAD || status == 204 || status == 304) {
      responseFraming = NONE;
    } else if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      responseFraming = RAW;
    } else if (!http10) {
      // chunked upstream, or close-delimited: chunked to the client
      h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      responseFraming = CHUNKED;
    } else {
      h.remove(HttpHeaderNames.TRANSFER_ENCODING);
      responseFraming = RAW;
      closeAfterResponse = true;
    }
    if (!clientKeepAlive || closeAfterResponse) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (http10) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    responseHeadSent = true;
    writeDownstream(Http1.responseHead(downstream.ctx.alloc(), r, http10));
    afterResponseHead();
  }

  /** The response head to an HTTP/2 stream: no hop-by-hop headers, the body as DATA frames. */
  private void sendResponseHeadH2(HttpResponse r, HttpHeaders h) {
    h.remove(HttpHeaderNames.TRANSFER_ENCODING);
    responseFraming = request.method() == HttpMethod.HEAD || status == 204 || status == 304 ? H2_NONE : H2;
    responseHeadSent = true;
    writeDownstream(r instanceof HttpContent ? new DefaultHttpResponse(HttpVersion.HTTP_1_1, r.status(), h) : r);
    afterResponseHead();
  }

  /** Sends what arrived while the head waited for plugins, and lets the upstream be read again. */
  private void afterResponseHead() {
    ArrayDeque<HttpContent> queue = responseQueue;
    if (queue != null) {
      responseQueue = null;
      HttpContent c;
      while ((c = queue.poll()) != null) {
        if (done) {
          c.release();
        } else {
          forwardResponseContent(c);
        }
      }
    }
    Upstream u = upstream;
    if (u != null && !u.channel.config().isAutoRead() && downstream.channel.isWritable()) {
      u.channel.config().setAutoRead(true);
    }
    if (!downstream.inRead && (u == null || !loop.inEventLoop())) {
      flushDownstream();
    }
  }

  private boolean closeAfterResponse;

  private boolean downstreamIsHttp10() {
    return Http1.isHttp10(originalVersion);
  }

  @Override
  public void onResponseContent(Upstream u, HttpContent content) {
    if (u != upstream || done) {
      content.release();
      return;
    }
    boolean last = content instanceof LastHttpContent;
    if (interim) {
      content.release();
      if (last) {
        interim = false;
      }
      return;
    }
    if (discarding) {
      content.release();
      if (last) {
        discarding = false;
        upstream = null;
        u.finished(upstreamKeepAliveOf(u));
        release();
        loop.schedule(this::attempt, 25L * attempts, TimeUnit.MILLISECONDS);
      }
      return;
    }
    if (responseHeadWaiting) {
      if (responseQueue == null) {
        responseQueue = new ArrayDeque<>();
      }
      responseQueue.add(content);
      return;
    }
    forwardResponseContent(content);
  }

  private static boolean upstreamKeepAliveOf(Upstream u) {
    return u.usable();
  }

  private void forwardResponseContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    ByteBuf data = content.content();
    io.netty.channel.ChannelHandlerContext ctx = downstream.ctx;
    switch (responseFraming) {
      case CHUNKED -> {
        int n = data.readableBytes();
        if (n > 0) {
          ctx.write(Http1.chunkHeader(ctx.alloc(), n), ctx.voidPromise());
          ctx.write(data, ctx.voidPromise());
          ctx.write(Http1.crlf(ctx.alloc()), ctx.voidPromise());
        } else {
          data.release();
        }
        if (last) {
          ctx.write(Http1.lastChunk(ctx.alloc(), (LastHttpContent) content), ctx.voidPromise());
        }
      }
      case RAW -> {
        if (data.isReadable()) {
          ctx.write(data, ctx.voidPromise());
        } else {
          data.release();
        }
      }
      case H2 -> {
        if (last || data.isReadable()) {
          ctx.write(content, ctx.voidPromise()); // a DATA frame (the last one ends the stream; trailers follow it)
        } else {
          data.release();
        }
      }
      case H2_NONE -> {
        data.release();
        if (last) {
          ctx.write(LastHttpContent.EMPTY_LAST_CONTENT, ctx.voidPromise());
        }
      }
      default -> data.release();
    }
    downstream.needsFlush = true;
    if (last) {
      finish();
      return;
    }
    Upstream u = upstream;
    if (u != null && !downstream.channel.isWritable()) {
      u.channel.config().setAutoRead(false);
    }
  }

  void downstreamWritabilityChanged(boolean writable) {
    Upstream u = upstream;
    if (writable && u != null && !responseHeadWaiting && !u.channel.config().isAutoRead()) {
      u.channel.config().setAutoRead(true);
    }
  }

  /** Writes HTTP/1.1 bytes, or for HTTP/2 an {@code HttpObject}. */
  private void writeDownstream(Object msg) {
    downstream.ctx.write(msg, downstream.ctx.voidPromise());
    downstream.needsFlush = true;
  }

  @Override
  public void flushDownstream() {
    downstream.flush();
  }

  // ---- endings ------------------------------------------------------------------------------

  /** The response went out completely. */
  private void finish() {
    Upstream u = upstream;
    upstream = null;
    if (u != null) {
      boolean reusable = requestComplete && upstreamKeepAlive && !(cluster.limits.maxRequestsPerConnection() > 0
          && u.requests >= cluster.limits.maxRequestsPerConnection());
      u.finished(reusable);
    }
    release();
    complete(!clientKeepAlive || closeAfterResponse || !requestComplete && bodyBytes > REPLAY_LIMIT);
  }

  /** Ends the current attempt's bookkeeping (in-flight counts, its deadline). */
  private void release() {
    disarmTimer();
    if (counted) {
      counted = false;
      endpoint.active.decrementAndGet();
      cluster.active.decrementAndGet();
    }
  }

  private void complete(boolean closeClient) {
    if (done) {
      return;
    }
    done = true;
    disarmTimer();
    if (waiting) {
      runtime.pool(loop).stopAwaiting(this);
      stopWaiting();
    }
    releaseBuffers();
    GatewayPlugin[] plugins = chain.plugins();
    for (int i = plugins.length - 1; i >= 0; i--) {
      try {
        plugins[i].onComplete(this);
      } catch (RuntimeException e) {
        // a completion hook must not break the connection
      }
    }
    if (!downstream.inRead) {
      flushDownstream();
    }
    downstream.exchangeDone(this, closeClient);
  }

  private void releaseBuffers() {
    releaseReplay();
    if (pending != null) {
      pending.forEach(HttpContent::release);
      pending = null;
    }
    if (responseQueue != null) {
      responseQueue.forEach(HttpContent::release);
      responseQueue = null;
    }
  }

  private void releaseReplay() {
    if (replay != null) {
      replay.forEach(ByteBuf::release);
      replay = null;
    }
  }

  /** The upstream connection closed or failed while this exchange used it. */
  @Override
  public void onUpstreamClosed(Upstream u, Throwable cause) {
    if (u != upstream || done) {
      return;
    }
    upstream = null;
    if (discarding) {
      discarding = false;
      release();
      attempt();
      return;
    }
    if (responseHeadSent) {
      if (responseFraming == RAW && !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
        finish(); // a close-delimited body ends with the close
        return;
      }
      errorCode = "upstream_reset";
      release();
      abortBoth();
      return;
    }
    cluster.recordGatewayError(endpoint);
    lastFailed = endpoint;
    release();
    if (idempotent() && canRetry() && (route.retry.onReset() || route.retry.onConnectFailure())) {
      attempt();
    } else {
      local(502, "upstream_reset", "the upstream " + lastFailed.authority + " closed the connection before answering"
          + (cause == null ? "" : ": " + rootMessage(cause)), false);
    }
  }

  private boolean idempotent() {
    HttpMethod m = request.method();
    return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
        || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
  }

  void onDownstreamClosed() {
    if (done) {
      return;
    }
    errorCode = errorCode == null ? "client_closed" : errorCode;
    if (status == 0 || !responseHeadSent) {
      status = 499;
    }
    Upstream u = upstream;
    upstream = null;
    if (u != null) {
      u.finished(false);
    }
    release();
    done = true;
    releaseBuffers();
    GatewayPlugin[] plugins = chain.plugins();
    for (int i = plugins.length - 1; i >= 0; i--) {
      try {
        plugins[i].onComplete(this);
      } catch (RuntimeException e) {
        // ignore
      }
    }
  }

  /** Both sides are cut (a failure after the response started). */
  private void abortBoth() {
    Upstream u = upstream;
    upstream = null;
    if (u != null) {
      u.finished(false);
    }
    release();
    complete(true);
  }

  /** Answers locally with the JSON error body. */
  private void local(int code, String errorCode, String message, boolean close) {
    local(code, errorCode, message, close, List.of());
  }

  private void local(int code, String errorCode, String message, boolean close, List<Map.Entry<String, String>> extra) {
    this.errorCode = errorCode;
    JsonObject body = new JsonObject().put("error", new JsonObject().put("code", errorCode).put("message", message)
        .put("gateway", runtime.options.name()));
    respond(code, body.encode().getBytes(StandardCharsets.UTF_8), "application/json", null, close, extra);
  }

  private void respond(int code, byte[] body, String contentType, String location, boolean close) {
    respond(code, body, contentType, location, close, List.of());
  }

  /** Answers locally; {@code extra} headers (a refusing plugin's) are added, except framing and connection headers. */
  private void respond(int code, byte[] body, String contentType, String location, boolean close,
      List<Map.Entry<String, String>> extra) {
    if (done) {
      return;
    }
    if (responseHeadSent) {
      abortBoth();
      return;
    }
    Upstream u = upstream;
    upstream = null;
    if (u != null) {
      u.finished(false);
    }
    release();
    status = code;
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
        Unpooled.wrappedBuffer(body));
    HttpHeaders h = r.headers();
    for (Map.Entry<String, String> e : extra) {
      if (!LOCAL_ANSWER_OWN.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
        h.add(e.getKey(), e.getValue());
      }
    }
    if (code != 204) {
      if (contentType != null) {
        h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
      }
      h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    }
    h.set(GATEWAY, runtime.options.name());
    applyCors(h);
    if (location != null) {
      h.set(HttpHeaderNames.LOCATION, location);
    }
    boolean closeClient = close || !clientKeepAlive || !requestComplete && bodyBytes > REPLAY_LIMIT;
    if (h2) {
      // no Connection header; "closing" resets the stream once answered (the rest of its body is not wanted)
    } else if (closeClient) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (downstreamIsHttp10()) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    response = r;
    responseHeadWaiting = false;
    // response plugins see local answers too (request id, headers); they cannot refuse them
    GatewayPlugin[] plugins = chain.plugins();
    for (int i = plugins.length - 1; i >= 0; i--) {
      try {
        plugins[i].onResponse(this);
      } catch (RuntimeException e) {
        // keep the local answer
      }
    }
    responseHeadSent = true;
    if (h2) {
      if (request.method() == HttpMethod.HEAD && body.length > 0) {
        FullHttpResponse head = r.replace(Unpooled.EMPTY_BUFFER);
        r.release();
        r = head;
      }
      answerWritten = downstream.ctx.write(r); // HEADERS (+ DATA), ending the stream
      downstream.needsFlush = true;
    } else {
      writeDownstream(Http1.responseHead(downstream.ctx.alloc(), r, downstreamIsHttp10()));
      if (request.method() != HttpMethod.HEAD && body.length > 0) {
        writeDownstream(r.content());
      } else {
        r.release();
      }
    }
    complete(closeClient);
  }

  /** When the gateway's own answer to an HTTP/2 stream has been written out (then its stream may be reset), or {@code null}. */
  io.netty.channel.ChannelFuture answerWritten;

  private void redirect(HttpRoute.Redirect redirect) {
    String scheme = redirect.scheme() != null ? redirect.scheme() : downstream.secure ? "https" : "http";
    String authority = redirect.authority() != null ? redirect.authority() : request.headers().get(HttpHeaderNames.HOST, "");
    if (redirect.port() > 0) {
      int colon = authority.lastIndexOf(':');
      authority = (colon > 0 && authority.indexOf(']') < colon ? authority.substring(0, colon) : authority) + ":" + redirect.port();
    }
    String path = redirect.uri() != null ? redirect.uri() : originalUri;
    respond(redirect.status(), new byte[0], "text/plain; charset=utf-8", scheme + "://" + authority + path, false);
  }

  private void mirror(Cluster target) {
    if (!requestComplete || (!replayable && bodyBytes > 0)) {
      return; // only what can be replayed whole is mirrored
    }
    Mirror.send(this, target);
  }

  List<ByteBuf> replayBody() {
    return replay;
  }

  boolean requestChunked() {
    return requestChunked;
  }

  // ---- hashing ------------------------------------------------------------------------------

  private String hashKey() {
    return hashKey(cluster.lb);
  }

  /** The request's consistent-hash key under {@code lb} (header, cookie, client IP or query parameter), or {@code null}. */
  String hashKey(LbPolicy lb) {
    if (lb.kind() != LbPolicy.Kind.CONSISTENT_HASH) {
      return null;
    }
    if (lb.hashHeader() != null) {
      return request.headers().get(lb.hashHeader());
    }
    if (lb.hashCookie() != null) {
      String cookies = request.headers().get(HttpHeaderNames.COOKIE);
      if (cookies != null) {
        for (String part : cookies.split(";")) {
          int eq = part.indexOf('=');
          if (eq > 0 && part.substring(0, eq).trim().equals(lb.hashCookie())) {
            return part.substring(eq + 1).trim();
          }
        }
      }
      return null;
    }
    if (lb.hashSourceIp()) {
      String trusted = get(io.meridian.gateway.Attributes.CLIENT_IP);
      return trusted != null ? trusted : clientIp();
    }
    if (lb.hashQuery() != null) {
      return queryParam(lb.hashQuery());
    }
    return null;
  }

  // ---- Exchange -----------------------------------------------------------------------------

  @Override
  public String method() {
    return request.method().name();
  }

  @Override
  public String uri() {
    return originalUri;
  }

  private String path;

  @Override
  public String path() {
    if (path == null) {
      path = pathEnd == target.length() ? target : target.substring(0, pathEnd);
    }
    return path;
  }

  /** The raw query (no {@code ?}), or {@code null}. */
  String query() {
    if (query == null) {
      query = pathEnd == target.length() ? "" : target.substring(pathEnd + 1);
    }
    return query.isEmpty() ? null : query;
  }

  private String host;

  @Override
  public String host() {
    if (host == null) {
      String h = request.headers().get(HttpHeaderNames.HOST);
      if (h == null) {
        host = "";
      } else {
        int colon = h.lastIndexOf(':');
        if (colon > 0 && h.indexOf(']') < colon) {
          h = h.substring(0, colon);
        }
        host = h.toLowerCase(Locale.ROOT);
      }
    }
    return host;
  }

  @Override
  public String requestHeader(String name) {
    return request.headers().get(name);
  }

  @Override
  public List<String> requestHeaders(String name) {
    return request.headers().getAll(name);
  }

  @Override
  public void setRequestHeader(String name, String value) {
    request.headers().set(name, value);
    headerChanged(name);
  }

  /** A plugin changed {@code name}: match the route again if the route or the sticky-canary hash depends on it. */
  private void headerChanged(String name) {
    ServiceRoutes s = service;
    if (s == null) {
      return;
    }
    if (!s.matchHeaders().isEmpty() && s.matchHeaders().contains(name.toLowerCase(Locale.ROOT))) {
      routeDirty = true;
    }
    Cluster all = s.all();
    if (all != null && all.lb.hashHeader() != null && all.lb.hashHeader().equalsIgnoreCase(name)) {
      routeDirty = true; // e.g. the user id an auth plugin put there picks the canary version
    }
  }

  @Override
  public void removeRequestHeader(String name) {
    request.headers().remove(name);
    headerChanged(name);
  }

  @Override
  public <T> T policy(PolicyCompiler<T> compiler) {
    ServiceRoutes s = service;
    return s == null ? null : s.policy(compiler);
  }

  @Override
  public InetSocketAddress clientAddress() {
    return (InetSocketAddress) downstream.channel.remoteAddress();
  }

  @Override
  public int localPort() {
    return downstream.localPort();
  }

  @Override
  public String protocol() {
    return downstream.protocol != null ? downstream.protocol : request.protocolVersion().text();
  }

  @Override
  public boolean secure() {
    return downstream.secure;
  }

  @Override
  public String requestId() {
    return requestId;
  }

  @Override
  public void requestId(String id) {
    this.requestId = id;
  }

  @Override
  public long startNanos() {
    return start;
  }

  @Override
  public String tenant() {
    return tenant;
  }

  @Override
  public String service() {
    return service == null ? null : service.name();
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public String route() {
    return route == null ? null : route.name;
  }

  @Override
  public String upstream() {
    return endpoint == null ? null : endpoint.authority;
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public String responseHeader(String name) {
    return response == null ? null : response.headers().get(name);
  }

  @Override
  public void setResponseHeader(String name, String value) {
    if (response != null && !responseHeadSent) {
      response.headers().set(name, value);
    }
  }

  @Override
  public void removeResponseHeader(String name) {
    if (response != null && !responseHeadSent) {
      response.headers().remove(name);
    }
  }

  @Override
  public String errorCode() {
    return errorCode;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Key<T> key) {
    return attributes == null ? null : (T) attributes.get(key);
  }

  @Override
  public <T> void put(Key<T> key, T value) {
    if (attributes == null) {
      attributes = new IdentityHashMap<>(4);
    }
    attributes.put(key, value);
    if (key == Attributes.CLIENT_IP) {
      routeDirty = true; // source-IP hashing (sticky canary) and matches may pick differently
    }
  }

  // ---- Match.Request --------------------------------------------------------------------------

  @Override
  public String servicePath() {
    if (servicePath == null) {
      servicePath = service == null ? path() : serviceStart >= pathEnd ? "/" : target.substring(serviceStart, pathEnd);
    }
    return servicePath;
  }

  @Override
  public String authority() {
    return request.headers().get(HttpHeaderNames.HOST);
  }

  @Override
  public String scheme() {
    return downstream.secure ? "https" : "http";
  }

  @Override
  public String header(String name) {
    return request.headers().get(name);
  }

  private Map<String, List<String>> params;

  @Override
  public String queryParam(String name) {
    if (params == null) {
      String q = query();
      params = q == null ? Map.of() : new QueryStringDecoder(q, false).parameters();
    }
    List<String> values = params.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
