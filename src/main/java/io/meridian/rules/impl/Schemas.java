package io.meridian.rules.impl;

import static io.meridian.rules.impl.Schema.bool;
import static io.meridian.rules.impl.Schema.duration;
import static io.meridian.rules.impl.Schema.enumOf;
import static io.meridian.rules.impl.Schema.integer;
import static io.meridian.rules.impl.Schema.list;
import static io.meridian.rules.impl.Schema.map;
import static io.meridian.rules.impl.Schema.nonEmptyString;
import static io.meridian.rules.impl.Schema.number;
import static io.meridian.rules.impl.Schema.object;
import static io.meridian.rules.impl.Schema.regex;
import static io.meridian.rules.impl.Schema.string;

import io.meridian.common.json.StrictJson;
import io.meridian.common.net.Cidr;
import io.meridian.rules.RuleKind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The spec schema of every rule kind: the fields Meridian implements, with their types; the
 * fields of the upstream APIs it does not implement are listed and refused by name, never
 * ignored.
 */
final class Schemas {

  static final String LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
  static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
  static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  private static final Map<RuleKind, Schema.Type> SPECS = new EnumMap<>(RuleKind.class);

  static Schema.Type spec(RuleKind kind) {
    return SPECS.get(kind);
  }

  static {
    SPECS.put(RuleKind.VIRTUAL_SERVICE, virtualService());
    SPECS.put(RuleKind.DESTINATION_RULE, destinationRule());
    SPECS.put(RuleKind.SERVICE_ENTRY, serviceEntry());
    SPECS.put(RuleKind.GATEWAY, gateway());
    SPECS.put(RuleKind.AUTHORIZATION_POLICY, authorizationPolicy());
    SPECS.put(RuleKind.REQUEST_AUTHENTICATION, requestAuthentication());
    SPECS.put(RuleKind.RATE_LIMIT_POLICY, rateLimitPolicy());
    SPECS.put(RuleKind.EXTERNAL_AUTH_POLICY, externalAuthPolicy());
    SPECS.put(RuleKind.CIRCUIT_BREAKER_POLICY, circuitBreakerPolicy());
  }

  // ---- shared pieces -------------------------------------------------------------------------

  static Schema.Type stringMatch() {
    return object().field("exact", string()).field("prefix", string()).field("regex", regex())
        .oneOf("exact", "prefix", "regex");
  }

  static Schema.Type percent() {
    return object().required("value", number(0, 100));
  }

  static Schema.Type portSelector() {
    return object().required("number", integer(1, 65535));
  }

  static Schema.Type destination() {
    return object()
        .required("host", nonEmptyString())
        .field("subset", string(LABEL, "a subset name (DNS-1123 label)"))
        .field("port", portSelector());
  }

  static Schema.Type headerOperations() {
    return object()
        .field("set", map(HEADER_NAME, string()))
        .field("add", map(HEADER_NAME, string()))
        .field("remove", list(string("[A-Za-z0-9!#$%&'*+.^_`|~-]+", "a header name")));
  }

  static Schema.Type headers() {
    return object().field("request", headerOperations()).field("response", headerOperations());
  }

  static Schema.Type labels() {
    return map(LABEL_KEY, string());
  }

  static Schema.Type workloadSelector() {
    return object().required("matchLabels", labels());
  }

  static Schema.Type policyTargetRef() {
    return object().field("group", string()).field("kind", string()).required("name", nonEmptyString())
        .field("namespace", string(LABEL, "a namespace"));
  }

  static Schema.Type meridianTarget(boolean subset) {
    Schema.Obj target = object().required("service", string(LABEL, "a service name (DNS-1123 label)"))
        .field("pathPrefix", string("/[^\\s?#]*", "a path starting with '/'"));
    if (subset) {
      target.field("subset", string(LABEL, "a subset name"));
    }
    return target;
  }

