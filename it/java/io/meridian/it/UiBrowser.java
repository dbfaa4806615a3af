package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The real jar and a real headless Chromium (Debian {@code chromium} and {@code chromedriver})
 * looking at its web UI: what every UI integration test starts, with the waits, the log checks
 * and the screenshots ({@code target/ui-screenshots/}) they share. Always {@link #close()}d.
 */
final class UiBrowser implements AutoCloseable {

  static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");
  static final Duration WAIT = Duration.ofSeconds(15);

  final MeridianProcess meridian;
  final ChromeDriver browser;
  final String admin;
  final String base;
  final Path work;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private UiBrowser(Path work, MeridianProcess meridian, ChromeDriver browser, String admin, String base) {
    this.work = work;
    this.meridian = meridian;
    this.browser = browser;
    this.admin = admin;
    this.base = base;
  }

  /**
   * Starts Meridian (every role, loopback, scrapes every second) with {@code confYaml} as its
   * {@code --conf} file (null for none) and {@code env} added, then Chromium at 1280×800.
   */
  static UiBrowser start(String confYaml, Map<String, String> env, String... args) throws Exception {
    Path work = Files.createTempDirectory("meridian-ui-it");
    Files.createDirectories(SCREENSHOTS);
    List<String> arguments = new ArrayList<>(List.of(args));
    if (confYaml != null) {
      Path conf = work.resolve("meridian.yaml");
      Files.writeString(conf, confYaml);
      arguments.add("--conf");
      arguments.add(conf.toString());
    }
    int port = MeridianProcess.freePort();
    Map<String, String> environment = new HashMap<>(MeridianProcess.loopbackEnv(port, work.resolve("data")));
    environment.put("MERIDIAN_TELEMETRY_SCRAPE_INTERVAL", "1s");
    environment.putAll(env);
    MeridianProcess meridian = MeridianProcess.start(work, environment, port, arguments.toArray(String[]::new));
    ChromeDriver browser = null;
    try {
      meridian.awaitReady(Duration.ofSeconds(60));
      String admin = environment.containsKey("MERIDIAN_ADMIN_TOKEN") ? environment.get("MERIDIAN_ADMIN_TOKEN")
          : MeridianProcess.adminToken(work.resolve("data"));
      browser = chromium(work);
      return new UiBrowser(work, meridian, browser, admin, "http://127.0.0.1:" + port);
    } catch (Exception | Error e) {
      if (browser != null) {
        browser.quit();
      }
      meridian.close();
      throw e;
    }
  }

  private static ChromeDriver chromium(Path work) throws Exception {
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--user-data-dir=" + Files.createTempDirectory(work, "chromium"), "--window-size=1280,800");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new Dimension(1280, 800));
    return driver;
  }

  /** Closed with this (backends the test started), last added first. */
  <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  @Override
  public void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        System.out.println("UiBrowser: closing " + closeables.get(i) + " failed: " + e);
      }
    }
    try {
      browser.quit();
    } finally {
      meridian.close();
    }
  }

  // ---- the browser ------------------------------------------------------------------------

  /**
   * A logged-out tab at 1280×800 on the login page, with the browser log emptied. The session is
   * cleared from a document that runs no app code: on an app page, a start-up still checking the
   * old token (whoami in flight) saves it again after the clear, and the tab stays logged in.
   */
  void freshTab() {
    viewport(1280, 800);
    browser.get(base + "/favicon.svg");
    browser.executeScript("sessionStorage.clear()");
    browser.get(base + "/");
    waitFor(By.id("token"));
    browserLog();
  }

  /** Types the token into the login form and submits it. */
  void login(String token) {
    WebElement input = waitFor(By.id("token"));
    input.clear();
    input.sendKeys(token);
    browser.findElement(By.id("login")).click();
  }

  /** Logs in with the admin token and waits for the overview. */
  void loginAsAdmin() {
    login(admin);
    waitForText(By.cssSelector("main h1"), "Overview");
  }

  /** Loads an in-app path as a new document (the session survives: sessionStorage). */
  void open(String path) {
    browser.get(base + path);
  }

  WebElement waitFor(By by) {
    return until("waiting for " + by, ExpectedConditions.visibilityOfElementLocated(by));
  }

  WebElement waitForText(By by, String text) {
    until("waiting for '" + text + "' in " + by, ExpectedConditions.textToBePresentInElementLocated(by, text));
    return browser.findElement(by);
  }

  /** Waits up to 15 s for the condition; on timeout prints the page and saves a screenshot. */
  <T> T until(String what, Function<? super WebDriver, T> condition) {
    return until(what, WAIT, condition);
  }

  <T> T until(String what, Duration timeout, Function<? super WebDriver, T> condition) {
    try {
      return new WebDriverWait(browser, timeout).until(condition);
    } catch (org.openqa.selenium.TimeoutException e) {
      dumpPage(what);
      throw e;
    }
  }

  /** Prints what the browser shows (URL, main text, log) and saves a screenshot named failed-…. */
  void dumpPage(String why) {
    try {
      System.out.println("UiBrowser: " + why + " at " + browser.getCurrentUrl() + "; main: "
          + browser.findElement(By.id("main")).getText());
      browserLog().forEach(entry -> System.out.println("UiBrowser browser log: " + entry));
      screenshot("failed-" + System.currentTimeMillis());
    } catch (Exception e) {
      System.out.println("UiBrowser: could not dump the page: " + e);
    }
  }

  void assertNoAlert() {
    try {
      browser.switchTo().alert();
      throw new AssertionError("an alert opened: markup from the server was executed");
    } catch (NoAlertPresentException expected) {
      // rendered as text
    }
  }

  /** The browser's log since the last call. */
  List<LogEntry> browserLog() {
    return new ArrayList<>(browser.manage().logs().get(LogType.BROWSER).getAll());
  }

  /**
   * No CSP violation and no script error since the last look at the log; failed requests (a 401
   * of a wrong token, a 400 the page shows) are expected noise.
   */
  void assertCleanBrowserLog() {
    for (LogEntry entry : browserLog()) {
      String message = entry.getMessage();
      assertThat(message).as("browser log").doesNotContain("Content Security Policy").doesNotContain("Refused to");
      if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
        assertThat(message).as("browser error").contains("Failed to load resource");
      }
    }
  }

  /** Sets the page's viewport (what CSS media queries and screenshots see) to width × height. */
  void viewport(int width, int height) {
    browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
  }

  /** Saves target/ui-screenshots/NAME-WxH.png. */
  void screenshot(String name) throws Exception {
    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Map<?, ?> size = (Map<?, ?>) browser.executeScript("return {w: innerWidth, h: innerHeight}");
    Files.copy(shot, SCREENSHOTS.resolve(name + "-" + size.get("w") + "x" + size.get("h") + ".png"),
        StandardCopyOption.REPLACE_EXISTING);
  }

  // ---- the API ----------------------------------------------------------------------------

  /** POST /api/v1/instances as admin. */
  HttpResponse<String> register(String json) throws Exception {
    return meridian.send("POST", "/api/v1/instances", admin, json);
  }

  /** POST /api/v1/rules/apply with a YAML body (one or more documents) as admin. */
  HttpResponse<String> applyRules(String yaml) throws Exception {
    return RulesIT.yaml(meridian, "POST", "/api/v1/rules/apply", admin, yaml);
  }
}
