package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
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
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Verifies the web UI as a user meets it, in real headless Chromium (Debian {@code chromium} and
 * {@code chromedriver}) against the real jar: login (wrong token, admin token), a service
 * registered through the API appearing without a reload, per-plane addresses, the XSS case, a
 * viewer seeing no write actions, a revoked token sending the browser back to the login, the
 * phone-width menu, and on every page the Content-Security-Policy header with no violation nor
 * script error in the browser's log. Screenshots of every page go to
 * {@code target/ui-screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiIT {

  static final String XSS = "<img src=x onerror=alert(1)>";
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private UiBrowser ui;
  private MeridianProcess meridian;
  private ChromeDriver browser;
  private String admin;
  private String base;

  @BeforeAll
  void start() throws Exception {
    ui = UiBrowser.start("""
        registry:
          planes:
            - name: data
              cidrs: [10.0.0.0/8]
            - name: mgmt
              cidrs: [192.168.0.0/16]
            - name: default
        """, Map.of());
    meridian = ui.meridian;
    browser = ui.browser;
    admin = ui.admin;
    base = ui.base;
  }

  @AfterAll
  void stop() throws Exception {
    if (ui != null) {
      ui.close();
    }
  }

  @BeforeEach
  void freshTab() {
    ui.freshTab();
  }

  // ---------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void aWrongTokenShowsTheErrorAndTheAdminTokenLogsIn() throws Exception {
    assertThat(browser.getTitle()).isEqualTo("Log in · Meridian");
    assertThat(browser.findElement(By.cssSelector("label[for=token]")).getText()).isEqualTo("API token");
    login("not-a-meridian-token");
    WebElement error = waitForText(By.id("token-error"), "not valid");
    assertThat(error.getAttribute("role")).isEqualTo("alert");
    assertThat(browser.findElement(By.id("token")).getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(browser.findElements(By.id("logout"))).isEmpty();
    screenshot("login-error");

    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    assertThat(browser.findElement(By.id("session")).getText()).contains("admin");
    assertThat(browser.getTitle()).isEqualTo("Overview · Meridian");
    assertThat(browser.findElement(By.cssSelector("nav a[aria-current=page]")).getText()).isEqualTo("Overview");
    // the token survives a reload of the tab (sessionStorage) ...
    browser.navigate().refresh();
    waitForText(By.cssSelector("main h1"), "Overview");
    // ... and log out forgets it
    browser.findElement(By.id("logout")).click();
    waitForText(By.id("login-notice"), "logged out");
    assertThat(browser.executeScript("return sessionStorage.length")).isEqualTo(0L);
    assertCleanBrowserLog();
  }

  @Test
  @Order(2)
  void aServiceRegisteredThroughTheApiAppearsWithoutReload() throws Exception {
    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    browser.findElement(By.linkText("Services")).click();
    waitForText(By.cssSelector("main h1"), "Services");
    waitForText(By.cssSelector("main h1 .live"), "live");
    browser.executeScript("window.__sameDocument = true");

    assertThat(register("""
        {"id": "orders-a1", "tenant": "shop", "kind": "mesh", "labels": {"zone": "a"},
         "endpoints": [{"plane": "data", "address": "10.1.0.5"}, {"plane": "mgmt", "address": "192.168.5.5"}],
         "services": [{"name": "orders", "version": "v1", "port": 8080, "protocol": "http"}]}""").statusCode())
        .isEqualTo(201);
    WebElement row = waitFor(By.cssSelector("#services tr[data-service=orders][data-tenant=shop]"));
    assertThat(row.getText()).contains("orders").contains("shop").contains("v1").contains("data, mgmt");
    assertThat(browser.executeScript("return window.__sameDocument === true")).isEqualTo(true);

    // a second version arrives live too
    register("""
        {"id": "orders-b1", "tenant": "shop", "kind": "mesh",
         "endpoints": [{"plane": "data", "address": "10.1.0.6"}],
         "services": [{"name": "orders", "version": "v2", "port": 8080, "protocol": "http"}]}""");
    new WebDriverWait(browser, Duration.ofSeconds(15)).until(d ->
        d.findElement(By.cssSelector("#services tr[data-service=orders]")).getText().contains("v2"));

    // search and tenant filter
    register("""
        {"id": "billing-1", "tenant": "finance", "kind": "shared",
         "endpoints": [{"plane": "data", "address": "10.2.0.1"}],
         "services": [{"name": "billing", "version": "v1", "port": 9000, "protocol": "grpc"}]}""");
    waitFor(By.cssSelector("#services tr[data-service=billing]"));
    browser.findElement(By.id("service-search")).sendKeys("ord");
    waitForText(By.id("services-count"), "1 service of");
    assertThat(browser.findElements(By.cssSelector("#services tbody tr"))).hasSize(1);
    browser.findElement(By.id("service-search")).clear();
    browser.executeScript("document.getElementById('service-search').dispatchEvent(new Event('input'))");
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("tenant-filter"))).selectByVisibleText("finance");
    waitForText(By.id("services-count"), "1 service of");
    assertThat(browser.findElement(By.cssSelector("#services tbody tr")).getAttribute("data-service")).isEqualTo("billing");
    assertThat(browser.getCurrentUrl()).endsWith("/services?tenant=finance");
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("tenant-filter"))).selectByVisibleText("All tenants");
    screenshot("services");

    // the service's page: versions, addresses per plane, health, and the write action of an admin
    browser.findElement(By.cssSelector("#services tr[data-service=orders] a")).click();
    waitForText(By.cssSelector("main h1"), "orders");
    assertThat(browser.getCurrentUrl()).endsWith("/services/shop/orders");
    WebElement a1 = waitFor(By.cssSelector("#instances-table tr[data-instance=orders-a1]"));
    assertThat(a1.getText()).contains("data 10.1.0.5:8080").contains("mgmt 192.168.5.5:8080").contains("passing")
        .contains("zone=a");
    assertThat(browser.findElement(By.id("versions-table")).getText()).contains("v1").contains("v2");
    assertThat(browser.findElements(By.cssSelector("#instances-table button"))).extracting(WebElement::getText)
        .containsOnly("Deregister").hasSize(2);
    waitFor(By.id("traffic-table"));
    assertThat(browser.executeScript("return window.__sameDocument === true")).isEqualTo(true);
    screenshot("service");

    // a deregistration through the API leaves the page live
    assertThat(meridian.send("DELETE", "/api/v1/instances/orders-b1", admin, null).statusCode()).isEqualTo(204);
    new WebDriverWait(browser, Duration.ofSeconds(15)).until(
        ExpectedConditions.numberOfElementsToBe(By.cssSelector("#instances-table tbody tr"), 1));

    // the overview counts them and lists the changes
    browser.findElement(By.linkText("Overview")).click();
    waitForText(By.id("counts"), "finance");
    assertThat(browser.findElement(By.id("counts")).getText()).contains("shop").contains("finance");
    waitForText(By.id("changes"), "orders-b1");
    assertThat(browser.findElement(By.id("changes")).getText()).contains("deregistered").contains("registered");
    // the traffic charts are sampled every 5 s: a line needs two samples
    // (present, not "visible": a flat line at 0 has no height)
    new WebDriverWait(browser, Duration.ofSeconds(15))
        .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#gateway-rate svg polyline")));
    assertThat(browser.findElement(By.cssSelector("#gateway-rate svg")).getAttribute("aria-label"))
        .isEqualTo("Gateway requests per second: 0.00 req/s");
    assertThat(browser.findElement(By.id("traffic-note")).getText()).startsWith("Now: 0.00 req/s");
    screenshot("overview");
    assertCleanBrowserLog();
  }

  @Test
  @Order(3)
  void registryStringsRenderAsTextNeverAsMarkup() throws Exception {
    // tenants and service names are DNS labels: the markup cannot get in through them
    HttpResponse<String> badTenant = register("""
        {"id": "x1", "tenant": "%s", "endpoints": [{"plane": "data", "address": "10.9.0.1"}],
         "services": [{"name": "x", "version": "v1", "port": 80, "protocol": "http"}]}""".formatted(XSS));
    assertThat(badTenant.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badTenant.body()).getJsonObject("error").getString("field")).isEqualTo("tenant");
    // labels take any text: it must show as text
    assertThat(register("""
        {"id": "xss-1", "tenant": "shop", "labels": {"note": "%s"},
         "endpoints": [{"plane": "data", "address": "10.1.0.9"}],
         "services": [{"name": "orders", "version": "v1", "port": 8080, "protocol": "http"}]}""".formatted(XSS))
        .statusCode()).isEqualTo(201);

    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    browser.get(base + "/services/shop/orders");
    WebElement row = waitFor(By.cssSelector("#instances-table tr[data-instance=xss-1]"));
    assertThat(row.findElement(By.cssSelector(".chip.label")).getText()).isEqualTo("note=" + XSS);
    assertThat(browser.findElements(By.cssSelector("main img"))).isEmpty();
    assertNoAlert();
    browser.get(base + "/");
    waitForText(By.id("changes"), "xss-1");
    assertThat(browser.findElements(By.cssSelector("img"))).isEmpty();
    assertNoAlert();
    // and a deep link carrying markup is text as well
    browser.get(base + "/services/shop/" + java.net.URLEncoder.encode(XSS, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
    waitForText(By.cssSelector("main h1"), XSS);
    assertThat(browser.findElements(By.cssSelector("img"))).isEmpty();
    assertNoAlert();
    assertCleanBrowserLog();
  }

  @Test
  @Order(4)
  void aViewerSeesNoWriteActionsAndARevokedTokenEndsTheSession() throws Exception {
    HttpResponse<String> created = meridian.send("POST", "/api/v1/tokens", admin, "{\"name\":\"ui-viewer\",\"role\":\"viewer\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    String viewer = new JsonObject(created.body()).getString("token");

    login(viewer);
    waitForText(By.cssSelector("main h1"), "Overview");
    assertThat(browser.findElement(By.id("session")).getText()).contains("ui-viewer").contains("viewer");
    browser.findElement(By.linkText("Services")).click();
    browser.findElement(By.cssSelector("main")); // rendered by the router
    waitFor(By.cssSelector("#services tr[data-service=orders] a")).click();
    waitFor(By.cssSelector("#instances-table tr[data-instance=orders-a1]"));
    assertThat(browser.findElements(By.cssSelector("#instances-table button"))).isEmpty();
    assertThat(browser.findElement(By.cssSelector("#instances-table thead")).getText()).doesNotContain("ACTIONS");
    screenshot("service-viewer");

    // revoked while logged in: the next call answers 401 and the UI goes back to the login
    assertThat(meridian.send("DELETE", "/api/v1/tokens/ui-viewer", admin, null).statusCode()).isEqualTo(204);
    browser.findElement(By.cssSelector(".crumbs a")).click();
    waitForText(By.id("login-notice"), "no longer accepted");
    assertThat(browser.findElements(By.id("logout"))).isEmpty();
    assertThat(browser.executeScript("return sessionStorage.length")).isEqualTo(0L);
    screenshot("login");

    // an agent token may register but not read: it logs in and is told so, with no page to open
    HttpResponse<String> agent = meridian.send("POST", "/api/v1/tokens", admin, "{\"name\":\"ui-agent\",\"role\":\"agent\"}");
    assertThat(agent.statusCode()).isEqualTo(201);
    login(new JsonObject(agent.body()).getString("token"));
    waitForText(By.cssSelector("main .error"), "may not see this page");
    assertThat(browser.findElements(By.cssSelector("#nav a"))).isEmpty();
  }

  @Test
  @Order(5)
  void everyPageHasTheCspHeaderAndCausesNoViolation() throws Exception {
    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    for (String path : List.of("/", "/services", "/services/shop/orders", "/services/finance/billing", "/no-such-page")) {
      HttpResponse<String> answer = meridian.get(path, null);
      assertThat(answer.statusCode()).as(path).isEqualTo(200);
      assertThat(answer.headers().firstValue("Content-Security-Policy")).as(path).hasValue(CSP);
      browser.get(base + path);
      waitFor(By.cssSelector("main h1"));
      // let the page's calls and its stream start before reading the log
      new WebDriverWait(browser, Duration.ofSeconds(15)).until(d -> !d.findElements(By.cssSelector("#nav a")).isEmpty());
      assertCleanBrowserLog();
    }
    for (String asset : List.of("/app.js", "/api.js", "/dom.js", "/style.css", "/pages/overview.js")) {
      assertThat(meridian.get(asset, null).headers().firstValue("Content-Security-Policy")).as(asset).hasValue(CSP);
    }
    // the policy really applies: an inline script injected into the page is refused and logged
    browser.executeScript("const s = document.createElement('script'); s.textContent = 'window.__inline = 1';"
        + "document.body.append(s);");
    assertThat(browser.executeScript("return window.__inline === undefined")).isEqualTo(true);
    assertThat(browserLog()).anySatisfy(e -> assertThat(e.getMessage()).contains("Content Security Policy"));
  }

  @Test
  @Order(8)
  void atPhoneWidthTheMenuOpensTheNavigation() throws Exception {
    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    viewport(375, 800);
    WebElement toggle = browser.findElement(By.id("menu-toggle"));
    new WebDriverWait(browser, Duration.ofSeconds(5)).until(ExpectedConditions.visibilityOf(toggle));
    By servicesLink = By.cssSelector("#nav a[href='/services']");
    assertThat(browser.findElement(servicesLink).isDisplayed()).isFalse();
    assertThat(toggle.getAttribute("aria-expanded")).isEqualTo("false");
    waitFor(By.cssSelector("#counts"));
    screenshot("overview-375");
    toggle.click();
    assertThat(toggle.getAttribute("aria-expanded")).isEqualTo("true");
    assertThat(browser.findElement(servicesLink).isDisplayed()).isTrue();
    screenshot("menu-375");
    browser.findElement(servicesLink).click();
    waitForText(By.cssSelector("main h1"), "Services");
    assertThat(browser.findElement(By.cssSelector("#nav a[href='/']")).isDisplayed()).isFalse();
    // nothing wider than the screen except inside scrollable tables
    assertThat((Long) browser.executeScript("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(375L);
    screenshot("services-375");
    waitFor(By.cssSelector("#services tr[data-service=orders] a")).click();
    waitFor(By.cssSelector("#instances-table tr[data-instance=orders-a1]"));
    screenshot("service-375");
    assertCleanBrowserLog();
  }

  @Test
  @Order(7)
  void trafficThroughTheGatewayShowsByVersionAndOnTheOverview() throws Exception {
    HttpBackend v1 = HttpBackend.start("web-v1", "v1");
    ui.closeLater(v1);
    HttpBackend v2 = HttpBackend.failingEvery("web-v2", "v2", 4);
    ui.closeLater(v2);
    for (HttpBackend b : List.of(v1, v2)) {
      assertThat(register("""
          {"id": "%s", "tenant": "default",
           "endpoints": [{"plane": "default", "address": "127.0.0.1"}],
           "services": [{"name": "web", "version": "%s", "port": %d, "protocol": "http"}]}""".formatted(
          b.name(), b.name().substring(4), b.port())).statusCode()).isEqualTo(201);
    }
    int gateway = meridian.boundPort("gateway", admin);
    GatewayHttp.await("both versions of web routable", Duration.ofSeconds(20), () -> GatewayHttp.get(gateway, "/api/web/warm"),
        r -> v1.requests() > 0 && v2.requests() > 0);

    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    browser.get(base + "/services/default/web");
    waitFor(By.cssSelector("#instances-table tr[data-instance=web-v2]"));
    // traffic while the page is open: v2 fails every 4th request
    for (int i = 0; i < 60; i++) {
      assertThat(GatewayHttp.get(gateway, "/api/web/v1/items").statusCode()).isEqualTo(200);
      GatewayHttp.get(gateway, "/api/web/v2/items");
      if (i % 10 == 9) {
        Thread.sleep(200); // spread over several scrapes
      }
    }
    // the table is redrawn every 5 s: a row found before a redraw is stale after it
    new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
      List<WebElement> rows = d.findElements(By.cssSelector("#traffic-table tbody tr"));
      return rows.stream().anyMatch(r -> r.getText().startsWith("v2") && r.getText().matches("(?s).*\\d+\\.\\d+ %.*")
          && !r.getText().contains(" 0.00 %"));
    });
    String v2Row = browser.findElements(By.cssSelector("#traffic-table tbody tr")).stream().map(WebElement::getText)
        .filter(t -> t.startsWith("v2")).findFirst().orElseThrow();
    String v1Row = browser.findElements(By.cssSelector("#traffic-table tbody tr")).stream().map(WebElement::getText)
        .filter(t -> t.startsWith("v1")).findFirst().orElseThrow();
    assertThat(v1Row).contains("req/s").contains("0.00 %").contains("ms");
    assertThat(v2Row).contains("req/s").contains("ms");
    screenshot("service-traffic");

    browser.findElement(By.linkText("Overview")).click();
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(d ->
        !d.findElement(By.id("traffic-note")).getText().startsWith("Now: 0.00 req/s")
            && d.findElement(By.id("traffic-note")).getText().startsWith("Now: "));
    assertThat(browser.findElement(By.cssSelector("#gateway-errors svg")).getAttribute("aria-label"))
        .startsWith("Gateway error ratio: ").endsWith("%");
    screenshot("overview-traffic");
    assertCleanBrowserLog();
  }

  /**
   * A page's event stream holds one of the browser's six connections to the server: leaving the
   * page, by a link or by loading another document, must give it back (it once did not, and
   * the seventh page load waited for a connection).
   */
  @Test
  @Order(6)
  void manyPageLoadsDoNotExhaustTheBrowsersConnections() throws Exception {
    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    for (int i = 0; i < 8; i++) {
      browser.get(base + "/services");
      waitForText(By.cssSelector("main h1 .live"), "live");
      browser.findElement(By.cssSelector("#services tr[data-service=orders] a")).click();
      waitForText(By.cssSelector("main h1 .live"), "live");
      browser.findElement(By.linkText("Overview")).click();
      waitForText(By.cssSelector("#h-changes .live"), "live");
    }
    browser.get(base + "/services/shop/orders");
    waitFor(By.cssSelector("#traffic-table tfoot tr"));
    waitFor(By.cssSelector("#instances-table tr[data-instance=orders-a1]"));
    waitForText(By.cssSelector("main h1 .live"), "live");
    // the server sees exactly two requests in progress: this page's event stream and this scrape
    new WebDriverWait(browser, Duration.ofSeconds(15)).until(d -> activeServerRequests() == 2);
    assertCleanBrowserLog();
  }

  @Test
  @Order(9)
  void theClusterPageShowsTheMemberItsRolesAndWhatItLeads() throws Exception {
    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
    browser.findElement(By.linkText("Cluster")).click();
    waitForText(By.cssSelector("main h1"), "Cluster");
    waitForText(By.id("cluster-summary"), "Not clustered");
    WebElement row = waitFor(By.cssSelector("#cluster-table tbody tr"));
    assertThat(row.getText()).contains("registry").contains("rules").contains("gateway").contains("ready");
    // a node alone leads every role it runs, its replicas at term 1
    assertThat(browser.findElement(By.cssSelector("#cluster-table td[data-role=registry]")).getAttribute("data-mode"))
        .isEqualTo("leader");
    assertThat(browser.findElement(By.cssSelector("#cluster-table td[data-role=rules]")).getText()).contains("term 1");
    // the six roles and the API tokens, which every member replicates
    assertThat(browser.findElements(By.cssSelector("#cluster-leaders tbody tr"))).hasSize(7);
    assertThat(browser.findElement(By.cssSelector("#cluster-table td[data-role=tokens]")).getAttribute("data-mode"))
        .isEqualTo("leader");
    screenshot("cluster");
    assertCleanBrowserLog();
  }

  // ---------------------------------------------------------------------------------------

  /** Requests in progress on the node's HTTP servers ({@code vertx_http_server_active_requests}). */
  private long activeServerRequests() {
    try {
      return Math.round(meridian.get("/metrics", null).body().lines()
          .filter(l -> l.startsWith("vertx_http_server_active_requests{"))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> register(String json) throws Exception {
    return ui.register(json);
  }

  private void login(String token) {
    ui.login(token);
  }

  private WebElement waitFor(By by) {
    return ui.waitFor(by);
  }

  private WebElement waitForText(By by, String text) {
    return ui.waitForText(by, text);
  }

  private void assertNoAlert() {
    ui.assertNoAlert();
  }

  private List<LogEntry> browserLog() {
    return ui.browserLog();
  }

  private void assertCleanBrowserLog() {
    ui.assertCleanBrowserLog();
  }

  private void viewport(int width, int height) {
    ui.viewport(width, height);
  }

  private void screenshot(String name) throws Exception {
    ui.screenshot(name);
  }
}
