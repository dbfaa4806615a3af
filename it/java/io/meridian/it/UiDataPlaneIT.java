package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.meridian.it.xds.Echo;
import io.meridian.it.xds.XdsClientProcess;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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

/**
 * Verifies the data-plane page in real headless Chromium against the real jar: a real grpc-xds
 * client (its own JVM) that ACKed everything it was sent and a raw ADS stream that NACKed its
 * clusters both show with their state (the NACK's rejected version and message flagged, the
 * message — an {@code <img src=x onerror=alert(1)>} — as text); a client's config dump opens
 * with its resources per type and a working filter; the gateway is listed with its scope; the
 * list follows a client that disconnects without a reload.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UiDataPlaneIT {

  static final String XSS = "<img src=x onerror=alert(1)>";
  /** An Envoy-style node id: dots in it must not make the page's URL look like a file's. */
  static final String NACKING = "sidecar~127.0.0.9~nacking.default~svc.cluster.local";
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  private UiBrowser ui;
  private ManagedChannel channel;
  private StreamObserver<DiscoveryRequest> nackStream;
  private String rejectedVersion;

  @BeforeAll
  void start() throws Exception {
    ui = UiBrowser.start(null, Map.of());
    Echo echo = Echo.start("greeter-v1", 0, List.of("127.0.0.1"));
    ui.closeLater(echo::stop);
    HttpResponse<String> registered = ui.register("""
        {"id": "greeter-v1", "endpoints": [{"address": "127.0.0.1"}],
         "services": [{"name": "greeter", "version": "v1", "port": %d, "protocol": "grpc"}]}""".formatted(echo.port()));
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
    int xdsPort = ui.meridian.boundPort("xds", ui.admin);

    // a real proxyless client: it subscribes to greeter's listener, route, cluster and endpoints and ACKs them
    XdsClientProcess client = ui.closeLater(XdsClientProcess.start(XdsClientProcess.bootstrap(xdsPort, "ui-client-a",
        new JsonObject().put("tenant", "default").put("plane", "default").put("role", "proxyless")), ui.work));
    JsonObject calls = client.call("greeter", 5);
    assertThat(calls.getInteger("errors")).as(calls.encode()).isZero();

    // a raw ADS stream that rejects the clusters it is sent
    channel = NettyChannelBuilder.forAddress("127.0.0.1", xdsPort).usePlaintext().build();
    BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    nackStream = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryResponse value) {
        responses.add(value);
      }

      @Override
      public void onError(Throwable t) {
      }

      @Override
      public void onCompleted() {
      }
    });
    Node node = Node.newBuilder().setId(NACKING).setMetadata(Struct.newBuilder()
        .putFields("role", Value.newBuilder().setStringValue("sidecar").build())).build();
    nackStream.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
    DiscoveryResponse clusters = responses.poll(30, TimeUnit.SECONDS);
    assertThat(clusters).as("clusters sent to the raw stream").isNotNull();
    rejectedVersion = clusters.getVersionInfo();
    nackStream.onNext(DiscoveryRequest.newBuilder().setTypeUrl(CDS).setResponseNonce(clusters.getNonce())
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("cluster refused: " + XSS)).build());
  }

  @AfterAll
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (ui != null) {
      ui.close();
    }
  }

  @BeforeEach
  void freshTab() {
    ui.freshTab();
  }

  private WebElement typeState(String node, String type, String state) {
    return ui.waitFor(By.cssSelector("#xds-clients-table tr[data-node='" + node + "'] .xds-type[data-type=" + type
        + "][data-state=" + state + "]"));
  }

  @Test
  @Order(1)
  void theAckedAndTheNackedClientAndTheGatewayAreShown() throws Exception {
    ui.loginAsAdmin();
    ui.browser.findElement(By.linkText("Data plane")).click();
    ui.waitForText(By.cssSelector("main h1"), "Data plane");
    for (String type : List.of("lds", "rds", "cds", "eds")) {
      typeState("ui-client-a", type, "acked");
    }
    WebElement client = ui.browser.findElement(By.cssSelector("#xds-clients-table tr[data-node='ui-client-a']"));
    assertThat(client.getText()).contains("proxyless").contains("tenants default").contains("planes default")
        .contains("state of the world");

    WebElement nack = typeState(NACKING, "cds", "nack");
    assertThat(nack.findElement(By.cssSelector(".nack")).getText())
        .contains("Rejected version " + rejectedVersion.substring(0, 12)).contains("cluster refused: " + XSS);
    assertThat(nack.findElement(By.cssSelector(".badge")).getText()).isEqualTo("NACK");
    assertThat(ui.browser.findElement(By.cssSelector("tr[data-node='" + NACKING + "']")).getAttribute("class")).contains("has-nack");
    assertThat(ui.browser.findElements(By.cssSelector("main img"))).isEmpty();
    ui.assertNoAlert();

    WebElement gateway = ui.waitFor(By.cssSelector("#gateways-table tr[data-gateway='meridian-gateway']"));
    int gatewayPort = ui.meridian.boundPort("gateway", ui.admin);
    ui.until("the gateway's view count", d -> gateway.getText().contains("ready"));
    assertThat(gateway.getText()).contains("every tenant").contains("default").contains("127.0.0.1:" + gatewayPort);
    ui.screenshot("data-plane");
    ui.viewport(375, 800);
    assertThat(ui.browser.executeScript("return document.documentElement.scrollWidth <= innerWidth")).isEqualTo(true);
    ui.screenshot("data-plane");
    ui.viewport(1280, 800);
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(2)
  void aClientsConfigDumpOpensWithItsResourcesAndAFilter() throws Exception {
    ui.loginAsAdmin();
    ui.open("/data-plane");
    typeState("ui-client-a", "cds", "acked");
    ui.browser.findElement(By.linkText("ui-client-a")).click();
    ui.waitForText(By.cssSelector("main h1"), "xDS client ui-client-a");
    WebElement cds = ui.waitFor(By.id("dump-cds"));
    assertThat(cds.getAttribute("open")).isNotNull();
    assertThat(cds.findElement(By.cssSelector(".xds-type")).getAttribute("data-state")).isEqualTo("acked");
    assertThat(cds.findElement(By.cssSelector(".xds-type")).getText()).endsWith(" · 1 resource");
    assertThat(ui.browser.findElements(By.cssSelector("#config-dump details.dump-type")))
        .extracting(e -> e.getAttribute("id")).containsExactly("dump-cds", "dump-eds", "dump-lds", "dump-rds");
    WebElement cluster = cds.findElement(By.cssSelector("details.resource"));
    assertThat(cluster.getAttribute("data-resource")).contains("greeter.default.svc.cluster.local");
    cluster.findElement(By.tagName("summary")).click();
    JsonObject json = new JsonObject(cluster.findElement(By.tagName("pre")).getText());
    assertThat(json.getString("@type")).isEqualTo("type.googleapis.com/envoy.config.cluster.v3.Cluster");
    assertThat(json.getString("type")).isEqualTo("EDS");
    ui.screenshot("xds-client-dump");

    int all = ui.browser.findElements(By.cssSelector("#config-dump details.resource")).size();
    assertThat(all).isGreaterThanOrEqualTo(4);
    ui.browser.findElement(By.id("dump-filter")).sendKeys("ClusterLoadAssignment");
    ui.waitForText(By.id("dump-count"), "1 of " + all + " resources match");
    assertThat(ui.browser.findElements(By.cssSelector("#config-dump details.resource:not([hidden])")))
        .extracting(e -> e.getAttribute("data-resource")).containsExactly(cluster.getAttribute("data-resource"));
    ui.screenshot("xds-client-dump-filtered");
    ui.browser.findElement(By.id("dump-filter")).sendKeys("-nothing-like-this");
    ui.waitForText(By.id("dump-count"), "0 of " + all);
    ui.assertCleanBrowserLog();
  }

  @Test
  @Order(3)
  void aClientThatDisconnectsLeavesTheListWithoutReload() throws Exception {
    ui.loginAsAdmin();
    ui.open("/data-plane");
    typeState(NACKING, "cds", "nack");
    ui.browser.executeScript("window.__sameDocument = true");
    nackStream.onCompleted();
    ui.until("the closed stream gone from the list", d ->
        d.findElements(By.cssSelector("#xds-clients-table tr[data-node='" + NACKING + "']")).isEmpty());
    assertThat(ui.browser.findElements(By.cssSelector("#xds-clients-table tr[data-node='ui-client-a']"))).hasSize(1);
    assertThat(ui.browser.executeScript("return window.__sameDocument === true")).isEqualTo(true);
    ui.open("/data-plane/client?node=" + URLEncoder.encode(NACKING, StandardCharsets.UTF_8));
    ui.waitForText(By.cssSelector("#config-dump .error"), "No xDS client with node id " + NACKING + " is connected");
    ui.assertCleanBrowserLog();
  }
}
