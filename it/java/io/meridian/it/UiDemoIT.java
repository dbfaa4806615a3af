package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Verifies the newcomer's path through {@code --demo} in real Chromium: log in, and every page of
 * the navigation opens without a script error or CSP violation and shows the live demo mesh —
 * shop and orders on both planes, orders' v1 and v2 traffic side by side, the 90/10 canary in
 * effect, the gateway → shop and orders graph, traces of orders opening as a waterfall, the rule
 * list with the demo's rules, the gateway on the data-plane page. Screenshots {@code demo-*}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UiDemoIT {

  static final String TOKEN = "ui-demo-it-admin-token-0123456789";
  static final Duration DATA = Duration.ofSeconds(60);

  private UiBrowser ui;

  @BeforeAll
  void start() throws Exception {
    ui = UiBrowser.start(null, Map.of("MERIDIAN_ADMIN_TOKEN", TOKEN), "--demo");
  }

  @AfterAll
  void stop() throws Exception {
    if (ui != null) {
      ui.close();
    }
  }

  @Test
  void aNewcomerSeesTheLiveDemoOnEveryPage() throws Exception {
    ui.freshTab();
    ui.loginAsAdmin();
    List<String> links = new ArrayList<>();
    for (WebElement a : ui.browser.findElements(By.cssSelector("#nav a"))) {
      links.add(a.getText());
    }
    assertThat(links).contains("Overview", "Services", "Traffic rules", "Canary", "Topology", "Traces", "Data plane");
    for (String link : links) {
      ui.browser.findElement(By.linkText(link)).click();
      ui.until("the page " + link, d -> !d.findElements(By.cssSelector("main h1")).isEmpty()
          && d.findElement(By.cssSelector("nav a[aria-current=page]")).getText().equals(link));
      Thread.sleep(1500); // its first calls and its stream
      ui.screenshot("demo-" + link.toLowerCase().replace(' ', '-'));
      ui.assertCleanBrowserLog();
    }

    // orders: both versions with traffic, both planes
    ui.open("/services/default/orders");
    ui.waitFor(By.cssSelector("#instances-table tr[data-instance=orders-v2]"));
    assertThat(ui.browser.findElement(By.cssSelector("#instances-table tr[data-instance=orders-v1]")).getText())
        .contains("data 127.0.0.1:").contains("mgmt 127.0.0.2:");
    ui.until("traffic for v1 and v2", DATA, d -> {
      String text = d.findElement(By.id("traffic-table")).getText();
      return text.contains("v1") && text.contains("v2") && text.contains("req/s") && !text.contains("— req/s");
    });
    ui.screenshot("demo-orders");

    // the canary in effect
    ui.open("/canary?tenant=default&service=orders");
    ui.waitForText(By.id("current-weights"), "v1 90 % · v2 10 %");
    ui.screenshot("demo-canary-orders");

    // the graph: the gateway calls shop and orders
    ui.open("/topology?tenant=default");
    ui.until("orders and shop in the graph", DATA, d -> !d.findElements(By.cssSelector("g.topo-node[data-node=orders]")).isEmpty()
        && !d.findElements(By.cssSelector("g.topo-node[data-node=shop]")).isEmpty());
    ui.screenshot("demo-topology");

    // traces of orders, one opened
    ui.open("/traces?service=orders");
    WebElement first = ui.waitFor(By.cssSelector("#traces tbody tr a"));
    first.click();
    ui.waitFor(By.id("waterfall"));
    assertThat(ui.browser.findElements(By.cssSelector("#waterfall > li")).size()).isGreaterThanOrEqualTo(2);
    ui.screenshot("demo-trace");

    // the rules the demo applied, and the gateway serving it
    ui.open("/rules");
    ui.waitForText(By.cssSelector("main"), "orders");
    ui.open("/data-plane");
    ui.waitForText(By.cssSelector("main"), "meridian-gateway");
    ui.assertCleanBrowserLog();
  }
}