  /** Weights of a route: 0-100 each; with several destinations every one has a weight and they sum to 100. */
  static void weights(JsonArray route, Schema.Obj.Check c, String field) {
    if (route == null || route.size() < 2) {
      return;
    }
    long sum = 0;
    for (int i = 0; i < route.size(); i++) {
      if (!(route.getValue(i) instanceof JsonObject d)) {
        return;
      }
      if (!(d.getValue("weight") instanceof Number w)) {
        c.error(field + "[" + i + "].weight", "is required when a route has several destinations");
        return;
      }
      sum += w.longValue();
    }
    if (sum != 100) {
      c.error(field + "[" + (route.size() - 1) + "].weight", "weights must sum to 100 (they sum to " + sum + ")");
    }
  }

  // ---- networking.istio.io ---------------------------------------------------------------------

  static Schema.Type virtualService() {
    Schema.Type match = object()
        .field("name", string())
        .field("uri", stringMatch())
        .field("scheme", stringMatch())
        .field("method", stringMatch())
        .field("authority", stringMatch())
        .field("headers", map(HEADER_NAME, stringMatch()))
        .field("port", integer(1, 65535))
        .field("sourceLabels", labels())
        .field("gateways", list(nonEmptyString()))
        .field("queryParams", map(stringMatch()))
        .field("ignoreUriCase", bool())
        .field("withoutHeaders", map(HEADER_NAME, stringMatch()))
        .unsupported("sourceNamespace", "match on sourceLabels instead")
        .unsupported("statPrefix", "per-route stat prefixes are not implemented");
    Schema.Type routeDestination = object()
        .required("destination", destination())
        .field("weight", integer(0, 100))
        .field("headers", headers());
    Schema.Type redirect = object()
        .field("uri", string())
        .field("authority", string())
        .field("port", integer(1, 65535))
        .field("derivePort", enumOf("FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"))
        .field("scheme", enumOf("http", "https"))
        .field("redirectCode", integer(300, 399))
        .atMostOne("port", "derivePort");
    Schema.Type directResponse = object()
        .required("status", integer(200, 599))
        .field("body", object().field("string", string()).field("bytes", string("[A-Za-z0-9+/=\\s]*", "base64"))
            .oneOf("string", "bytes"));
    Schema.Type rewrite = object()
        .field("uri", string())
        .field("authority", string())
        .field("uriRegexRewrite", object().required("match", regex()).required("rewrite", string()))
        .atMostOne("uri", "uriRegexRewrite");
    Schema.Type retries = object()
        .field("attempts", integer(0, 100))
        .field("perTryTimeout", duration(Duration.ofMillis(1), Duration.ofHours(1)))
        .field("retryOn", string("[a-z0-9-]+(,[a-z0-9-]+)*", "a comma-separated list of retry conditions (e.g. 5xx,gateway-error,connect-failure)"))
        .field("retryRemoteLocalities", bool())
        .unsupported("retryIgnorePreviousHosts", "retries may reach the same host again")
        .unsupported("backoff", "retries use Meridian's fixed backoff");
    Schema.Type fault = object()
        .field("delay", object()
            .required("fixedDelay", duration(Duration.ofMillis(1), Duration.ofHours(1)))
            .field("percentage", percent())
            .field("percent", integer(0, 100))
            .unsupported("exponentialDelay", "use fixedDelay")
            .atMostOne("percentage", "percent"))
        .field("abort", object()
            .field("httpStatus", integer(200, 599))
            .field("grpcStatus", string())
            .field("percentage", percent())
            .unsupported("http2Error", "use httpStatus or grpcStatus")
            .oneOf("httpStatus", "grpcStatus"));
    Schema.Type cors = object()
        .field("allowOrigins", list(stringMatch()))
        .field("allowOrigin", list(string()))
        .field("allowMethods", list(string("[A-Z]+|\\*", "an HTTP method")))
        .field("allowHeaders", list(string()))
        .field("exposeHeaders", list(string()))
        .field("maxAge", duration())
        .field("allowCredentials", bool())
        .unsupported("unmatchedPreflights", "unmatched preflight requests are forwarded")
        .atMostOne("allowOrigins", "allowOrigin");
    Schema.Obj http = object()
        .field("name", string())
        .field("match", list(match))
        .field("route", list(routeDestination))
        .field("redirect", redirect)
        .field("directResponse", directResponse)
        .field("rewrite", rewrite)
        .field("timeout", duration())
        .field("retries", retries)
        .field("fault", fault)
        .field("mirror", destination())
        .field("mirrorPercentage", percent())
        .field("corsPolicy", cors)
        .field("headers", headers())
        .unsupported("delegate", "delegate VirtualServices are not implemented")
        .unsupported("mirrors", "use mirror with mirrorPercentage")
        .unsupported("mirrorPercent", "use mirrorPercentage")
        .unsupported("mirror_percent", "use mirrorPercentage")
        .oneOf("route", "redirect", "directResponse")
        .rule((json, c) -> weights(json.getJsonArray("route"), c, "route"))
        .rule((json, c) -> {
          if (json.getValue("redirect") != null && json.getValue("rewrite") != null) {
            c.error("rewrite", "cannot be combined with redirect");
          }
        });
    Schema.Type tcp = object()
        .field("match", list(object()
            .field("destinationSubnets", list(cidrOrIp()))
            .field("port", integer(1, 65535))
            .field("sourceLabels", labels())
            .field("gateways", list(nonEmptyString()))
            .unsupported("sourceNamespace", "match on sourceLabels instead")))
        .required("route", list(object().required("destination", destination()).field("weight", integer(0, 100)), 1, 1000))
        .rule((json, c) -> weights(json.getJsonArray("route"), c, "route"));
    return object()
        .required("hosts", list(nonEmptyString(), 1, 1000))
        .field("gateways", list(nonEmptyString()))
        .field("http", list(http))
        .field("tcp", list(tcp))
        .field("exportTo", list(string()))
        .unsupported("tls", "TLS (SNI) routes are not implemented; use tcp routes")
        .rule((json, c) -> {
          if (json.getValue("http") == null && json.getValue("tcp") == null) {
            c.error(null, "needs http or tcp routes");
          }
        });
  }

