package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

/**
 * The Topology and Traces pages in real headless Chromium against the real jar: traffic through
 * the gateway to {@code web} v1 and v2 (v2 failing 1 in 4) and to {@code shop}, plus a sidecar
 * of {@code web} (a static scrape target exposing Envoy's cluster counters) calling
 * {@code payments} with 3 % errors, draw a three-layer graph whose edges are red, amber and
 * green with their rates; the gateway's traces are found by service and open as a two-level
 * waterfall; spans posted to the Zipkin port show nesting, a missing parent, clock skew, a
 * 450-span trace paged by "show more", and an operation name and tag
 * {@code <img src=x onerror=alert(1)>} as text. Phone width has no page-level horizontal scroll.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiTelemetryIT {

  static final String XSS = "<img src=x onerror=alert(1)>";
  static final String SHAPED = "5bf92f3577b34da6a3ce929d0e0e4736";
  static final String LARGE = "6bf92f3577b34da6a3ce929d0e0e4737";
  static final int LARGE_SPANS = 450;

  private UiBrowser ui;
  private ChromeDriver browser;
  private HttpServer sidecar;
  private long sidecarStart;

  @BeforeAll
  void start() throws Exception {
    // web's sidecar: Envoy's outbound counters to payments, 20 requests a second, 3 % answered 5xx
    sidecar = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    sidecarStart = System.currentTimeMillis();
    sidecar.createContext("/stats/prometheus", exchange -> {
      long total = (System.currentTimeMillis() - sidecarStart) / 50;
      long failed = total * 3 / 100;
      String cluster = "envoy_cluster_name=\"outbound|8080||payments.default.svc.cluster.local\"";
      byte[] body = ("# TYPE envoy_cluster_upstream_rq_total counter\n"
          + "envoy_cluster_upstream_rq_total{" + cluster + "} " + total + "\n"
          + "# TYPE envoy_cluster_upstream_rq_xx counter\n"
          + "envoy_cluster_upstream_rq_xx{" + cluster + ",envoy_response_code_class=\"2\"} " + (total - failed) + "\n"
          + "envoy_cluster_upstream_rq_xx{" + cluster + ",envoy_response_code_class=\"5\"} " + failed + "\n")
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    sidecar.start();
    ui = UiBrowser.start("""
        telemetry:
          scrape:
            targets:
              - name: web-sidecar
                url: http://127.0.0.1:%d/stats/prometheus
                labels: {service: web, tenant: default}
        """.formatted(sidecar.getAddress().getPort()), Map.of("MERIDIAN_GATEWAY_TRACING_SAMPLING", "1.0"));
    browser = ui.browser;

    HttpBackend v1 = ui.closeLater(HttpBackend.start("web-v1", "v1"));
    HttpBackend v2 = ui.closeLater(HttpBackend.failingEvery("web-v2", "v2", 4));
    HttpBackend shop = ui.closeLater(HttpBackend.start("shop-v1", "v1"));
    for (HttpBackend b : List.of(v1, v2, shop)) {
      String service = b.name().substring(0, b.name().indexOf('-'));
      assertThat(ui.register("""
          {"id": "%s", "tenant": "default",
           "endpoints": [{"plane": "default", "address": "127.0.0.1"}],
           "services": [{"name": "%s", "version": "%s", "port": %d, "protocol": "http"}]}""".formatted(
          b.name(), service, b.name().substring(b.name().indexOf('-') + 1), b.port())).statusCode()).isEqualTo(201);
    }
    int gateway = ui.meridian.boundPort("gateway", ui.admin);
    GatewayHttp.await("web v1, v2 and shop routable", Duration.ofSeconds(20), () -> {
      GatewayHttp.get(gateway, "/api/shop/warm");
      return GatewayHttp.get(gateway, "/api/web/warm");
    }, r -> v1.requests() > 0 && v2.requests() > 0 && shop.requests() > 0);
    // 40 requests to each version of web and to shop, over two seconds (several scrapes)
    for (int i = 0; i < 40; i++) {
      assertThat(GatewayHttp.get(gateway, "/api/web/v1/items").statusCode()).isEqualTo(200);
      GatewayHttp.get(gateway, "/api/web/v2/items");
      assertThat(GatewayHttp.get(gateway, "/api/shop/cart").statusCode()).isEqualTo(200);
      if (i % 10 == 9) {
        Thread.sleep(500);
      }
    }
    postSpans(shapedTrace());
    postSpans(largeTrace());
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (ui != null) {
        ui.close();
      }
    } finally {
      if (sidecar != null) {
        sidecar.stop(0);
      }
    }
  }

  @BeforeEach
  void freshTab() {
    // forget the session on the settled page first: freshTab clears sessionStorage right after
    // loading "/", and a login still in flight there (whoami) would save the token again
    if (browser.getCurrentUrl().startsWith(ui.base)) {
      browser.executeScript("sessionStorage.clear()");
    }
    ui.freshTab();
  }

  // ---------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void theTopologyShowsTheGraphColouredByErrorsAndStaysCurrent() throws Exception {
    ui.loginAsAdmin();
    browser.findElement(By.linkText("Topology")).click();
    ui.waitForText(By.cssSelector("main h1"), "Topology");
    // the three edges with rates, coloured (and dashed) by their error ratio
    // (the table is rebuilt every 5 s: it is read in one script, never through element references)
    ui.until("three calls with rates", d -> callRows().size() == 3 && callRows().stream().allMatch(r -> r.contains("req/s")));
    ui.until("gateway → web red, web → payments amber, gateway → shop green", d ->
        level("[data-source^='gateway:'][data-destination=web]").equals("level-bad")
            && level("[data-source=web][data-destination=payments]").equals("level-warn")
            && level("[data-source^='gateway:'][data-destination=shop]").equals("level-ok"));
    assertThat(callRows()).anySatisfy(r -> assertThat(r).startsWith("gateway meridian-gateway").contains("web")
        .contains("req/s").contains("errors 5 % or more"));

    // the nodes: services as links, the gateway, laid out by call depth (gateway → web → payments)
    WebElement web = browser.findElement(By.cssSelector("g.topo-node[data-node=web]"));
    WebElement payments = browser.findElement(By.cssSelector("g.topo-node[data-node=payments]"));
    WebElement gw = browser.findElement(By.cssSelector("g.topo-node.kind-gateway"));
    assertThat(web.getAttribute("role")).isEqualTo("link");
    assertThat(web.getAttribute("tabindex")).isEqualTo("0");
    assertThat(web.getAttribute("aria-label")).startsWith("web: ").contains("req/s").contains("errors 5 % or more");
    assertThat(web.getAttribute("class")).contains("level-bad");
    assertThat(browser.findElement(By.cssSelector("g.topo-node[data-node=shop]")).getAttribute("class")).contains("level-ok");
    assertThat(gw.getRect().getX()).isLessThan(web.getRect().getX());
    assertThat(web.getRect().getX()).isLessThan(payments.getRect().getX());
    assertThat(browser.findElements(By.cssSelector("path.topo-edge.level-bad"))).hasSize(1);
    assertThat(browser.findElements(By.cssSelector("text.topo-edge-label")).stream().map(WebElement::getText))
        .anyMatch(t -> t.matches("\\d+(\\.\\d+)? req/s · \\d+\\.\\d+ %"));

    // focus shows the details (with the p99 of the gateway's histogram), a refresh keeps the same elements
    browser.executeScript("arguments[0].focus()", web);
    ui.waitForText(By.id("topology-details"), "Receives");
    assertThat(browser.findElement(By.id("topology-details")).getText()).contains("p99").contains(" ms").contains("Its traces");
    browser.executeScript("window.__node = document.querySelector('g.topo-node[data-node=web]');"
        + "window.__status = document.querySelector('#topology-status').firstChild");
    ui.until("a refresh", d -> Boolean.TRUE.equals(browser.executeScript(
        "return document.querySelector('#topology-status').firstChild !== window.__status")));
    assertThat(browser.executeScript("return window.__node === document.querySelector('g.topo-node[data-node=web]')"))
        .isEqualTo(true);
    ui.screenshot("topology");

    // the window is kept in the URL; Enter on a node opens its service page
    new Select(browser.findElement(By.id("topology-window"))).selectByValue("5m");
    ui.until("the window in the URL", d -> d.getCurrentUrl().endsWith("/topology?window=5m"));
    ui.waitForText(By.id("topology-status"), "over the last 5m");
    browser.executeScript("arguments[0].focus()", browser.findElement(By.cssSelector("g.topo-node[data-node=web]")));
    new Actions(browser).sendKeys(Keys.ENTER).perform();
    ui.until("the service page", d -> d.getCurrentUrl().endsWith("/services/default/web"));
    ui.waitForText(By.cssSelector("main h1"), "web");
    // ... which links to its traces
    browser.findElement(By.id("service-traces")).click();
    ui.until("the traces of web", d -> d.getCurrentUrl().endsWith("/traces?service=web"));
    ui.waitFor(By.cssSelector("#traces tbody tr"));
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(2)
  void theTracesOfAServiceOpenAsAWaterfall() throws Exception {
    ui.loginAsAdmin();
    browser.findElement(By.linkText("Traces")).click();
    ui.waitForText(By.cssSelector("main h1"), "Traces");
    WebElement service = browser.findElement(By.id("trace-service"));
    service.sendKeys("web");
    browser.findElement(By.id("trace-search")).click();
    ui.until("web's traces", d -> d.getCurrentUrl().contains("service=web")
        && d.findElements(By.cssSelector("#traces-result[aria-busy]")).isEmpty()
        && d.findElements(By.cssSelector("#traces tbody tr")).size() >= 10
        && d.findElement(By.id("traces-count")).getText().contains("20 traces"));
    List<WebElement> rows = browser.findElements(By.cssSelector("#traces tbody tr"));
    assertThat(rows).allSatisfy(r -> assertThat(r.getText()).contains("meridian-gateway").contains("ms"));
    // latest first
    List<String> started = rows.stream().map(r -> r.findElement(By.cssSelector("time")).getText()).toList();
    assertThat(started).isSortedAccordingTo(java.util.Comparator.reverseOrder());
    assertThat(browser.findElement(By.cssSelector("#traces-chart svg")).getAttribute("aria-label")).startsWith("Durations of 20 traces");
    ui.screenshot("traces");

    String id = rows.get(0).getAttribute("data-trace");
    rows.get(0).findElement(By.cssSelector("a")).click();
    ui.until("the waterfall", d -> d.getCurrentUrl().endsWith("/traces/" + id));
    ui.waitFor(By.id("waterfall"));
    List<WebElement> spans = browser.findElements(By.cssSelector("#waterfall > li"));
    assertThat(spans).hasSize(2);
    assertThat(browser.findElement(By.id("trace-span-count")).getText()).isEqualTo("2");
    assertThat(spans.get(0).getAttribute("data-depth")).isEqualTo("0");
    assertThat(spans.get(1).getAttribute("data-depth")).isEqualTo("1");
    assertThat(indent(spans.get(1))).isGreaterThan(indent(spans.get(0)));
    spans.get(1).findElement(By.cssSelector("button")).click();
    WebElement details = ui.waitFor(By.cssSelector("#waterfall > li:nth-child(2) .span-details"));
    assertThat(details.getText()).contains("CLIENT").contains("Remote endpoint").contains("web").contains(id);
    assertThat(browser.findElement(By.id("trace-summary")).getText()).contains("meridian-gateway").contains("web");
    ui.screenshot("trace-gateway");

    // a bad duration is named next to its field
    browser.navigate().back();
    ui.waitFor(By.id("trace-minDuration")).sendKeys("abc");
    browser.findElement(By.id("trace-search")).click();
    ui.waitForText(By.id("trace-minDuration-error"), "got 'abc'");
    assertThat(browser.findElement(By.id("trace-minDuration")).getAttribute("aria-invalid")).isEqualTo("true");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(3)
  void aPostedTraceShowsNestingOrphansSkewAndMarkupAsText() throws Exception {
    ui.loginAsAdmin();
    ui.open("/traces?spanName=" + java.net.URLEncoder.encode(XSS, StandardCharsets.UTF_8));
    ui.waitFor(By.cssSelector("#traces tr[data-trace='" + SHAPED + "']"));
    assertThat(browser.findElement(By.id("trace-spanName")).getAttribute("value")).isEqualTo(XSS);
    WebElement row = browser.findElement(By.cssSelector("#traces tr[data-trace='" + SHAPED + "']"));
    assertThat(row.getText()).contains("frontend").contains("GET /checkout").contains("error");
    row.findElement(By.cssSelector("a")).click();
    ui.waitFor(By.id("waterfall"));
    List<WebElement> spans = browser.findElements(By.cssSelector("#waterfall > li"));
    assertThat(spans).hasSize(4);
    assertThat(spans.stream().map(s -> s.getAttribute("data-depth"))).containsExactly("0", "1", "2", "0");
    assertThat(indent(spans.get(2))).isGreaterThan(indent(spans.get(1)));
    assertThat(indent(spans.get(1))).isGreaterThan(indent(spans.get(0)));
    // the operation name is text; the error span is marked
    assertThat(spans.get(1).getText()).contains(XSS).contains("error");
    assertThat(spans.get(1).getAttribute("class")).contains("has-error");
    // clock skew: the grandchild started 1 ms before its parent and is drawn at the parent's start
    assertThat(browser.findElement(By.id("skew-note")).getText()).contains("1 span started before its parent");
    assertThat(spans.get(2).getText()).contains("before its parent started");
    assertThat(bar(spans.get(2)).getAttribute("x")).isEqualTo(bar(spans.get(1)).getAttribute("x"));
    // the orphan is a root with a note
    assertThat(browser.findElement(By.id("orphan-note")).getText()).contains("1 span whose parent was not received");
    assertThat(spans.get(3).getText()).contains("00000000000000ff").contains("shown as a root");
    // details of the span with the tags as text
    spans.get(1).findElement(By.cssSelector("button")).click();
    WebElement details = ui.waitFor(By.cssSelector("#waterfall > li:nth-child(2) .span-details"));
    assertThat(details.getText()).contains("CLIENT").contains("http.path").contains(XSS).contains("1bf92f3577b34da2")
        .contains("orders 10.0.0.9:8080");
    assertThat(browser.findElement(By.cssSelector("#waterfall > li:nth-child(2) button")).getAttribute("aria-expanded"))
        .isEqualTo("true");
    assertThat(browser.findElements(By.cssSelector("main img"))).isEmpty();
    ui.assertNoAlert();
    ui.screenshot("trace-waterfall");

    // at phone width nothing is wider than the screen
    ui.viewport(375, 800);
    ui.waitFor(By.id("waterfall"));
    assertNoHorizontalScroll();
    ui.screenshot("trace-waterfall");
    ui.open("/traces?service=web");
    ui.waitFor(By.cssSelector("#traces tbody tr"));
    assertNoHorizontalScroll();
    ui.screenshot("traces");
    ui.open("/topology");
    ui.waitFor(By.cssSelector("g.topo-node[data-node=web]"));
    assertNoHorizontalScroll();
    ui.screenshot("topology");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(4)
  void aLargeTraceShowsItsSpansAPageAtATime() throws Exception {
    ui.loginAsAdmin();
    ui.open("/traces/" + LARGE);
    ui.waitFor(By.id("waterfall"));
    assertThat(browser.findElements(By.cssSelector("#waterfall > li"))).hasSize(200);
    assertThat(browser.findElement(By.id("waterfall-shown")).getText()).isEqualTo("Showing 200 of " + LARGE_SPANS + " spans.");
    browser.findElement(By.id("show-more")).click();
    ui.until("400 rows", d -> d.findElements(By.cssSelector("#waterfall > li")).size() == 400);
    browser.findElement(By.id("show-all")).click();
    ui.until("every row", d -> d.findElements(By.cssSelector("#waterfall > li")).size() == LARGE_SPANS);
    assertThat(browser.findElements(By.id("show-more"))).isEmpty();
    ui.screenshot("trace-large");

    // a viewer sees the same pages (there is nothing to write on them)
    HttpResponse<String> created = ui.meridian.send("POST", "/api/v1/tokens", ui.admin,
        "{\"name\":\"telemetry-viewer\",\"role\":\"viewer\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    browser.executeScript("sessionStorage.clear()");
    ui.open("/");
    ui.login(new JsonObject(created.body()).getString("token"));
    ui.waitForText(By.cssSelector("main h1"), "Overview");
    browser.findElement(By.linkText("Topology")).click();
    ui.waitFor(By.cssSelector("#topology-table tbody tr"));
    browser.findElement(By.linkText("Traces")).click();
    ui.waitFor(By.cssSelector("#traces tbody tr"));
    ui.assertCleanBrowserLog();
  }

  // ---------------------------------------------------------------------------------------

  /** The error level class of the calls table's row matching {@code rowSelector}, "" when there is none. */
  private String level(String rowSelector) {
    return (String) browser.executeScript("const c = document.querySelector(arguments[0]);"
        + "return c ? c.className.replace('num', '').trim() : ''", "#topology-table tr" + rowSelector + " td:nth-child(4)");
  }

  /** The calls table's rows as text. */
  @SuppressWarnings("unchecked")
  private List<String> callRows() {
    return (List<String>) browser.executeScript(
        "return [...document.querySelectorAll('#topology-table tbody tr')].map(r => r.innerText.replace(/\\s+/g, ' '))");
  }

  private static int indent(WebElement row) {
    return row.findElement(By.cssSelector(".span-service")).getRect().getX();
  }

  private static WebElement bar(WebElement row) {
    return row.findElement(By.cssSelector("svg.span-bar rect"));
  }

  private void assertNoHorizontalScroll() {
    assertThat((Boolean) browser.executeScript("return document.documentElement.scrollWidth <= window.innerWidth"))
        .as("page-level horizontal scroll at " + browser.getCurrentUrl()).isTrue();
  }

  private void postSpans(JsonArray spans) throws Exception {
    int zipkin = ui.meridian.boundPort("zipkin", ui.admin);
    HttpResponse<String> r = GatewayHttp.CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + zipkin + "/api/v2/spans"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(spans.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  private static JsonObject span(String trace, String id, String parent, String service, String name, long start, long duration) {
    JsonObject span = new JsonObject().put("traceId", trace).put("id", id).put("name", name)
        .put("timestamp", start).put("duration", duration).put("localEndpoint", new JsonObject().put("serviceName", service));
    return parent == null ? span : span.put("parentId", parent);
  }

  /**
   * frontend's server span; under it a client span named {@code XSS} with an error and an
   * {@code XSS} tag; under that orders' server span, recorded 1 ms before its parent (clock
   * skew); and an orders span whose parent never arrives.
   */
  private static JsonArray shapedTrace() {
    long t = System.currentTimeMillis() * 1000;
    return new JsonArray()
        .add(span(SHAPED, "1bf92f3577b34da1", null, "frontend", "GET /checkout", t, 50_000).put("kind", "SERVER"))
        .add(span(SHAPED, "1bf92f3577b34da2", "1bf92f3577b34da1", "frontend", XSS, t + 2_000, 30_000).put("kind", "CLIENT")
            .put("remoteEndpoint", new JsonObject().put("serviceName", "orders").put("ipv4", "10.0.0.9").put("port", 8080))
            .put("tags", new JsonObject().put("http.path", XSS).put("error", "500")))
        .add(span(SHAPED, "1bf92f3577b34da3", "1bf92f3577b34da2", "orders", "select", t + 1_000, 10_000).put("kind", "SERVER"))
        .add(span(SHAPED, "1bf92f3577b34da4", "00000000000000ff", "orders", "late work", t + 20_000, 5_000));
  }

  /** One root with 449 children. */
  private static JsonArray largeTrace() {
    long t = System.currentTimeMillis() * 1000 - 60_000_000;
    JsonArray spans = new JsonArray().add(span(LARGE, "2000000000000001", null, "batch", "run", t, 900_000));
    for (int i = 1; i < LARGE_SPANS; i++) {
      spans.add(span(LARGE, "%016x".formatted(0x3000000000000000L + i), "2000000000000001", i % 2 == 0 ? "store" : "batch",
          "step " + i, t + i * 1_000L, 1_500));
    }
    return spans;
  }
}
