package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
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
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * Verifies the Canary page and the rule wizards in real headless Chromium against the real jar,
 * with real traffic: two HTTP backends serve {@code web} v1 and v2; moving the canary slider with
 * the keyboard to 80/20 and applying makes the gateway send about a fifth of 200 requests to v2,
 * and 0/100 sends every request to v2, while the page shows both versions' rates; the fault
 * injection wizard shows the server's dry-run error at its field, applies through the form and
 * keeps the routes it does not cover; a header value {@code <img src=x onerror=alert(1)>} shows
 * as text in the preview; a viewer gets no Dry run nor Apply. Screenshots of every page.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiCanaryIT {

  static final String XSS = "<img src=x onerror=alert(1)>";
  static final List<String> WIZARDS = List.of("traffic-shifting", "header-routing", "timeouts", "fault-injection", "circuit-breaking");

  private UiBrowser ui;
  private ChromeDriver browser;
  private HttpBackend v1;
  private HttpBackend v2;
  private int gateway;

  @BeforeAll
  void start() throws Exception {
    ui = UiBrowser.start(null, Map.of());
    browser = ui.browser;
    v1 = ui.closeLater(HttpBackend.start("web-v1", "v1"));
    v2 = ui.closeLater(HttpBackend.start("web-v2", "v2"));
    for (HttpBackend b : List.of(v1, v2)) {
      HttpResponse<String> r = ui.register(GatewayHttp.instance(b.name(), "default", "web", b.name().substring(4), b.port()).encode());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    gateway = ui.meridian.boundPort("gateway", ui.admin);
    GatewayHttp.await("both versions of web routable", Duration.ofSeconds(20), () -> GatewayHttp.get(gateway, "/api/web/warm"),
        r -> v1.requests() > 0 && v2.requests() > 0);
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

  @Test
  @Order(1)
  void theCanarySliderShiftsRealTraffic() throws Exception {
    ui.loginAsAdmin();
    browser.findElement(By.linkText("Canary")).click();
    ui.waitForText(By.cssSelector("main h1"), "Canary");
    new Select(ui.waitFor(By.id("pick-tenant"))).selectByVisibleText("default");
    new Select(browser.findElement(By.id("pick-service"))).selectByVisibleText("web");
    ui.waitForText(By.id("current-weights"), "no VirtualService");
    assertThat(browser.getCurrentUrl()).endsWith("/canary?tenant=default&service=web");
    WebElement slider = ui.waitFor(By.id("canary-weight"));
    assertThat(slider.getAttribute("type")).isEqualTo("range");
    assertThat(browser.findElement(By.cssSelector("label[for=canary-weight]")).getText()).contains("v2 vs v1");

    // the keyboard moves the canary to 20 %
    for (int i = 0; i < 20; i++) {
      slider.sendKeys(Keys.ARROW_RIGHT);
    }
    ui.waitForText(By.id("split-text"), "v1 (stable) 80 % · v2 (canary) 20 %");
    assertThat(slider.getAttribute("aria-valuetext")).isEqualTo("v1 (stable) 80 % · v2 (canary) 20 %");
    ui.waitForText(By.cssSelector(".rule-preview[data-kind=VirtualService] pre"), "weight: 20");
    ui.screenshot("canary-split");
    browser.findElement(By.id("apply")).click();
    ui.waitForText(By.id("rule-results"), "Applied.");
    ui.waitForText(By.id("current-weights"), "In effect: v1 80 % · v2 20 %");

    JsonObject vs = rule("VirtualService", "web");
    JsonArray route = vs.getJsonObject("spec").getJsonArray("http").getJsonObject(0).getJsonArray("route");
    assertThat(route.getJsonObject(0).getInteger("weight")).isEqualTo(80);
    assertThat(route.getJsonObject(1).getJsonObject("destination").getString("subset")).isEqualTo("v2");
    assertThat(rule("DestinationRule", "web").getJsonObject("spec").getJsonArray("subsets").encode())
        .contains("{\"name\":\"v1\",\"labels\":{\"version\":\"v1\"}}").contains("{\"name\":\"v2\",\"labels\":{\"version\":\"v2\"}}");

    int toV2 = sendAndCountV2(200);
    assertThat(toV2).as("requests to v2 of 200 at 80/20").isBetween(20, 70);

    // End: everything to the canary
    slider = browser.findElement(By.id("canary-weight"));
    slider.sendKeys(Keys.END);
    ui.waitForText(By.id("split-text"), "v1 (stable) 0 % · v2 (canary) 100 %");
    browser.findElement(By.id("apply")).click();
    ui.waitForText(By.id("current-weights"), "In effect: v2 100 %");
    assertThat(sendAndCountV2(100)).as("requests to v2 of 100 at 0/100").isEqualTo(100);

    // both versions' traffic side by side (the last minute saw both)
    // (read in one script: the table is redrawn every 5 s)
    ui.until("both versions' rates", Duration.ofSeconds(30), d -> browser.executeScript("""
        return [...document.querySelectorAll('#canary-traffic-table tbody tr')]
          .filter((r) => ['v1', 'v2'].includes(r.dataset.version))
          .map((r) => r.querySelector('.rate').textContent)
          .filter((t) => t.endsWith('req/s') && !t.startsWith('0.00')).length === 2""").equals(Boolean.TRUE));
    @SuppressWarnings("unchecked")
    Map<String, String> v2Row = (Map<String, String>) browser.executeScript("""
        const r = document.querySelector('#canary-traffic-table tr[data-version=v2]');
        return {text: r.textContent, errors: r.querySelector('.errors').textContent, p99: r.querySelector('.p99').textContent}""");
    assertThat(v2Row.get("text")).contains("canary").contains("100 %");
    assertThat(v2Row.get("errors")).isEqualTo("0.00 %");
    assertThat(v2Row.get("p99")).endsWith("ms");
    ui.screenshot("canary-traffic");
    ui.viewport(375, 800);
    ui.until("the canary page at 375 px", d -> browser.executeScript(
        "return document.documentElement.scrollWidth <= innerWidth").equals(Boolean.TRUE));
    ui.screenshot("canary-traffic");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(2)
  void theFaultInjectionWizardShowsServerErrorsAtTheFieldAndApplies() throws Exception {
    ui.loginAsAdmin();
    ui.open("/rules/wizards");
    ui.waitFor(By.cssSelector("#wizard-list li[data-wizard=fault-injection]"));
    assertThat(browser.findElements(By.cssSelector("#wizard-list li"))).hasSize(WIZARDS.size());
    ui.screenshot("rule-wizards");
    browser.findElement(By.linkText("Fault injection")).click();
    ui.waitForText(By.cssSelector("main h1"), "Fault injection");
    new Select(ui.waitFor(By.id("pick-tenant"))).selectByVisibleText("default");
    new Select(browser.findElement(By.id("pick-service"))).selectByVisibleText("web");
    ui.waitForText(By.id("wizard-start"), "VirtualService web and DestinationRule web");

    // a value the server refuses: its message shows at the field
    type("fa-percent", "150");
    type("fa-status", "503");
    browser.findElement(By.id("dry-run")).click();
    ui.waitForText(By.id("fa-percent-error"), "must be between 0.0 and 100.0");
    assertThat(browser.findElement(By.id("fa-percent")).getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(browser.findElement(By.id("fa-percent")).getAttribute("aria-describedby")).contains("fa-percent-error");
    ui.waitForText(By.cssSelector("#rule-results [role=alert]"), "1 problem shown at the fields");
    ui.screenshot("wizard-fault-injection-error");

    type("fa-percent", "50");
    browser.findElement(By.id("dry-run")).click();
    ui.waitForText(By.id("rule-results"), "Dry run passed");
    assertThat(browser.findElement(By.id("fa-percent")).getAttribute("aria-invalid")).isNull();
    assertThat(rule("VirtualService", "web").encode()).doesNotContain("\"fault\"");
    browser.findElement(By.id("apply")).click();
    ui.waitForText(By.id("rule-results"), "Applied.");

    JsonObject route = rule("VirtualService", "web").getJsonObject("spec").getJsonArray("http").getJsonObject(0);
    assertThat(route.getJsonObject("fault").getJsonObject("abort").getInteger("httpStatus")).isEqualTo(503);
    assertThat(route.getJsonObject("fault").getJsonObject("abort").getJsonObject("percentage").getDouble("value")).isEqualTo(50.0);
    assertThat(route.getJsonArray("route").getJsonObject(0).getJsonObject("destination").getString("subset"))
        .as("the canary's route is kept").isEqualTo("v2");
    ui.waitForText(By.cssSelector(".rule-preview[data-kind=VirtualService] h3"), "unchanged");
    ui.screenshot("wizard-fault-injection");

    // the gateway injects it: some requests are answered 503 without reaching a backend
    GatewayHttp.await("an injected 503", Duration.ofSeconds(10), () -> GatewayHttp.get(gateway, "/api/web/fault"),
        r -> r.statusCode() == 503);

    // clearing the form removes the fault again, nothing else
    type("fa-percent", "");
    type("fa-status", "");
    browser.findElement(By.id("apply")).click();
    ui.until("the fault removed", d -> !rule("VirtualService", "web").encode().contains("\"fault\""));
    assertThat(rule("VirtualService", "web").getJsonObject("spec").getJsonArray("http")).hasSize(1);
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(3)
  void aHeaderValueShowsAsTextAndRoutesAreKept() throws Exception {
    ui.loginAsAdmin();
    ui.open("/rules/wizards/header-routing?tenant=default&service=web");
    type("hr-header", "x-user");
    type("hr-value", XSS);
    new Select(browser.findElement(By.id("hr-subset"))).selectByVisibleText("v1");
    ui.waitForText(By.cssSelector(".rule-preview[data-kind=VirtualService] pre"), "subset: v1");
    WebElement preview = ui.waitForText(By.cssSelector(".rule-preview[data-kind=VirtualService] pre"), "exact: \"" + XSS + "\"");
    assertThat(preview.getText().lines()).as("the new route's lines are marked as added")
        .anyMatch(l -> l.startsWith("+") && l.substring(1).trim().equals("x-user:"));
    assertThat(browser.findElements(By.cssSelector("main img"))).isEmpty();
    ui.assertNoAlert();
    assertThat(browser.findElement(By.cssSelector(".rule-preview[data-kind=VirtualService] a")).getAttribute("href"))
        .endsWith("/rules/VirtualService/default/web");
    browser.findElement(By.id("dry-run")).click();
    ui.waitForText(By.id("rule-results"), "Dry run passed");
    ui.screenshot("wizard-header-routing-xss");
    ui.assertNoAlert();
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(4)
  void everyWizardPrefillsFromTheRulesInEffect() throws Exception {
    HttpResponse<String> applied = ui.applyRules("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: web, namespace: default}
        spec:
          host: web
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
          trafficPolicy:
            loadBalancer: {simple: LEAST_REQUEST}
            outlierDetection: {consecutive5xxErrors: 7, baseEjectionTime: 30s}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: default}
        spec:
          hosts: [web]
          http:
          - match: [{headers: {x-tester: {exact: "yes"}}}]
            route: [{destination: {host: web, subset: v2}}]
          - route:
            - {destination: {host: web, subset: v1}, weight: 90}
            - {destination: {host: web, subset: v2}, weight: 10}
            timeout: 3s
            retries: {attempts: 2, perTryTimeout: 1s}
        """);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    ui.loginAsAdmin();
    for (String wizard : WIZARDS) {
      ui.open("/rules/wizards/" + wizard + "?tenant=default&service=web");
      ui.waitFor(By.cssSelector(".rule-preview"));
      ui.screenshot("wizard-" + wizard);
    }
    ui.open("/rules/wizards/traffic-shifting?tenant=default&service=web");
    assertThat(ui.waitFor(By.id("weight-v1")).getAttribute("value")).isEqualTo("90");
    assertThat(browser.findElement(By.id("weight-v2")).getAttribute("value")).isEqualTo("10");
    type("weight-v1", "70");
    type("weight-v2", "30");
    ui.waitForText(By.cssSelector(".plan-notes"), "keeps its other route (#1 header x-tester exact yes → v2)");
    browser.findElement(By.id("apply")).click();
    ui.waitForText(By.id("rule-results"), "Applied.");
    JsonArray http = rule("VirtualService", "web").getJsonObject("spec").getJsonArray("http");
    assertThat(http).hasSize(2);
    assertThat(http.getJsonObject(0).getJsonArray("match").encode()).contains("x-tester");
    assertThat(http.getJsonObject(1).getString("timeout")).isEqualTo("3s");
    assertThat(http.getJsonObject(1).getJsonArray("route").getJsonObject(1).getInteger("weight")).isEqualTo(30);

    ui.open("/rules/wizards/circuit-breaking?tenant=default&service=web");
    assertThat(ui.waitFor(By.id("od-errors")).getAttribute("value")).isEqualTo("7");
    type("cb-max-connections", "10");
    browser.findElement(By.id("apply")).click();
    ui.waitForText(By.id("rule-results"), "Applied.");
    JsonObject policy = rule("DestinationRule", "web").getJsonObject("spec").getJsonObject("trafficPolicy");
    assertThat(policy.getJsonObject("connectionPool").getJsonObject("tcp").getInteger("maxConnections")).isEqualTo(10);
    assertThat(policy.getJsonObject("loadBalancer").getString("simple")).isEqualTo("LEAST_REQUEST");
    assertThat(policy.getJsonObject("outlierDetection").getInteger("consecutive5xxErrors")).isEqualTo(7);
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(5)
  void aViewerSeesNoWriteControls() throws Exception {
    HttpResponse<String> created = ui.meridian.send("POST", "/api/v1/tokens", ui.admin, "{\"name\":\"canary-viewer\",\"role\":\"viewer\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    ui.login(new JsonObject(created.body()).getString("token"));
    ui.waitForText(By.cssSelector("main h1"), "Overview");
    ui.open("/canary?tenant=default&service=web");
    ui.waitFor(By.id("canary-weight"));
    ui.waitForText(By.id("read-only"), "may not write rules");
    assertThat(browser.findElements(By.id("apply"))).isEmpty();
    assertThat(browser.findElements(By.id("dry-run"))).isEmpty();
    ui.screenshot("canary-viewer");
    for (String wizard : WIZARDS) {
      ui.open("/rules/wizards/" + wizard + "?tenant=default&service=web");
      ui.waitFor(By.id("wizard-start"));
      ui.waitFor(By.id("read-only"));
      assertThat(browser.findElements(By.id("apply"))).isEmpty();
      assertThat(browser.findElements(By.id("dry-run"))).isEmpty();
    }
    ui.screenshot("wizard-circuit-breaking-viewer");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(6)
  void withThreeVersionsEveryVersionGetsANumber() throws Exception {
    HttpBackend v3 = ui.closeLater(HttpBackend.start("web-v3", "v3"));
    HttpResponse<String> r = ui.register(GatewayHttp.instance("web-v3", "default", "web", "v3", v3.port()).encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    ui.loginAsAdmin();
    ui.open("/canary?tenant=default&service=web");
    ui.waitFor(By.id("weight-v3"));
    assertThat(new Select(browser.findElement(By.id("stable-version"))).getFirstSelectedOption().getText()).isEqualTo("v1");
    assertThat(new Select(browser.findElement(By.id("canary-version"))).getFirstSelectedOption().getText()).isEqualTo("v3");
    type("weight-v1", "50");
    type("weight-v2", "30");
    type("weight-v3", "20");
    ui.waitForText(By.id("weight-total"), "Total: 100 %");
    ui.waitForText(By.id("split-text"), "v1 (stable) 50 % · v3 (canary) 20 %");
    assertThat(browser.findElement(By.id("canary-weight")).getAttribute("max")).isEqualTo("70");
    ui.screenshot("canary-three-versions");
    browser.findElement(By.id("apply")).click();
    ui.waitForText(By.id("current-weights"), "In effect: v1 50 % · v2 30 % · v3 20 %");
    JsonArray http = rule("VirtualService", "web").getJsonObject("spec").getJsonArray("http");
    assertThat(http.getJsonObject(0).getJsonArray("match").encode()).as("the header route is kept").contains("x-tester");
    assertThat(http.getJsonObject(1).getJsonArray("route").encode()).contains("\"subset\":\"v3\"},\"weight\":20");
    Thread.sleep(1500); // the gateway swaps its route table within a second of a rule change
    int before = v3.requests();
    for (int i = 0; i < 100; i++) {
      assertThat(GatewayHttp.get(gateway, "/api/web/items").statusCode()).isEqualTo(200);
    }
    assertThat(v3.requests() - before).as("requests to v3 of 100 at 20 %").isBetween(5, 40);
    ui.viewport(375, 800);
    ui.until("the canary page at 375 px", d -> browser.executeScript(
        "return document.documentElement.scrollWidth <= innerWidth").equals(Boolean.TRUE));
    ui.screenshot("canary-three-versions");
    ui.open("/rules/wizards/fault-injection?tenant=default&service=web");
    ui.waitFor(By.cssSelector(".rule-preview"));
    ui.until("the wizard at 375 px", d -> browser.executeScript(
        "return document.documentElement.scrollWidth <= innerWidth").equals(Boolean.TRUE));
    ui.screenshot("wizard-fault-injection");
    ui.assertCleanBrowserLog();
  }

  // ---------------------------------------------------------------------------------------

  /**
   * Sends n requests through the gateway (all must succeed), spread over a few seconds so that
   * several scrapes see them (a series' first scrape is its baseline: a burst before it never
   * shows as a rate), and returns how many reached v2.
   */
  private int sendAndCountV2(int n) throws Exception {
    Thread.sleep(1500); // the gateway swaps its route table within a second of a rule change
    int before1 = v1.requests();
    int before2 = v2.requests();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = GatewayHttp.get(gateway, "/api/web/items");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      if (i % 10 == 9) {
        Thread.sleep(150);
      }
    }
    assertThat(v1.requests() - before1 + v2.requests() - before2).isEqualTo(n);
    return v2.requests() - before2;
  }

  private JsonObject rule(String kind, String name) {
    try {
      HttpResponse<String> r = ui.meridian.get("/api/v1/rules/" + kind + "/default/" + name, ui.admin);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return new JsonObject(r.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Replaces the value of the input with id (select all, type), firing input events as a user would. */
  private void type(String id, String value) {
    WebElement input = ui.waitFor(By.id(id));
    input.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
    if (!value.isEmpty()) {
      input.sendKeys(value);
    }
  }
}