  static Schema.Type trafficPolicyFields(Schema.Obj policy) {
    Schema.Type consistentHash = object()
        .field("httpHeaderName", string())
        .field("httpCookie", object().required("name", nonEmptyString()).field("path", string()).field("ttl", duration()))
        .field("useSourceIp", bool())
        .field("httpQueryParameterName", string())
        .field("ringHash", object().field("minimumRingSize", integer(1, 8_388_608)))
        .field("maglev", object().field("tableSize", integer(1, 5_000_011)))
        .field("minimumRingSize", integer(1, 8_388_608))
        .oneOf("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName")
        .atMostOne("ringHash", "maglev", "minimumRingSize");
    Schema.Type loadBalancer = object()
        .field("simple", enumOf("UNSPECIFIED", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN"))
        .field("consistentHash", consistentHash)
        .unsupported("localityLbSetting", "locality-aware load balancing is not implemented")
        .unsupported("warmupDurationSecs", "slow start is not implemented")
        .unsupported("warmup", "slow start is not implemented")
        .atMostOne("simple", "consistentHash");
    Schema.Type connectionPool = object()
        .field("tcp", object()
            .field("maxConnections", integer(1, Integer.MAX_VALUE))
            .field("connectTimeout", duration(Duration.ofMillis(1), Duration.ofHours(1)))
            .field("tcpKeepalive", object().field("probes", integer(1, 1000)).field("time", duration()).field("interval", duration()))
            .field("maxConnectionDuration", duration())
            .field("idleTimeout", duration()))
        .field("http", object()
            .field("http1MaxPendingRequests", integer(1, Integer.MAX_VALUE))
            .field("http2MaxRequests", integer(1, Integer.MAX_VALUE))
            .field("maxRequestsPerConnection", integer(0, Integer.MAX_VALUE))
            .field("maxRetries", integer(0, Integer.MAX_VALUE))
            .field("idleTimeout", duration())
            .field("h2UpgradePolicy", enumOf("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"))
            .field("useClientProtocol", bool())
            .field("maxConcurrentStreams", integer(1, Integer.MAX_VALUE)));
    Schema.Type outlierDetection = object()
        .field("splitExternalLocalOriginErrors", bool())
        .field("consecutiveLocalOriginFailures", integer(0, Integer.MAX_VALUE))
        .field("consecutiveGatewayErrors", integer(0, Integer.MAX_VALUE))
        .field("consecutive5xxErrors", integer(0, Integer.MAX_VALUE))
        .field("consecutiveErrors", integer(0, Integer.MAX_VALUE))
        .field("interval", duration(Duration.ofMillis(1), Duration.ofDays(1)))
        .field("baseEjectionTime", duration(Duration.ofMillis(1), Duration.ofDays(1)))
        .field("maxEjectionPercent", integer(0, 100))
        .field("minHealthPercent", integer(0, 100));
    return policy
        .field("loadBalancer", loadBalancer)
        .field("connectionPool", connectionPool)
        .field("outlierDetection", outlierDetection)
        .unsupported("tls", "client TLS settings are not implemented")
        .unsupported("proxyProtocol", "PROXY protocol is not implemented")
        .unsupported("tunnel", "tunnelling is not implemented");
  }

  static Schema.Type trafficPolicy() {
    Schema.Obj portLevel = object().required("port", portSelector());
    trafficPolicyFields(portLevel);
    Schema.Obj policy = object().field("portLevelSettings", list(portLevel));
    return trafficPolicyFields(policy);
  }

  static Schema.Type destinationRule() {
    return object()
        .required("host", nonEmptyString())
        .field("trafficPolicy", trafficPolicy())
        .field("subsets", list(object()
            .required("name", string(LABEL, "a subset name (DNS-1123 label)"))
            .field("labels", labels())
            .field("trafficPolicy", trafficPolicy())))
        .field("exportTo", list(string()))
        .unsupported("workloadSelector", "destination rules apply to every client")
        .rule((json, c) -> {
          if (json.getValue("subsets") instanceof JsonArray subsets) {
            java.util.Set<String> names = new java.util.HashSet<>();
            for (int i = 0; i < subsets.size(); i++) {
              if (subsets.getValue(i) instanceof JsonObject s && s.getValue("name") instanceof String n && !names.add(n)) {
                c.error("subsets[" + i + "].name", "duplicate subset '" + n + "'");
              }
            }
          }
        });
  }

  static Schema.Type serviceEntry() {
    return object()
        .required("hosts", list(nonEmptyString(), 1, 1000))
        .field("addresses", list(cidrOrIp()))
        .field("ports", list(object()
            .required("number", integer(1, 65535))
            .field("protocol", enumOf("HTTP", "HTTPS", "GRPC", "HTTP2", "MONGO", "TCP", "TLS"))
            .required("name", nonEmptyString())
            .field("targetPort", integer(1, 65535))))
        .field("location", enumOf("MESH_EXTERNAL", "MESH_INTERNAL"))
        .field("resolution", enumOf("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"))
        .field("endpoints", list(object()
            .field("address", nonEmptyString())
            .field("ports", map(integer(1, 65535)))
            .field("labels", labels())
            .field("network", string())
            .field("locality", string())
            .field("weight", integer(0, Integer.MAX_VALUE))
            .unsupported("serviceAccount", "workload identities are not implemented")))
        .field("exportTo", list(string()))
        .field("subjectAltNames", list(string()))
        .unsupported("workloadSelector", "register instances in the registry instead");
  }

  static Schema.Type gateway() {
    return object()
        .field("selector", labels())
        .required("servers", list(object()
            .required("port", object()
                .required("number", integer(1, 65535))
                .required("protocol", enumOf("HTTP", "HTTP2", "GRPC", "TCP"))
                .field("name", string())
                .field("targetPort", integer(1, 65535)))
            .required("hosts", list(nonEmptyString(), 1, 1000))
            .field("name", string())
            .field("bind", string())
            .field("defaultEndpoint", string())
            .unsupported("tls", "TLS termination at Meridian gateways is not implemented"), 1, 1000));
  }

  // ---- security.istio.io -------------------------------------------------------------------

  /** The {@code when} keys of an AuthorizationPolicy the gateway evaluates (docs/gateway.md (Authorization)). */
  static final Pattern WHEN_KEY = Pattern.compile("request\\.headers\\[[^\\[\\]]+\\]|request\\.auth\\.claims(\\[[^\\[\\]]+\\])+"
      + "|source\\.ip|remote\\.ip|request\\.auth\\.(principal|audiences|presenter)|destination\\.(port|ip)"
      + "|source\\.(principal|namespace)|connection\\.sni");

  static Schema.Type authorizationPolicy() {
    Schema.Type strings = list(string());
    Schema.Type source = object()
        .field("principals", strings).field("notPrincipals", strings)
        .field("requestPrincipals", strings).field("notRequestPrincipals", strings)
        .field("namespaces", strings).field("notNamespaces", strings)
        .field("ipBlocks", list(cidrOrIp())).field("notIpBlocks", list(cidrOrIp()))
        .field("remoteIpBlocks", list(cidrOrIp())).field("notRemoteIpBlocks", list(cidrOrIp()))
        .unsupported("serviceAccounts", "workload identities are not implemented")
        .unsupported("notServiceAccounts", "workload identities are not implemented");
    Schema.Type operation = object()
        .field("hosts", strings).field("notHosts", strings)
        .field("ports", list(string("[0-9]{1,5}", "a port"))).field("notPorts", list(string("[0-9]{1,5}", "a port")))
        .field("methods", strings).field("notMethods", strings)
        .field("paths", strings).field("notPaths", strings);
    Schema.Type rule = object()
        .field("from", list(object().required("source", source)))
        .field("to", list(object().required("operation", operation)))
        .field("when", list(object().required("key", nonEmptyString()).field("values", strings).field("notValues", strings)
            .rule((json, c) -> {
              String key = json.getString("key");
              if (key != null && !WHEN_KEY.matcher(key).matches()) {
                c.error("key", "unsupported condition key '" + key + "' (supported: request.headers[<name>], source.ip, "
                    + "remote.ip, request.auth.principal, request.auth.claims[<claim>], request.auth.audiences, "
                    + "request.auth.presenter, destination.port, source.principal, source.namespace, destination.ip, "
                    + "connection.sni)");
              }
              if ("source.ip".equals(key) || "remote.ip".equals(key)) {
                for (String field : new String[] {"values", "notValues"}) {
                  JsonArray ips = json.getValue(field) instanceof JsonArray a ? a : new JsonArray();
                  for (int i = 0; i < ips.size(); i++) {
                    try {
                      io.meridian.common.net.CidrSet.parseOne(String.valueOf(ips.getValue(i)));
                    } catch (IllegalArgumentException e) {
                      c.error(field + "[" + i + "]", e.getMessage());
                    }
                  }
                }
              }
              if (json.getValue("values") == null && json.getValue("notValues") == null) {
                c.error("values", "a condition needs values or notValues");
              }
            })));
    Schema.Type action = new Schema.Type() {
      @Override
      public void check(Object value, String path, Schema.Findings f) {
        if ("CUSTOM".equals(value)) {
          f.error(path, "CUSTOM is not supported by Meridian: use a meridian.io/v1 ExternalAuthPolicy");
        } else if ("AUDIT".equals(value)) {
          f.error(path, "AUDIT is not supported by Meridian");
        } else {
          enumOf("ALLOW", "DENY").check(value, path, f);
        }
      }

      @Override
      public String describe() {
        return "ALLOW or DENY";
      }
    };
    return object()
        .field("selector", workloadSelector())
        .field("targetRef", policyTargetRef())
        .field("targetRefs", list(policyTargetRef()))
        .field("action", action)
        .field("rules", list(rule))
        .unsupported("provider", "use a meridian.io/v1 ExternalAuthPolicy")
        .atMostOne("selector", "targetRef", "targetRefs");
  }

  static Schema.Type requestAuthentication() {
    Schema.Type jwks = new Schema.Type() {
      @Override
      public void check(Object value, String path, Schema.Findings f) {
        if (!(value instanceof String s)) {
          f.error(path, "expected a JWKS document as a string, got " + Schema.typeOf(value));
          return;
        }
        try {
          if (!(StrictJson.parseObject(s).getValue("keys") instanceof JsonArray)) {
            f.error(path, "a JWKS document needs a 'keys' list");
          }
        } catch (RuntimeException e) {
          f.error(path, "is not a JSON JWKS document: " + e.getMessage());
        }
      }

      @Override
      public String describe() {
        return "a JWKS document";
      }
    };
    return object()
        .field("selector", workloadSelector())
        .field("targetRef", policyTargetRef())
        .field("targetRefs", list(policyTargetRef()))
        .field("jwtRules", list(object()
            .required("issuer", nonEmptyString())
            .field("audiences", list(string()))
            .field("jwksUri", string("https?://\\S+", "an http(s) URL"))
            .field("jwks", jwks)
            .field("fromHeaders", list(object().required("name", string(HEADER_NAME.pattern(), "a header name")).field("prefix", string())))
            .field("fromParams", list(nonEmptyString()))
            .field("fromCookies", list(nonEmptyString()))
            .field("outputPayloadToHeader", string(HEADER_NAME.pattern(), "a header name"))
            .field("forwardOriginalToken", bool())
            .field("outputClaimToHeaders", list(object()
                .required("header", string(HEADER_NAME.pattern(), "a header name"))
                .required("claim", nonEmptyString())))
            .field("timeout", duration(Duration.ofMillis(1), Duration.ofMinutes(5)))
            .atMostOne("jwksUri", "jwks")
            .rule((json, c) -> {
              if (json.getValue("jwksUri") == null && json.getValue("jwks") == null) {
                c.error(null, "needs jwksUri or jwks (OpenID discovery from the issuer is not implemented)");
              }
            })))
        .atMostOne("selector", "targetRef", "targetRefs");
  }

  // ---- meridian.io/v1 --------------------------------------------------------------------------

  static Schema.Type rateLimitPolicy() {
    return object()
        .required("targetRef", meridianTarget(false))
        .required("key", string("client-ip|route|header:[A-Za-z0-9-]+|claim:[A-Za-z0-9_.:-]+",
            "a rate-limit key (client-ip, route, header:NAME or claim:NAME)"))
        .required("rate", number(0.001, 1_000_000_000))
        .field("burst", integer(1, Integer.MAX_VALUE))
        .field("scope", enumOf("local", "cluster"));
  }

  static Schema.Type externalAuthPolicy() {
    return object()
        .required("targetRef", meridianTarget(false))
        .required("authService", object()
            .required("host", nonEmptyString())
            .required("port", integer(1, 65535))
            .field("path", string("/[^\\s#]*", "a path starting with '/'")))
        .field("forwardHeaders", list(string(HEADER_NAME.pattern(), "a header name")))
        .field("copyResponseHeaders", list(string(HEADER_NAME.pattern(), "a header name")))
        .field("timeout", duration(Duration.ofMillis(1), Duration.ofMinutes(1)))
        .field("failureMode", enumOf("deny", "allow"))
        .field("cacheTTL", duration(Duration.ZERO, Duration.ofDays(1)));
  }

  static Schema.Type circuitBreakerPolicy() {
    return object()
        .required("targetRef", meridianTarget(true))
        .field("consecutiveFailures", integer(1, 1_000_000))
        .field("failureRatio", number(0, 1))
        .field("minimumRequests", integer(1, 1_000_000))
        .field("window", duration(Duration.ofMillis(100), Duration.ofHours(1)))
        .field("openDuration", duration(Duration.ofMillis(1), Duration.ofHours(1)))
        .field("halfOpenRequests", integer(1, 1_000_000))
        .rule((json, c) -> {
          if (json.getValue("consecutiveFailures") == null && json.getValue("failureRatio") == null) {
            c.error(null, "needs consecutiveFailures or failureRatio (or both)");
          }
        });
  }

  static Schema.Type cidrOrIp() {
    return new Schema.Type() {
      @Override
      public void check(Object value, String path, Schema.Findings f) {
        if (!(value instanceof String s)) {
          f.error(path, "expected an IP address or CIDR, got " + Schema.typeOf(value));
          return;
        }
        if (s.contains("/")) {
          try {
            Cidr.parse(s);
          } catch (IllegalArgumentException e) {
            f.error(path, e.getMessage());
          }
        } else if (Cidr.ipLiteral(s) == null) {
          f.error(path, "'" + s + "' is not an IP address or CIDR");
        }
      }

      @Override
      public String describe() {
        return "an IP address or CIDR";
      }
    };
  }

  private Schemas() {
  }
}
