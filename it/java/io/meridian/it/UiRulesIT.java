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
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * Verifies the traffic rules pages in real headless Chromium against the real jar: the list
 * (filters kept in the URL, a rule applied through the API appearing without a reload), the
 * YAML editor (a validation error shown at its line in the gutter and in the list under the
 * editor, the caret moved there, the text kept on failure, apply and its outcome, a stale write
 * refused as a conflict, a new rule created and deleted), the history (a line diff between
 * revisions, rollback, checked through the API), a viewer's read-only view, markup in rules
 * shown as text, the line diff module itself, and the phone width. Screenshots go to
 * {@code target/ui-screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiRulesIT {

  static final String XSS = "<img src=x onerror=alert(1)>";
  static final By EDITOR = By.id("rule-yaml");
  static final String REVIEWS = "/rules/VirtualService/default/reviews";

  private UiBrowser ui;

  @BeforeAll
  void start() throws Exception {
    ui = UiBrowser.start(null, Map.of());
    for (String[] instance : List.of(new String[] {"reviews-v1", "default", "reviews", "v1"},
        new String[] {"reviews-v2", "default", "reviews", "v2"}, new String[] {"ratings-v1", "shop", "ratings", "v1"})) {
      assertThat(ui.register("""
          {"id": "%s", "tenant": "%s", "endpoints": [{"plane": "default", "address": "10.0.0.1"}],
           "services": [{"name": "%s", "version": "%s", "port": 9080, "protocol": "http"}]}"""
          .formatted((Object[]) instance)).statusCode()).isEqualTo(201);
    }
    assertThat(ui.applyRules("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          annotations: {note: "%1$s"}
        spec:
          hosts: [reviews]
          http:
          - match:
            - headers:
                end-user: {exact: "%1$s"}
            route:
            - destination: {host: reviews, subset: v2}
          - route:
            - destination: {host: reviews, subset: v1}
              weight: 90
            - destination: {host: reviews, subset: v2}
              weight: 10
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ratings, namespace: shop}
        spec:
          host: ratings
          subsets:
          - {name: v1, labels: {version: v1}}
        """.formatted(XSS)).statusCode()).isEqualTo(200);
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
  void theListShowsEveryRuleFiltersInTheUrlAndARuleAppliedThroughTheApiAppearsWithoutReload() throws Exception {
    ui.loginAsAdmin();
    ui.browser.findElement(By.linkText("Traffic rules")).click();
    ui.waitForText(By.cssSelector("main h1 .live"), "live");
    WebElement vs = ui.waitFor(By.cssSelector("#rules tr[data-kind=VirtualService][data-namespace=default][data-name=reviews]"));
    assertThat(vs.getText()).contains("reviews").contains("VirtualService").contains("default")
        .contains("resourceVersion 2").contains("revision 1").contains("admin");
    assertThat(ui.browser.findElement(By.id("rules-count")).getText()).isEqualTo("3 rules of 3");
    assertThat(ui.browser.findElement(By.id("new-rule")).getAttribute("href")).endsWith("/rules/new");
    assertThat(ui.browser.findElement(By.id("rule-forms")).getAttribute("href")).endsWith("/rules/wizards");

    new Select(ui.browser.findElement(By.id("rule-kind"))).selectByVisibleText("DestinationRule");
    ui.waitForText(By.id("rules-count"), "2 rules of 3");
    new Select(ui.browser.findElement(By.id("rule-namespace"))).selectByVisibleText("shop");
    ui.waitForText(By.id("rules-count"), "1 rule of 3");
    assertThat(ui.browser.getCurrentUrl()).endsWith("/rules?kind=DestinationRule&namespace=shop");
    // the filters survive a reload (they are in the URL)
    ui.browser.navigate().refresh();
    ui.waitForText(By.id("rules-count"), "1 rule of 3");
    assertThat(ui.browser.findElement(By.cssSelector("#rules tbody tr")).getAttribute("data-name")).isEqualTo("ratings");
    new Select(ui.browser.findElement(By.id("rule-kind"))).selectByVisibleText("All kinds");
    new Select(ui.browser.findElement(By.id("rule-namespace"))).selectByVisibleText("All namespaces");
    ui.waitForText(By.id("rules-count"), "3 rules of 3");
    ui.waitForText(By.cssSelector("main h1 .live"), "live");

    // a rule applied through the API shows up in the same document
    ui.browser.executeScript("window.__sameDocument = true");
    assertThat(ui.applyRules("""
        apiVersion: meridian.io/v1
        kind: RateLimitPolicy
        metadata: {name: reviews-rl, namespace: default}
        spec: {targetRef: {service: reviews}, key: client-ip, rate: 10, burst: 10, scope: local}
        """).statusCode()).isEqualTo(200);
    WebElement rl = ui.waitFor(By.cssSelector("#rules tr[data-kind=RateLimitPolicy][data-name=reviews-rl]"));
    assertThat(rl.getAttribute("class")).contains("changed");
    ui.waitForText(By.id("rules-count"), "4 rules of 4 · 1 changed since you opened this page");
    assertThat(ui.browser.executeScript("return window.__sameDocument === true")).isEqualTo(true);
    assertThat(ui.browser.findElements(By.cssSelector("main img"))).isEmpty();
    ui.screenshot("rules");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(2)
  void aValidationErrorShowsAtItsLineTheTextIsKeptAndTheFixIsApplied() throws Exception {
    ui.loginAsAdmin();
    ui.browser.findElement(By.linkText("Traffic rules")).click();
    ui.waitFor(By.cssSelector("#rules tr[data-kind=VirtualService][data-name=reviews] a")).click();
    ui.waitForText(By.cssSelector("main h1"), "reviews");
    assertThat(ui.browser.getCurrentUrl()).endsWith(REVIEWS);
    awaitEditorContains("weight: 90");
    ui.waitForText(By.id("rule-meta"), "revision 1");
    assertThat(ui.browser.findElement(By.cssSelector("label[for=rule-yaml]")).getText()).isEqualTo("reviews (YAML)");
    // the markup in the rule is the textarea's text, never markup
    assertThat(editorText()).contains("note: \"" + XSS + "\"").contains("exact: \"" + XSS + "\"")
        .contains("resourceVersion: \"2\"");
    assertThat(ui.browser.findElements(By.cssSelector("main img"))).isEmpty();

    // break it: a weight of 150 (out of range) also makes the weights sum to 160
    edit("weight: 90", "weight: 150");
    String broken = editorText();
    int weightLine = lineOf(broken, "weight: 150");
    int sumLine = lineOf(broken, "weight: 10");
    ui.browser.findElement(By.id("rule-validate")).click();
    WebElement issue = ui.waitFor(By.cssSelector("#rule-issues li.error button[data-line='" + weightLine + "']"));
    assertThat(issue.getText()).isEqualTo("line " + weightLine + ": spec.http[1].route[0].weight: must be between 0 and 100 (got 150)");
    assertThat(ui.browser.findElement(By.cssSelector("#rule-issues li.error button[data-line='" + sumLine + "']")).getText())
        .isEqualTo("line " + sumLine + ": spec.http[1].route[1].weight: weights must sum to 100 (they sum to 160)");
    List<String> marked = ui.browser.findElements(By.cssSelector(".code-editor .gutter .ln.error")).stream()
        .map(e -> e.getAttribute("data-line")).toList();
    assertThat(marked).containsExactly(String.valueOf(weightLine), String.valueOf(sumLine));
    assertThat(ui.browser.findElement(By.cssSelector(".gutter .ln.error")).getAttribute("textContent")).isEqualTo(String.valueOf(weightLine));
    // the editor scrolled to the first error: its gutter number is in view
    assertThat(ui.browser.findElement(By.cssSelector(".gutter .ln.error")).getText()).endsWith(String.valueOf(weightLine));
    assertThat(ui.browser.findElement(By.cssSelector("#rule-outcome [role=alert]")).getText()).startsWith("Not valid:");
    assertThat(ui.browser.findElement(EDITOR).getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(editorText()).isEqualTo(broken); // the user's text is kept
    scrollTo("rule-issues");
    ui.screenshot("rule-errors");

    // clicking the message puts the caret on that line, in the editor
    issue.click();
    assertThat(ui.browser.executeScript("return document.activeElement.id")).isEqualTo("rule-yaml");
    assertThat(((Number) ui.browser.executeScript(
        "const t = document.activeElement; return t.value.slice(0, t.selectionStart).split('\\n').length")).intValue())
        .isEqualTo(weightLine);

    // Apply is refused the same way and loses nothing
    ui.browser.findElement(By.id("rule-apply")).click();
    ui.waitForText(By.cssSelector("#rule-outcome [role=alert]"), "Not applied:");
    assertThat(editorText()).isEqualTo(broken);

    // fix it: 80/20, validate (no error), then apply
    edit("weight: 150", "weight: 80");
    edit("weight: 10", "weight: 20");
    ui.browser.findElement(By.id("rule-validate")).click();
    ui.waitForText(By.id("rule-outcome"), "Valid.");
    assertThat(ui.browser.findElement(By.id("rule-outcome")).getText()).contains("VirtualService default/reviews: would be updated");
    assertThat(ui.browser.findElements(By.cssSelector(".gutter .ln.error"))).isEmpty();
    ui.browser.findElement(By.id("rule-apply")).click();
    ui.waitForText(By.id("rule-outcome"), "Applied.");
    assertThat(ui.browser.findElement(By.id("rule-outcome")).getText())
        .containsPattern("VirtualService default/reviews: updated \\(resourceVersion \\d+, revision 2\\)");
    ui.waitForText(By.id("rule-meta"), "revision 2");
    awaitEditorContains("weight: 80");
    JsonObject stored = rule("VirtualService", "default", "reviews");
    assertThat(editorText()).contains("resourceVersion: \"" + stored.getJsonObject("metadata").getString("resourceVersion") + "\"");
    assertThat(weights(stored)).isEqualTo(List.of(80, 20));
    assertThat(stored.getJsonObject("status").getLong("revision")).isEqualTo(2L);
    ui.screenshot("rule-applied");

    // the list shows the new revision
    ui.browser.findElement(By.cssSelector(".crumbs a")).click();
    assertThat(ui.waitFor(By.cssSelector("#rules tr[data-kind=VirtualService][data-name=reviews]")).getText()).contains("revision 2");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(3)
  void theHistoryDiffsRevisionsAndRollsBack() throws Exception {
    ui.loginAsAdmin();
    ui.open(REVIEWS);
    ui.waitFor(By.cssSelector("#history tr[data-revision='2']"));
    assertThat(ui.browser.findElement(By.cssSelector("#history tr[data-revision='2']")).getText())
        .contains("2").contains("current").contains("admin").contains("updated");
    assertThat(ui.browser.findElement(By.cssSelector("#history tr[data-revision='1']")).getText()).contains("created");
    assertThat(ui.browser.findElements(By.cssSelector("#history tr[data-revision='2'] button"))).isEmpty();

    // one revision against the current one
    ui.browser.findElement(By.id("compare-1")).click();
    ui.waitForText(By.id("rule-diff-title"), "Revision 1 → current (revision 2)");
    assertThat(ui.browser.findElement(By.id("rule-diff-title")).getText()).contains("+2 −2 lines");
    assertThat(texts("#rule-diff tr.del")).containsExactly("weight: 90", "weight: 10");
    assertThat(texts("#rule-diff tr.add")).containsExactly("weight: 80", "weight: 20");
    // unchanged lines beyond three of context fold into one row
    WebElement gap = ui.browser.findElement(By.cssSelector("#rule-diff tr.gap"));
    assertThat(gap.isDisplayed()).isTrue();
    assertThat(gap.getText()).matches("… \\d+ unchanged lines");
    scrollTo("h-history");
    ui.screenshot("rule-history");

    // roll back to revision 1 (after a confirmation): the editor, the history and the store agree
    ui.browser.findElement(By.cssSelector("#history button[data-rollback='1']")).click();
    ui.until("the confirmation", ExpectedConditions.alertIsPresent()).accept();
    ui.waitForText(By.id("rollback-done"), "Rolled back to revision 1: now revision 3");
    awaitEditorContains("weight: 90");
    ui.waitFor(By.cssSelector("#history tr[data-revision='3']"));
    assertThat(ui.browser.findElement(By.cssSelector("#history tr[data-revision='3']")).getText()).contains("rolledback").contains("current");
    ui.waitForText(By.id("rule-meta"), "revision 3");
    JsonObject stored = rule("VirtualService", "default", "reviews");
    assertThat(weights(stored)).isEqualTo(List.of(90, 10));
    assertThat(stored.getJsonObject("status").getLong("revision")).isEqualTo(3L);

    // two revisions: 2 → 3 undoes the change
    ui.browser.findElement(By.id("compare-2")).click();
    ui.browser.findElement(By.id("compare-3")).click(); // a third choice drops the oldest (1)
    ui.waitForText(By.id("rule-diff-title"), "Revision 2 → revision 3");
    assertThat(texts("#rule-diff tr.del")).containsExactly("weight: 80", "weight: 20");
    assertThat(texts("#rule-diff tr.add")).containsExactly("weight: 90", "weight: 10");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(4)
  void aChangeElsewhereKeepsTheEditsAndAStaleApplyIsAConflict() throws Exception {
    ui.loginAsAdmin();
    ui.open(REVIEWS);
    awaitEditorContains("weight: 90");
    ui.waitForText(By.cssSelector("main h1 .live"), "live");
    edit("weight: 90", "weight: 70");
    edit("weight: 10", "weight: 30");
    String mine = editorText();

    // someone else changes the rule meanwhile (a markup string in the header match goes away)
    JsonObject stored = rule("VirtualService", "default", "reviews");
    JsonObject document = stored.copy();
    document.remove("status");
    document.getJsonObject("metadata").remove("resourceVersion");
    document.getJsonObject("spec").getJsonArray("http").getJsonObject(0).getJsonArray("match").getJsonObject(0)
        .getJsonObject("headers").getJsonObject("end-user").put("exact", "jason");
    assertThat(ui.meridian.send("PUT", "/api/v1/rules/VirtualService/default/reviews", ui.admin, document.encode()).statusCode())
        .isEqualTo(200);
    ui.waitForText(By.id("rule-notice"), "changed on the server (by admin) while you were editing");
    assertThat(editorText()).isEqualTo(mine);

    ui.browser.findElement(By.id("rule-apply")).click();
    ui.waitForText(By.cssSelector("#rule-outcome [role=alert]"), "Conflict:");
    assertThat(ui.browser.findElement(By.cssSelector("#rule-outcome [role=alert]")).getText()).contains("is stale");
    assertThat(editorText()).isEqualTo(mine);
    assertThat(weights(rule("VirtualService", "default", "reviews"))).isEqualTo(List.of(90, 10));
    // what differs between the stored rule and the text
    ui.browser.findElement(By.id("rule-show-changes")).click();
    ui.waitFor(By.cssSelector("#conflict-diff tr.add"));
    assertThat(texts("#conflict-diff tr.del")).contains("exact: jason", "weight: 90", "weight: 10");
    assertThat(texts("#conflict-diff tr.add")).contains("exact: \"" + XSS + "\"", "weight: 70", "weight: 30");
    scrollTo("rule-outcome");
    ui.screenshot("rule-conflict");

    ui.browser.findElement(By.id("rule-load-current")).click();
    ui.until("the confirmation", ExpectedConditions.alertIsPresent()).accept();
    awaitEditorContains("exact: jason");
    assertThat(editorText()).contains("weight: 90");

    // the markup that left the rule shows in the diff as text
    ui.waitFor(By.cssSelector("#history tr[data-revision='4']"));
    ui.browser.findElement(By.id("compare-3")).click();
    ui.waitForText(By.id("rule-diff-title"), "Revision 3 → current (revision 4)");
    assertThat(texts("#rule-diff tr.del")).containsExactly("exact: \"" + XSS + "\"");
    assertThat(texts("#rule-diff tr.add")).containsExactly("exact: jason");
    assertThat(ui.browser.findElements(By.cssSelector("img"))).isEmpty();
    ui.assertNoAlert();
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(5)
  void aNewRuleIsValidatedCreatedAndDeleted() throws Exception {
    ui.loginAsAdmin();
    ui.browser.findElement(By.linkText("Traffic rules")).click();
    ui.waitFor(By.id("new-rule")).click();
    ui.waitForText(By.cssSelector("main h1"), "New rule");
    awaitEditorContains("kind: VirtualService");
    new Select(ui.browser.findElement(By.id("rule-template"))).selectByVisibleText("DestinationRule");
    awaitEditorContains("kind: DestinationRule");

    // Tab inserts two spaces (and Escape, Tab leaves the editor)
    WebElement editor = ui.browser.findElement(EDITOR);
    ui.browser.executeScript("arguments[0].focus(); arguments[0].setSelectionRange(0, 0)", editor);
    editor.sendKeys(Keys.TAB);
    assertThat(editorText()).startsWith("  apiVersion:");
    editor.sendKeys(Keys.ESCAPE, Keys.TAB);
    assertThat(ui.browser.executeScript("return document.activeElement.id")).isNotEqualTo("rule-yaml");

    // a typo'd field, and markup as a field name: both named in the messages, as text
    setEditor("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews-canary
          namespace: default
        spec:
          hots: reviews
          %s: 1
        """.formatted(XSS));
    ui.browser.findElement(By.id("rule-validate")).click();
    WebElement typo = ui.waitFor(By.cssSelector("#rule-issues li.error button[data-line='7']"));
    assertThat(typo.getText()).startsWith("line 7: spec.hots: unknown field (known here:");
    assertThat(ui.browser.findElement(By.cssSelector("#rule-issues li.error button[data-line='8']")).getText())
        .startsWith("line 8: spec." + XSS + ": unknown field");
    assertThat(ui.browser.findElements(By.cssSelector(".gutter .ln.error[data-line='7']"))).hasSize(1);
    assertThat(ui.browser.findElements(By.cssSelector("img"))).isEmpty();
    ui.assertNoAlert();
    ui.screenshot("rule-new-errors");

    // a YAML syntax error has a line too
    setEditor("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nspec:\n  host: [reviews\n");
    ui.browser.findElement(By.id("rule-validate")).click();
    ui.waitForText(By.cssSelector("#rule-outcome [role=alert]"), "invalid YAML");
    assertThat(ui.browser.findElements(By.cssSelector(".gutter .ln.error"))).hasSize(1);

    setEditor("""
        apiVersion: meridian.io/v1
        kind: CircuitBreakerPolicy
        metadata:
          name: reviews-canary
          namespace: default
        spec:
          targetRef: {service: reviews}
          consecutiveFailures: 5
        """);
    ui.browser.findElement(By.id("rule-apply")).click();
    ui.waitForText(By.cssSelector("main h1"), "reviews-canary");
    assertThat(ui.browser.getCurrentUrl()).endsWith("/rules/CircuitBreakerPolicy/default/reviews-canary");
    awaitEditorContains("consecutiveFailures: 5");
    ui.waitFor(By.cssSelector("#history tr[data-revision='1']"));
    assertThat(ui.meridian.get("/api/v1/rules/CircuitBreakerPolicy/default/reviews-canary", ui.admin).statusCode()).isEqualTo(200);

    ui.browser.findElement(By.id("rule-delete")).click();
    ui.until("the confirmation", ExpectedConditions.alertIsPresent()).accept();
    ui.waitForText(By.cssSelector("main h1"), "Traffic rules");
    assertThat(ui.meridian.get("/api/v1/rules/CircuitBreakerPolicy/default/reviews-canary", ui.admin).statusCode()).isEqualTo(404);
    ui.until("the deleted rule to leave the list", d ->
        d.findElements(By.cssSelector("#rules tr[data-name=reviews-canary]")).isEmpty()
            && !d.findElements(By.cssSelector("#rules tr[data-name=reviews]")).isEmpty());
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(6)
  void aViewerSeesTheRulesReadOnly() throws Exception {
    HttpResponse<String> created = ui.meridian.send("POST", "/api/v1/tokens", ui.admin, "{\"name\":\"rules-viewer\",\"role\":\"viewer\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    ui.login(new JsonObject(created.body()).getString("token"));
    ui.waitForText(By.cssSelector("main h1"), "Overview");
    ui.browser.findElement(By.linkText("Traffic rules")).click();
    ui.waitFor(By.cssSelector("#rules tr[data-kind=VirtualService][data-name=reviews]"));
    assertThat(ui.browser.findElements(By.id("new-rule"))).isEmpty();
    assertThat(ui.browser.findElements(By.id("rule-forms"))).isEmpty();
    ui.browser.findElement(By.cssSelector("#rules tr[data-kind=VirtualService][data-name=reviews] a")).click();
    awaitEditorContains("kind: VirtualService");
    ui.waitFor(By.cssSelector("#history tr[data-revision='1']"));
    WebElement editor = ui.browser.findElement(EDITOR);
    assertThat(editor.getAttribute("readonly")).isNotNull();
    String before = editorText();
    try {
      editor.sendKeys("typed by a viewer");
    } catch (org.openqa.selenium.InvalidElementStateException refused) {
      // chromedriver may refuse to type into a read-only field at all: just as good
    }
    assertThat(editorText()).isEqualTo(before);
    assertThat(ui.browser.findElement(By.id("rule-readonly")).getText()).contains("Read only").contains("viewer");
    for (String id : List.of("rule-validate", "rule-apply", "rule-delete")) {
      assertThat(ui.browser.findElements(By.id(id))).as(id).isEmpty();
    }
    assertThat(ui.browser.findElements(By.cssSelector("#history button"))).isEmpty();
    // comparing is reading: allowed
    ui.browser.findElement(By.id("compare-1")).click();
    ui.waitFor(By.id("rule-diff"));
    ui.browser.executeScript("window.scrollTo(0, 0)");
    ui.screenshot("rule-viewer");
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(7)
  void theLineDiffIsMinimalAndKeepsBothSides() throws Exception {
    ui.loginAsAdmin();
    Object result = ((JavascriptExecutor) ui.browser).executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        Promise.all([import('/line-diff.js'), import('/yaml-text.js')]).then(([d, y]) => {
          const out = {};
          const diff = d.diffLines('a\\nb\\nc\\nd\\ne\\n', 'a\\nc\\nd\\nx\\ne\\ny\\n');
          out.ops = diff.map((l) => `${l.type}:${l.text}:${l.oldLine ?? '-'}:${l.newLine ?? '-'}`).join(' ');
          out.stats = d.diffStats(diff);
          out.empty = d.diffLines('', '').length;
          out.context = d.withContext(d.diffLines(Array.from({length: 20}, (_, i) => 'l' + i),
              Array.from({length: 20}, (_, i) => (i === 10 ? 'X' : 'l' + i))), 2).map((l) => l.type + (l.count ?? '')).join(',');
          let broken = 0;
          for (let t = 0; t < 500; t++) {
            const r = () => Array.from({length: (t * 7 + 3) % 13}, (_, i) => 'abc'[(t * i + i * i) % 3]);
            const a = r(), b = r().reverse();
            const res = d.diffLines(a, b);
            if (res.filter((l) => l.type !== 'add').map((l) => l.text).join() !== a.join()
                || res.filter((l) => l.type !== 'del').map((l) => l.text).join() !== b.join()) broken++;
          }
          out.broken = broken;
          out.yaml = y.toYaml({a: 'yes', b: '10', c: '1.5s', d: '<x>', e: [], f: {g: [1, {h: null}]}});
          done(out);
        }).catch((e) => done({error: String(e)}));
        """);
    @SuppressWarnings("unchecked")
    Map<String, Object> out = (Map<String, Object>) result;
    assertThat(out).doesNotContainKey("error");
    assertThat(out.get("ops")).isEqualTo("same:a:1:1 del:b:2:- same:c:3:2 same:d:4:3 add:x:-:4 same:e:5:5 add:y:-:6");
    assertThat(out.get("stats")).isEqualTo(Map.of("added", 2L, "deleted", 1L));
    assertThat(out.get("empty")).isEqualTo(0L);
    assertThat(out.get("context")).isEqualTo("skip8,same,same,del,add,same,same,skip7");
    assertThat(out.get("broken")).isEqualTo(0L);
    assertThat(out.get("yaml")).isEqualTo("""
        a: "yes"
        b: "10"
        c: 1.5s
        d: "<x>"
        e: []
        f:
          g:
          - 1
          - h: null
        """);
  }

  @Test
  @Order(8)
  void atPhoneWidthTheEditorFitsTheScreen() throws Exception {
    ui.loginAsAdmin();
    ui.viewport(375, 800);
    ui.open("/rules");
    ui.waitFor(By.cssSelector("#rules tr[data-name=reviews]"));
    assertThat((Long) ui.browser.executeScript("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(375L);
    ui.screenshot("rules-375");
    ui.open(REVIEWS);
    awaitEditorContains("kind: VirtualService");
    ui.waitFor(By.cssSelector("#history tr[data-revision='1']"));
    assertThat((Long) ui.browser.executeScript("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(375L);
    ui.screenshot("rule-375");
    ui.assertCleanBrowserLog();
  }

  // ---------------------------------------------------------------------------------------

  private String editorText() {
    return (String) ui.browser.executeScript("const t = document.getElementById('rule-yaml'); return t ? t.value : ''");
  }

  /** Scrolls the page so that the element with this id is at the top (for the screenshot). */
  private void scrollTo(String id) {
    ui.browser.executeScript("document.getElementById(arguments[0]).scrollIntoView({block: 'start'})", id);
  }

  private void awaitEditorContains(String text) {
    ui.until("the editor to hold '" + text + "'", d -> editorText().contains(text));
  }

  /** Replaces the editor's text as typing would (an input event). */
  private void setEditor(String text) {
    ui.browser.executeScript("const t = document.getElementById('rule-yaml'); t.value = arguments[0];"
        + "t.dispatchEvent(new Event('input', {bubbles: true}))", text);
  }

  private void edit(String from, String to) {
    String text = editorText();
    assertThat(text).contains(from);
    setEditor(text.replace(from, to));
  }

  private static int lineOf(String text, String fragment) {
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(fragment)) {
        return i + 1;
      }
    }
    throw new AssertionError(fragment + " not in " + text);
  }

  private List<String> texts(String css) {
    return ui.browser.findElements(By.cssSelector(css + " code")).stream().map(e -> e.getText().trim()).toList();
  }

  private JsonObject rule(String kind, String namespace, String name) throws Exception {
    HttpResponse<String> answer = ui.meridian.get("/api/v1/rules/" + kind + "/" + namespace + "/" + name, ui.admin);
    assertThat(answer.statusCode()).isEqualTo(200);
    return new JsonObject(answer.body());
  }

  private static List<Integer> weights(JsonObject virtualService) {
    JsonArray route = virtualService.getJsonObject("spec").getJsonArray("http").getJsonObject(1).getJsonArray("route");
    return route.stream().map(r -> ((JsonObject) r).getInteger("weight")).toList();
  }
}
