package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
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
import org.openqa.selenium.support.ui.Select;

/**
 * Verifies the registration form in real headless Chromium against the real jar: a service
 * registered through the form (two planes, a label, a binding with metrics, a TTL health
 * policy) appears on its service page; the registry's 400 for a bad address or port is shown
 * next to exactly that field (aria-invalid, aria-describedby, focus); editing an instance keeps
 * its labels and every field the form does not show; a viewer sees neither *Register* nor
 * *Edit*; a label {@code <img src=x onerror=alert(1)>} stays text.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiRegisterIT {

  static final String XSS = "<img src=x onerror=alert(1)>";

  private UiBrowser ui;

  @BeforeAll
  void start() throws Exception {
    ui = UiBrowser.start("""
        registry:
          planes:
            - name: data
              cidrs: [10.0.0.0/8]
            - name: mgmt
              cidrs: [192.168.0.0/16]
        """, Map.of());
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

  /** The form of /register, once the registry's planes fill the plane selects. */
  private void openForm() {
    ui.loginAsAdmin();
    ui.browser.findElement(By.linkText("Services")).click();
    ui.waitForText(By.cssSelector("main h1"), "Services");
    ui.waitFor(By.id("register-service")).click();
    ui.waitForText(By.cssSelector("main h1"), "Register a service");
    ui.waitFor(By.cssSelector("#endpoint-rows select"));
  }

  private WebElement endpointRow(int i) {
    return ui.browser.findElements(By.cssSelector("#endpoint-rows .endpoint-row")).get(i);
  }

  private static void type(WebElement input, String text) {
    input.clear();
    input.sendKeys(text);
  }

  private void fillEndpoint(int i, String plane, String address) {
    new Select(endpointRow(i).findElement(By.tagName("select"))).selectByValue(plane);
    type(endpointRow(i).findElement(By.cssSelector("input.address")), address);
  }

  private WebElement serviceInput(String cls) {
    return ui.browser.findElement(By.cssSelector("#service-rows .service-row ." + cls));
  }

  /** The field named by the server's error: invalid, described by a message saying {@code text}, and focused. */
  private void assertErrorAt(WebElement control, String text) {
    ui.until("aria-invalid on the field", d -> "true".equals(control.getAttribute("aria-invalid")));
    String describedBy = control.getAttribute("aria-describedby");
    WebElement message = ui.browser.findElements(By.cssSelector(".server-error")).stream()
        .filter(m -> describedBy.contains(m.getAttribute("id"))).findFirst().orElseThrow();
    assertThat(message.getText()).contains(text);
    assertThat(message.getAttribute("role")).isEqualTo("alert");
    assertThat(ui.browser.switchTo().activeElement()).isEqualTo(control);
    assertThat(ui.browser.findElements(By.cssSelector("[aria-invalid=true]"))).hasSize(1);
  }

  @Test
  @Order(1)
  void aServiceRegisteredThroughTheFormAppearsOnItsPage() throws Exception {
    openForm();
    type(ui.browser.findElement(By.cssSelector("input[data-field=id]")), "payments-ext-1");
    type(ui.browser.findElement(By.cssSelector("input[data-field=tenant]")), "shop");
    assertThat(new Select(ui.browser.findElement(By.cssSelector("select[data-field=kind]"))).getFirstSelectedOption().getText())
        .isEqualTo("external");
    assertThat(new Select(endpointRow(0).findElement(By.tagName("select"))).getOptions())
        .extracting(WebElement::getText).containsExactly("data", "mgmt");

    ui.browser.findElement(By.id("add-label")).click();
    type(ui.browser.findElement(By.cssSelector("#label-rows input.label-key")), "team");
    type(ui.browser.findElement(By.cssSelector("#label-rows input.label-value")), XSS);
    ui.browser.findElement(By.id("add-label")).click();
    type(ui.browser.findElements(By.cssSelector("#label-rows input.label-key")).get(1), "removed");
    ui.browser.findElements(By.cssSelector("#label-rows .label-row button.remove")).get(1).click();

    fillEndpoint(0, "data", "10.3.0.7");
    ui.browser.findElement(By.id("add-endpoint")).click();
    fillEndpoint(1, "mgmt", "192.168.3.7");
    type(serviceInput("service-name"), "payments");
    type(serviceInput("service-version"), "v3");
    type(serviceInput("service-port"), "8443");
    type(serviceInput("metrics-path"), "/metrics");
    new Select(ui.browser.findElement(By.cssSelector("select[data-field='health.policy']"))).selectByValue("ttl");
    type(ui.browser.findElement(By.cssSelector("input.health-ttl")), "1h");
    assertThat(ui.browser.findElement(By.cssSelector("input.health-interval")).isDisplayed()).isFalse();

    JsonObject preview = new JsonObject(ui.browser.findElement(By.id("register-preview")).getText());
    assertThat(preview).isEqualTo(new JsonObject("""
        {"id": "payments-ext-1", "tenant": "shop", "kind": "external", "labels": {"team": "<img src=x onerror=alert(1)>"},
         "endpoints": [{"plane": "data", "address": "10.3.0.7"}, {"plane": "mgmt", "address": "192.168.3.7"}],
         "services": [{"name": "payments", "version": "v3", "port": 8443, "protocol": "http", "visibility": "both",
                       "metrics": {"path": "/metrics"}}],
         "health": {"policy": "ttl", "ttl": "1h"}}"""));
    ui.browser.executeScript("window.scrollTo(0, 0)");
    ui.screenshot("register-form");
    ui.viewport(375, 800);
    assertThat(ui.browser.executeScript("return document.documentElement.scrollWidth <= innerWidth")).isEqualTo(true);
    ui.screenshot("register-form");
    ui.viewport(1280, 800);

    ui.browser.findElement(By.id("register-submit")).click();
    ui.until("the service page", d -> d.getCurrentUrl().endsWith("/services/shop/payments"));
    WebElement row = ui.waitFor(By.cssSelector("#instances-table tr[data-instance='payments-ext-1']"));
    assertThat(row.getText()).contains("external").contains("v3").contains("10.3.0.7:8443").contains("192.168.3.7:8443")
        .contains("team=" + XSS);
    assertThat(ui.browser.findElements(By.cssSelector("main img"))).isEmpty();
    ui.assertNoAlert();
    ui.screenshot("register-done");

    JsonObject stored = new JsonObject(ui.meridian.get("/api/v1/instances/payments-ext-1", ui.admin).body());
    assertThat(stored.getJsonObject("health").getString("ttl")).isEqualTo("1h");
    assertThat(stored.getJsonArray("services").getJsonObject(0).getJsonObject("metrics"))
        .isEqualTo(new JsonObject().put("path", "/metrics").put("port", 8443));
    assertThat(stored.getJsonObject("labels").getMap()).containsOnlyKeys("team");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(2)
  void theRegistrysErrorsAppearAtTheFieldTheyName() throws Exception {
    openForm();
    type(ui.browser.findElement(By.cssSelector("input[data-field=id]")), "bad-1");
    fillEndpoint(0, "data", "10.0.0.9");
    ui.browser.findElement(By.id("add-endpoint")).click();
    fillEndpoint(1, "mgmt", "10.0.0.9");
    type(serviceInput("service-name"), "bad");
    type(serviceInput("service-port"), "8080");
    ui.browser.findElement(By.id("register-submit")).click();
    WebElement second = endpointRow(1).findElement(By.cssSelector("input.address"));
    assertErrorAt(second, "outside plane 'mgmt'");
    ui.screenshot("register-error-address");

    type(second, "192.168.0.9");
    type(serviceInput("service-port"), "70000");
    ui.browser.findElement(By.id("register-submit")).click();
    assertErrorAt(serviceInput("service-port"), "between 1 and 65535");
    assertThat(second.getAttribute("aria-invalid")).isNull();
    ui.screenshot("register-error-port");

    type(serviceInput("service-port"), "8080");
    ui.browser.findElement(By.id("register-submit")).click();
    ui.until("the service page", d -> d.getCurrentUrl().endsWith("/services/default/bad"));
    ui.waitFor(By.cssSelector("#instances-table tr[data-instance='bad-1']"));
    assertThat(ui.meridian.get("/api/v1/instances/bad-1", ui.admin).statusCode()).isEqualTo(200);

    // registering that id again would replace the instance: the form says so instead
    ui.open("/register");
    WebElement id = ui.waitFor(By.cssSelector("input[data-field=id]"));
    type(id, "bad-1");
    ui.browser.findElement(By.id("register-submit")).click();
    assertErrorAt(id, "already registered");
    assertThat(new JsonObject(ui.meridian.get("/api/v1/instances/bad-1", ui.admin).body()).getLong("revision")).isEqualTo(1);
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(3)
  void editingKeepsLabelsAndTheFieldsTheFormDoesNotShow() throws Exception {
    HttpResponse<String> created = ui.register("""
        {"id": "orders-e1", "tenant": "shop", "kind": "shared", "labels": {"zone": "a", "team": "core"}, "tags": ["blue"],
         "endpoints": [{"plane": "data", "address": "10.4.0.1"}, {"plane": "mgmt", "address": "192.168.4.1"}],
         "services": [{"name": "orders", "version": "v1", "port": 8080, "protocol": "http", "planes": ["data"],
                       "path": "/shop/orders", "stripPrefix": false}],
         "health": {"ttl": "30s", "checkId": "orders-check", "deregisterAfter": "10m"}}""");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

    ui.loginAsAdmin();
    ui.open("/services/shop/orders");
    ui.waitFor(By.cssSelector("#instances-table tr[data-instance='orders-e1'] a.edit")).click();
    ui.waitForText(By.cssSelector("main h1"), "Edit orders-e1");
    WebElement id = ui.waitFor(By.cssSelector("input[data-field=id]"));
    assertThat(id.getAttribute("value")).isEqualTo("orders-e1");
    assertThat(id.getAttribute("readonly")).isNotNull();
    assertThat(ui.browser.findElements(By.cssSelector("#label-rows input.label-key")))
        .extracting(e -> e.getAttribute("value")).containsExactly("team", "zone");
    assertThat(new Select(ui.browser.findElement(By.cssSelector("select[data-field=kind]"))).getFirstSelectedOption().getText())
        .isEqualTo("shared");
    ui.waitFor(By.cssSelector("#endpoint-rows select"));
    assertThat(endpointRow(1).findElement(By.cssSelector("input.address")).getAttribute("value")).isEqualTo("192.168.4.1");
    assertThat(ui.browser.findElement(By.cssSelector("input.health-ttl")).getAttribute("value")).isEqualTo("30s");
    // the binding is reachable on data only: mgmt unchecked, and data (the last one checked) cannot be unchecked
    List<WebElement> planes = ui.browser.findElements(By.cssSelector("#service-rows .plane-choices input[type=checkbox]"));
    assertThat(planes).extracting(e -> e.getAttribute("value")).containsExactly("data", "mgmt");
    assertThat(planes).extracting(WebElement::isSelected).containsExactly(true, false);
    assertThat(planes.get(0).isEnabled()).isFalse();
    ui.browser.executeScript("arguments[0].scrollIntoView()", ui.browser.findElement(By.cssSelector("#service-rows .service-row")));
    ui.screenshot("edit-form-services");
    ui.screenshot("edit-form");

    type(serviceInput("service-version"), "v2");
    type(endpointRow(0).findElement(By.cssSelector("input.address")), "10.4.0.2");
    ui.browser.findElement(By.id("register-submit")).click();
    ui.until("the service page", d -> d.getCurrentUrl().endsWith("/services/shop/orders"));
    ui.until("the edited instance", d -> d.findElement(By.cssSelector("#instances-table tr[data-instance='orders-e1']"))
        .getText().contains("10.4.0.2:8080"));

    JsonObject stored = new JsonObject(ui.meridian.get("/api/v1/instances/orders-e1", ui.admin).body());
    assertThat(stored.getLong("revision")).isEqualTo(2);
    assertThat(stored.getJsonObject("labels")).isEqualTo(new JsonObject().put("team", "core").put("zone", "a"));
    assertThat(stored.getJsonArray("tags")).isEqualTo(new JsonArray().add("blue"));
    assertThat(stored.getString("kind")).isEqualTo("shared");
    JsonObject binding = stored.getJsonArray("services").getJsonObject(0);
    assertThat(binding.getString("version")).isEqualTo("v2");
    assertThat(binding.getJsonArray("planes")).isEqualTo(new JsonArray().add("data"));
    assertThat(binding.getString("path")).isEqualTo("/shop/orders");
    assertThat(binding.getBoolean("stripPrefix")).isFalse();
    assertThat(stored.getJsonObject("health").getString("checkId")).isEqualTo("orders-check");
    assertThat(stored.getJsonObject("health").getString("deregisterAfter")).isEqualTo("10m");
    assertThat(stored.getJsonArray("endpoints").getJsonObject(1).getString("address")).isEqualTo("192.168.4.1");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(4)
  void aViewerSeesNeitherRegisterNorEdit() throws Exception {
    HttpResponse<String> created = ui.meridian.send("POST", "/api/v1/tokens", ui.admin,
        "{\"name\":\"register-viewer\",\"role\":\"viewer\"}");
    String viewer = new JsonObject(created.body()).getString("token");
    ui.login(viewer);
    ui.waitForText(By.cssSelector("main h1"), "Overview");
    ui.browser.findElement(By.linkText("Services")).click();
    ui.waitFor(By.cssSelector("#services tr[data-service=orders]"));
    assertThat(ui.browser.findElements(By.id("register-service"))).isEmpty();
    ui.open("/services/shop/orders");
    ui.waitFor(By.cssSelector("#instances-table tr[data-instance='orders-e1']"));
    assertThat(ui.browser.findElements(By.cssSelector("#instances-table a.edit, #instances-table button"))).isEmpty();
    for (String path : List.of("/register", "/instances/orders-e1/edit")) {
      ui.open(path);
      ui.waitForText(By.cssSelector("main .error"), "may not see this page");
      assertThat(ui.browser.findElements(By.cssSelector("main form"))).isEmpty();
    }
    ui.assertCleanBrowserLog();
  }
}
