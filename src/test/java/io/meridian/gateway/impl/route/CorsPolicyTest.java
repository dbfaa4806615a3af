package io.meridian.gateway.impl.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Verifies how a route's corsPolicy matches origins and which headers it writes (Envoy's CORS semantics). */
class CorsPolicyTest {

  @Test
  void originsMatchExactPrefixRegexAndWildcard() {
    CorsPolicy p = CorsPolicy.of(new JsonObject("{\"allowOrigins\":[{\"exact\":\"https://a.example\"},"
        + "{\"prefix\":\"http://localhost:\"},{\"regex\":\"https://[a-z]+\\\\.example\\\\.org\"}]}"));
    assertThat(p.allows("https://a.example")).isTrue();
    assertThat(p.allows("https://a.example.evil")).isFalse();
    assertThat(p.allows("http://localhost:3000")).isTrue();
    assertThat(p.allows("https://shop.example.org")).isTrue();
    assertThat(p.allows("https://shop.example.org.evil")).isFalse();
    assertThat(p.allows(null)).isFalse();
    assertThat(p.allows("")).isFalse();
    assertThat(CorsPolicy.of(new JsonObject("{\"allowOrigins\":[{\"exact\":\"*\"}]}")).allows("https://any.where")).isTrue();
    CorsPolicy old = CorsPolicy.of(new JsonObject("{\"allowOrigin\":[\"https://b.example\"]}"));
    assertThat(old.allows("https://b.example")).isTrue();
    assertThat(old.allows("https://c.example")).isFalse();
    assertThat(CorsPolicy.of(null)).isNull();
  }

  @Test
  void preflightsNeedOptionsOriginAndARequestedMethod() {
    assertThat(CorsPolicy.isPreflight("OPTIONS", "https://a", "PUT")).isTrue();
    assertThat(CorsPolicy.isPreflight("OPTIONS", "https://a", null)).isFalse();
    assertThat(CorsPolicy.isPreflight("OPTIONS", null, "PUT")).isFalse();
    assertThat(CorsPolicy.isPreflight("GET", "https://a", "PUT")).isFalse();
  }

  @Test
  void headersForPreflightsAndResponses() {
    CorsPolicy p = CorsPolicy.of(new JsonObject("{\"allowOrigins\":[{\"exact\":\"*\"}],\"allowMethods\":[\"GET\",\"PUT\"],"
        + "\"allowHeaders\":[\"x-a\",\"x-b\"],\"exposeHeaders\":[\"x-c\"],\"maxAge\":\"90s\"}"));
    HttpHeaders pre = new DefaultHttpHeaders();
    p.preflightHeaders(pre, "https://o");
    assertThat(pre.get("access-control-allow-origin")).isEqualTo("https://o");
    assertThat(pre.get("access-control-allow-methods")).isEqualTo("GET,PUT");
    assertThat(pre.get("access-control-allow-headers")).isEqualTo("x-a,x-b");
    assertThat(pre.get("access-control-max-age")).isEqualTo("90");
    assertThat(pre.contains("access-control-allow-credentials")).isFalse();
    HttpHeaders res = new DefaultHttpHeaders().add("vary", "Accept-Encoding");
    p.responseHeaders(res, "https://o");
    assertThat(res.get("access-control-expose-headers")).isEqualTo("x-c");
    assertThat(res.get("vary")).isEqualTo("Accept-Encoding, Origin");
    p.responseHeaders(res, "https://o");
    assertThat(res.get("vary")).as("not added twice").isEqualTo("Accept-Encoding, Origin");
    assertThat(res.contains("access-control-allow-methods")).isFalse();
  }
}
