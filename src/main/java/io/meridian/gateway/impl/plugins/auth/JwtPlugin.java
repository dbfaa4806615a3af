package io.meridian.gateway.impl.plugins.auth;

import io.meridian.gateway.Attributes;
import io.meridian.gateway.Exchange;
import io.meridian.gateway.GatewayPlugin;
import io.meridian.gateway.Phase;
import io.meridian.gateway.PluginFailure;
import io.meridian.gateway.PolicyCompiler;
import io.meridian.gateway.PolicyTarget;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Request authentication with JWTs, from Istio {@code RequestAuthentication} rules (phase
 * {@link Phase#AUTHN}). Istio's semantics: a request without a token passes (authorization
 * decides what an anonymous caller may do); a token that does not verify — signature, expiry,
 * issuer, audience, unknown key — is refused with {@code 401 unauthenticated} and
 * {@code WWW-Authenticate: Bearer}. A verified token's claims go to {@link Attributes#JWT_CLAIMS}
 * and {@code iss/sub} to {@link Attributes#REQUEST_PRINCIPAL}; {@code outputClaimToHeaders} and
 * {@code outputPayloadToHeader} set request headers (removed from every request of the service
 * otherwise: a client cannot send them); the header the token came in is removed unless
 * {@code forwardOriginalToken}. A rule whose keys cannot be used refuses its issuer's tokens.
 */
public final class JwtPlugin implements GatewayPlugin {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JwtPlugin.class);

  /** Istio's default for fetching a {@code jwksUri}. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /** Where a token may be: a header (with a prefix before it), a query parameter or a cookie. */
  record Location(int type, String name, String prefix) {
    static final int HEADER = 0;
    static final int PARAM = 1;
    static final int COOKIE = 2;
  }

  /** One compiled {@code jwtRules} entry: keys parsed (inline) or shared (remote), locations resolved. */
  record JwtRule(String issuer, Set<String> audiences, Jwks inline, RemoteJwks remote, List<Location> locations,
      String payloadHeader, boolean forwardOriginalToken, List<Map.Entry<String, String>> claimHeaders, long timeoutMillis,
      String broken) {
  }

  /** The rules applying to one service, in rule-key order, and the headers their verified tokens set. */
  record Policy(List<JwtRule> rules, List<String> outputHeaders) {
    Policy(List<JwtRule> rules) {
      this(rules, outputHeaders(rules));
    }

    private static List<String> outputHeaders(List<JwtRule> rules) {
      Set<String> names = new LinkedHashSet<>();
      for (JwtRule r : rules) {
        r.claimHeaders().forEach(h -> names.add(h.getKey().toLowerCase(java.util.Locale.ROOT)));
        if (r.payloadHeader() != null) {
          names.add(r.payloadHeader().toLowerCase(java.util.Locale.ROOT));
        }
      }
      return List.copyOf(names);
    }
  }

  private final HttpClient client;
  private final String realm;
  private final Map<String, RemoteJwks> remote = new ConcurrentHashMap<>();
  private final PolicyCompiler<Policy> compiler = new PolicyCompiler<>() {
    @Override
    public Set<RuleKind> kinds() {
      return Set.of(RuleKind.REQUEST_AUTHENTICATION);
    }

    @Override
    public Policy compile(PolicyTarget target, List<Rule> rules) {
      List<JwtRule> out = new ArrayList<>();
      for (Rule r : rules) {
        if (target.targets(r)) {
          JsonArray jwtRules = r.spec().getJsonArray("jwtRules", new JsonArray());
          for (int i = 0; i < jwtRules.size(); i++) {
            JsonObject spec = jwtRules.getJsonObject(i);
            try {
              out.add(rule(spec));
            } catch (IllegalArgumentException e) {
              // fail closed: the issuer's tokens are refused (never passed on unverified) until the rule is fixed
              LOG.warn("{} jwtRules[{}] (issuer {}) cannot be used, its tokens are refused: {}", r.key(), i,
                  spec.getString("issuer"), e.getMessage());
              JsonObject keyless = spec.copy().put("jwks", "{\"keys\":[]}");
              keyless.remove("jwksUri");
              keyless.remove("timeout");
              out.add(rule(keyless, "jwtRules[" + i + "] of " + r.key() + " is unusable: " + e.getMessage()));
            }
          }
        }
      }
      return out.isEmpty() ? null : new Policy(List.copyOf(out));
    }
  };

  /**
   * @param client fetches {@code jwksUri}s (created once with the gateway's Vert.x)
   * @param realm  the {@code WWW-Authenticate} realm (the gateway's name)
   */
  public JwtPlugin(HttpClient client, String realm) {
    this.client = client;
    this.realm = realm;
  }

  @Override
  public String id() {
    return "jwt";
  }

  @Override
  public Phase phase() {
    return Phase.AUTHN;
  }

  @Override
  public PolicyCompiler<Policy> policies() {
    return compiler;
  }

  JwtRule rule(JsonObject spec) {
    return rule(spec, null);
  }

  private JwtRule rule(JsonObject spec, String broken) {
    String issuer = spec.getString("issuer");
    Set<String> audiences = new LinkedHashSet<>();
    spec.getJsonArray("audiences", new JsonArray()).forEach(a -> audiences.add(String.valueOf(a)));
    long timeout = spec.getString("timeout") == null ? DEFAULT_TIMEOUT.toMillis()
        : io.meridian.common.units.Durations.parse(spec.getString("timeout")).toMillis();
    Jwks inline = null;
    RemoteJwks keys = null;
    if (spec.getString("jwks") != null) {
      inline = Jwks.parse(spec.getString("jwks"));
    } else if (spec.getString("jwksUri") != null) {
      String uri = spec.getString("jwksUri");
      keys = remote.computeIfAbsent(uri + " " + timeout, k -> new RemoteJwks(client, uri, timeout));
      keys.prefetch();
    } else {
      throw new IllegalArgumentException("jwtRules entry for issuer " + issuer + " has neither jwks nor jwksUri"
          + " (OpenID discovery is not implemented)");
    }
    List<Location> locations = new ArrayList<>();
    for (Object o : spec.getJsonArray("fromHeaders", new JsonArray())) {
      JsonObject h = (JsonObject) o;
      locations.add(new Location(Location.HEADER, h.getString("name"), h.getString("prefix", "")));
    }
    for (Object o : spec.getJsonArray("fromParams", new JsonArray())) {
      locations.add(new Location(Location.PARAM, String.valueOf(o), ""));
    }
    for (Object o : spec.getJsonArray("fromCookies", new JsonArray())) {
      locations.add(new Location(Location.COOKIE, String.valueOf(o), ""));
    }
    if (locations.isEmpty()) {
      // Istio's default: Authorization: Bearer <token>, or ?access_token=<token>
      locations.add(new Location(Location.HEADER, "authorization", "Bearer "));
      locations.add(new Location(Location.PARAM, "access_token", ""));
    }
    List<Map.Entry<String, String>> claimHeaders = new ArrayList<>();
    for (Object o : spec.getJsonArray("outputClaimToHeaders", new JsonArray())) {
      JsonObject c = (JsonObject) o;
      claimHeaders.add(Map.entry(c.getString("header"), c.getString("claim")));
    }
    return new JwtRule(issuer, Set.copyOf(audiences), inline, keys, List.copyOf(locations),
        spec.getString("outputPayloadToHeader"), spec.getBoolean("forwardOriginalToken", false), List.copyOf(claimHeaders),
        timeout, broken);
  }

  /** A token found in a request: where, and the token. */
  /**
   * Tokens whose signature verified, by their exact text, with the key set they verified
   * against: a signature check (≈ 30 µs for RS256) is done once per token and key set, not per
   * request (like Envoy's JWT cache). Expiry, not-before and audience are checked every time.
   */
  private record Checked(JwsToken token, Jwks keys) {
  }

  static final int MAX_CHECKED = 10_000;
  private final java.util.concurrent.ConcurrentHashMap<String, Checked> checked = new java.util.concurrent.ConcurrentHashMap<>();

  private record Found(JwtRule rule, Location location, JwsToken token, String raw) {
  }

  @Override
  public Future<Void> onRequest(Exchange x) {
    Policy policy = x.policy(compiler);
    if (policy == null) {
      return Future.succeededFuture();
    }
    for (String h : policy.outputHeaders()) {
      if (x.requestHeader(h) != null) {
        x.removeRequestHeader(h); // only a verified token sets them: never the client
      }
    }
    Found found = null;
    boolean sawToken = false;
    for (JwtRule rule : policy.rules()) {
      for (Location location : rule.locations()) {
        String raw = extract(x, location);
        if (raw == null) {
          continue;
        }
        sawToken = true;
        JwsToken token;
        Checked seen = checked.get(raw);
        if (seen != null) {
          token = seen.token();
        } else {
          try {
            token = JwsToken.decode(raw);
          } catch (JwsToken.JwtException e) {
            return refused(e.getMessage());
          }
        }
        if (rule.issuer().equals(token.issuer())) {
          found = new Found(rule, location, token, raw);
          break;
        }
      }
      if (found != null) {
        break;
      }
    }
    if (found == null) {
      return sawToken ? refused("Jwt issuer is not configured") : Future.succeededFuture();
    }
    JwtRule rule = found.rule();
    if (rule.broken() != null) {
      return refused(rule.broken());
    }
    if (rule.inline() != null) {
      return verified(x, found, rule.inline());
    }
    Future<Jwks> keys = rule.remote().keys();
    if (keys.succeeded() && !found.token().needsUnknownKey(keys.result())) {
      return verified(x, found, keys.result());
    }
    Found f = found;
    Future<Jwks> usable = keys.compose(k -> f.token().needsUnknownKey(k) ? rule.remote().refetchFor(f.token().kid())
        : Future.succeededFuture(k));
    Promise<Void> done = Promise.promise();
    usable.timeout(rule.timeoutMillis(), TimeUnit.MILLISECONDS).onComplete(ar -> x.onLoop(() -> {
      if (ar.failed()) {
        done.fail(failure("Jwks remote fetch is failed: " + ar.cause().getMessage()));
        return;
      }
      verified(x, f, ar.result()).onComplete(done);
    }));
    return done.future();
  }

  /** Verifies on the request's loop and applies the outcome (claims, principal, headers). */
  private Future<Void> verified(Exchange x, Found found, Jwks keys) {
    JwtRule rule = found.rule();
    JwsToken token = found.token();
    long now = System.currentTimeMillis() / 1000;
    try {
      Checked seen = checked.get(found.raw());
      if (seen != null && seen.keys() == keys) {
        // the same bytes verified against these very keys before: the signature holds, the rest may not
        token.checkTimesAndAudience(rule.audiences(), now);
      } else {
        token.verify(keys, rule.audiences(), now);
        if (checked.size() >= MAX_CHECKED) {
          checked.clear(); // bounded; the busy tokens come back at once
        }
        checked.put(found.raw(), new Checked(token, keys));
      }
    } catch (JwsToken.JwtException e) {
      return refused(e.getMessage());
    }
    Map<String, Object> claims = token.claimMap();
    x.put(Attributes.JWT_CLAIMS, claims);
    Object sub = claims.get("sub");
    x.put(Attributes.REQUEST_PRINCIPAL, rule.issuer() + "/" + (sub == null ? "" : sub));
    if (!rule.forwardOriginalToken() && found.location().type() == Location.HEADER) {
      x.removeRequestHeader(found.location().name());
    }
    for (Map.Entry<String, String> h : rule.claimHeaders()) {
      String value = claimValue(token.claims(), h.getValue());
      if (value != null) {
        x.setRequestHeader(h.getKey(), value);
      }
    }
    if (rule.payloadHeader() != null) {
      x.setRequestHeader(rule.payloadHeader(), token.payloadSegment());
    }
    return Future.succeededFuture();
  }

  /** A claim as a header value: strings as they are, lists comma-joined, others as JSON; nested claims by dotted path. */
  static String claimValue(JsonObject claims, String claim) {
    Object v = claims.getValue(claim);
    if (v == null && claim.indexOf('.') > 0) {
      Object at = claims;
      for (String part : claim.split("\\.")) {
        at = at instanceof JsonObject o ? o.getValue(part) : null;
      }
      v = at;
    }
    if (v == null) {
      return null;
    }
    if (v instanceof JsonArray list) {
      StringBuilder b = new StringBuilder();
      for (Object o : list) {
        b.append(b.length() == 0 ? "" : ",").append(o instanceof String s ? s : String.valueOf(o));
      }
      return b.toString();
    }
    String s = v instanceof String str ? str : String.valueOf(v);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        return null; // not a legal header value
      }
    }
    return s;
  }

  private static String extract(Exchange x, Location location) {
    switch (location.type()) {
      case Location.HEADER -> {
        String v = x.requestHeader(location.name());
        if (v == null) {
          return null;
        }
        String prefix = location.prefix();
        if (!prefix.isEmpty()) {
          if (!v.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return null;
          }
          v = v.substring(prefix.length());
        }
        v = v.trim();
        return v.isEmpty() ? null : v;
      }
      case Location.PARAM -> {
        String uri = x.uri();
        int q = uri.indexOf('?');
        if (q < 0) {
          return null;
        }
        for (String pair : uri.substring(q + 1).split("&")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).equals(location.name())) {
            try {
              String v = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
              return v.isEmpty() ? null : v;
            } catch (IllegalArgumentException e) {
              return null;
            }
          }
        }
        return null;
      }
      default -> {
        String cookies = x.requestHeader("cookie");
        if (cookies == null) {
          return null;
        }
        for (String part : cookies.split(";")) {
          int eq = part.indexOf('=');
          if (eq > 0 && part.substring(0, eq).trim().equals(location.name())) {
            String v = part.substring(eq + 1).trim();
            return v.isEmpty() ? null : v;
          }
        }
        return null;
      }
    }
  }

  private PluginFailure failure(String why) {
    return new PluginFailure(401, "unauthenticated", why)
        .withHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\", error=\"invalid_token\"");
  }

  private Future<Void> refused(String why) {
    return Future.failedFuture(failure(why));
  }
}
