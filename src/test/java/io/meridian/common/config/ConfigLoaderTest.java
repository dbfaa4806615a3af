package io.meridian.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.json.Yaml;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  private Path file(String yaml) throws Exception {
    Path f = dir.resolve("meridian.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void defaultsMatchTheArchitectureContract() {
    MeridianConfig c = MeridianConfig.defaults();
    assertThat(c.admin().listener().port()).isEqualTo(8080);
    assertThat(c.consul().port()).isEqualTo(8500);
    assertThat(c.xds().listener().port()).isEqualTo(15010);
    assertThat(c.gateway().listener().port()).isEqualTo(9080);
    assertThat(c.telemetry().zipkin().port()).isEqualTo(9411);
    assertThat(c.data().dir()).isEqualTo("data");
    assertThat(c.admin().token()).isNull();
    assertThat(c.cluster().members()).containsExactly("127.0.0.1");
    assertThat(c.cluster().name()).isEqualTo("meridian");
    assertThat(c.roles()).containsExactlyElementsOf(RoleNames.ALL);
  }

  @Test
  void contractEnvironmentVariableNamesMapToTheirKeys() {
    Map<String, String> expected = Map.of(
        "admin.port", "MERIDIAN_ADMIN_PORT",
        "consul.port", "MERIDIAN_CONSUL_PORT",
        "xds.port", "MERIDIAN_XDS_PORT",
        "gateway.port", "MERIDIAN_GATEWAY_PORT",
        "telemetry.zipkin.port", "MERIDIAN_TELEMETRY_ZIPKIN_PORT",
        "data.dir", "MERIDIAN_DATA_DIR",
        "admin.token", "MERIDIAN_ADMIN_TOKEN",
        "cluster.members", "MERIDIAN_CLUSTER_MEMBERS",
        "cluster.name", "MERIDIAN_CLUSTER_NAME");
    Map<String, String> leaves = ConfigLoader.leafPaths();
    expected.forEach((key, env) -> {
      assertThat(leaves).containsKey(key);
      assertThat(ConfigLoader.envName(key)).isEqualTo(env);
    });
    Map<String, String> env = Map.of(
        "MERIDIAN_ADMIN_PORT", "1001", "MERIDIAN_CONSUL_PORT", "1002", "MERIDIAN_XDS_PORT", "1003",
        "MERIDIAN_GATEWAY_PORT", "1004", "MERIDIAN_TELEMETRY_ZIPKIN_PORT", "1005", "MERIDIAN_DATA_DIR", "/var/lib/m",
        "MERIDIAN_ADMIN_TOKEN", "0123456789abcdef-token", "MERIDIAN_CLUSTER_MEMBERS", "10.0.0.1,10.0.0.2:5702",
        "MERIDIAN_CLUSTER_NAME", "prod");
    MeridianConfig c = ConfigLoader.load(null, env, List.of()).config();
    assertThat(List.of(c.admin().listener().port(), c.consul().port(), c.xds().listener().port(), c.gateway().listener().port(),
        c.telemetry().zipkin().port())).containsExactly(1001, 1002, 1003, 1004, 1005);
    assertThat(c.data().dir()).isEqualTo("/var/lib/m");
    assertThat(c.admin().token()).isEqualTo("0123456789abcdef-token");
    assertThat(c.cluster().members()).containsExactly("10.0.0.1", "10.0.0.2:5702");
    assertThat(c.cluster().name()).isEqualTo("prod");
  }

  @Test
  void aThreeLineFileOverridesOnlyItsKeys() throws Exception {
    Path f = file("admin:\n  port: 9000\nlog: {format: json}\n");
    MeridianConfig c = ConfigLoader.load(f, Map.of(), List.of()).config();
    assertThat(c.admin().listener().port()).isEqualTo(9000);
    assertThat(c.log().format()).isEqualTo("json");
    JsonObject expected = MeridianConfig.defaults().toJson(false);
    expected.getJsonObject("admin").put("port", 9000);
    expected.getJsonObject("log").put("format", "json");
    assertThat(c.toJson(false)).isEqualTo(expected);
  }

  @Test
  void layersApplyInOrderFileThenEnvironmentThenFlags() throws Exception {
    Path f = file("admin: {port: 9000}\ngateway: {port: 9100}\nxds: {port: 9200}\n");
    Map<String, String> env = Map.of("MERIDIAN_GATEWAY_PORT", "9101", "MERIDIAN_XDS_PORT", "9201");
    MeridianConfig c = ConfigLoader.load(f, env, List.of(new ConfigLoader.Setting("xds.port", "9202"))).config();
    assertThat(c.admin().listener().port()).isEqualTo(9000);
    assertThat(c.gateway().listener().port()).isEqualTo(9101);
    assertThat(c.xds().listener().port()).isEqualTo(9202);
  }

  @Test
  void theShippedConfFileDocumentsExactlyTheBuiltInDefaults() throws Exception {
    Path conf = Path.of("conf/meridian.yaml");
    JsonObject shipped = Yaml.parseObject(Files.readString(conf));
    assertThat(shipped).isEqualTo(MeridianConfig.defaults().toJson(false));
    String text = Files.readString(conf);
    for (String contractEnv : List.of("MERIDIAN_ADMIN_PORT", "MERIDIAN_CONSUL_PORT", "MERIDIAN_XDS_PORT",
        "MERIDIAN_GATEWAY_PORT", "MERIDIAN_TELEMETRY_ZIPKIN_PORT", "MERIDIAN_DATA_DIR", "MERIDIAN_ADMIN_TOKEN",
        "MERIDIAN_CLUSTER_MEMBERS", "MERIDIAN_CLUSTER_NAME")) {
      assertThat(text).contains(contractEnv);
    }
  }

  @Test
  void unknownKeysAreErrorsNamingThePath() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(file("admin:\n  prot: 9000\n"), Map.of(), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("admin.prot").hasMessageContaining("unknown key").hasMessageContaining("port");
    assertThatThrownBy(() -> ConfigLoader.load(file("bogus: 1\n"), Map.of(), List.of()))
        .hasMessageContaining("'bogus'");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("admin.nope", "1"))))
        .hasMessageContaining("admin.nope");
  }

  @Test
  void badValuesAreErrorsNamingKeyAndSource() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_ADMIN_PORT", "eighty"), List.of()))
        .hasMessage("config key 'admin.port': expected a whole number, got 'eighty' (set by environment variable MERIDIAN_ADMIN_PORT)");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("gateway.port", "70000"))))
        .hasMessageContaining("gateway.port").hasMessageContaining("between 0 and 65535");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("shutdownTimeout", "10"))))
        .hasMessageContaining("shutdownTimeout").hasMessageContaining("unit");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("log.format", "xml"))))
        .hasMessageContaining("log.format").hasMessageContaining("text, json");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("admin.token", "short"))))
        .hasMessageContaining("admin.token").hasMessageContaining("16");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("admin.public", "/status"))))
        .hasMessageContaining("admin.public");
  }

  @Test
  void wrongTypesInTheFileAreErrors() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(file("admin: 8080\n"), Map.of(), List.of()))
        .hasMessageContaining("'admin'").hasMessageContaining("expected a mapping");
    assertThatThrownBy(() -> ConfigLoader.load(file("roles: {a: 1}\n"), Map.of(), List.of()))
        .hasMessageContaining("'roles'").hasMessageContaining("expected a list");
    assertThatThrownBy(() -> ConfigLoader.load(file("admin: {port: [1]}\n"), Map.of(), List.of()))
        .hasMessageContaining("admin.port");
  }

  @Test
  void unknownRolesAndEmptyRoleListsAreRejected() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("roles", "gateway,bogus"))))
        .hasMessageContaining("unknown role 'bogus'");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("roles", ""))))
        .hasMessageContaining("at least one role");
  }

  @Test
  void onlyATenantGatewayAdvertisesItselfAndAtAnIpAddress() {
    assertThat(ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_ADVERTISE", "10.1.2.3"), List.of()).config().gateway()
        .advertise()).isEqualTo("10.1.2.3");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_ADVERTISE", "gw.example"), List.of()))
        .hasMessageContaining("gateway.advertise").hasMessageContaining("IP address");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_ADVERTISE", "10.1.2.3",
        "MERIDIAN_GATEWAY_TIER", "edge"), List.of()))
        .hasMessageContaining("gateway.advertise").hasMessageContaining("tenant gateway");
  }

  /** Verifies that trusted proxies are CIDRs or addresses (a bad entry is named by its index) and body sizes are sizes. */
  @Test
  void gatewayTrustedProxiesAndMaxBodySizeAreChecked() {
    GatewayOptions g = ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1,fd00::/8",
        "MERIDIAN_GATEWAY_MAX_BODY_SIZE", "10MiB"), List.of()).config().gateway();
    assertThat(g.trustedProxies()).containsExactly("10.0.0.0/8", "192.168.1.1", "fd00::/8");
    assertThat(g.maxBodySize()).isEqualTo(10L * 1024 * 1024);
    GatewayOptions defaults = MeridianConfig.defaults().gateway();
    assertThat(defaults.trustedProxies()).isEmpty();
    assertThat(defaults.maxBodySize()).isZero();
    assertThat(GatewayOptions.fromJson(g.toJson())).isEqualTo(g);
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"),
        List.of())).hasMessageContaining("gateway.trustedProxies[1]").hasMessageContaining("proxy.local");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("gateway.trustedProxies",
        "[10.0.0.0/40]")))).hasMessageContaining("gateway.trustedProxies[0]");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_MAX_BODY_SIZE", "lots"), List.of()))
        .hasMessageContaining("gateway.maxBodySize");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_MAX_BODY_SIZE", "-1"), List.of()))
        .hasMessageContaining("gateway.maxBodySize");
  }

  @Test
  void gatewayTcpListenersNeedAServiceAPortOfTheirOwnAndAServedTenant() throws Exception {
    MeridianConfig c = ConfigLoader.load(file("gateway:\n  tenants: [shop]\n  tcp:\n    - {port: 17000, service: ledger, tenant: shop}\n"),
        Map.of(), List.of()).config();
    assertThat(c.gateway().tcp()).containsExactly(new GatewayOptions.TcpRoute(17000, "ledger", "shop"));
    assertThat(c.listeners().get("gateway.tcp[0]").port()).isEqualTo(17000);
    assertThat(ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("gateway.tcp", "[{port: 17000, service: ledger}]")))
        .config().gateway().tcp().get(0).tenant()).isEqualTo("default");
    Map<String, String> cases = Map.of(
        "[{service: ledger}]", "gateway.tcp[0].port",
        "[{port: 17000}]", "gateway.tcp[0].service",
        "[{port: 17000, service: Ledger}]", "gateway.tcp[0].service",
        "[{port: 17000, service: ledger, tenant: 'a b'}]", "gateway.tcp[0].tenant",
        "[{port: 17000, service: ledger}, {port: 17000, service: cache}]", "gateway.tcp[1].port",
        "[{port: 9080, service: ledger}]", "gateway.tcp[0].port",
        "[{port: 8080, service: ledger}]", "'gateway.tcp[0].port': port 8080 is also admin.port",
        "[{port: 17000, service: ledger, weight: 2}]", "gateway.tcp[0].weight");
    cases.forEach((tcp, key) -> assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(),
        List.of(new ConfigLoader.Setting("gateway.tcp", tcp)))).as(tcp).hasMessageContaining(key));
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_TENANTS", "shop"),
        List.of(new ConfigLoader.Setting("gateway.tcp", "[{port: 17000, service: ledger}]"))))
        .hasMessageContaining("gateway.tcp[0].tenant").hasMessageContaining("not one this gateway serves");
  }

  @Test
  void rolesAreDeduplicatedAndPutInDeploymentOrder() {
    MeridianConfig c = ConfigLoader.load(null, Map.of(), List.of(new ConfigLoader.Setting("roles", "ui, gateway,ui"))).config();
    assertThat(c.roles()).containsExactly("gateway", "ui");
  }

  @Test
  void listenersOfDeployedRolesMustNotShareAPort() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_PORT", "8080"), List.of()))
        .hasMessageContaining("gateway.port").hasMessageContaining("also admin.port");
    // the gateway is not deployed here, so its port does not matter
    MeridianConfig c = ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_PORT", "8080"),
        List.of(new ConfigLoader.Setting("roles", "registry"))).config();
    assertThat(c.listeners()).containsOnlyKeys("admin", "consul");
    // different specific hosts may share a port; 0 never conflicts
    ConfigLoader.load(null, Map.of("MERIDIAN_GATEWAY_PORT", "8080", "MERIDIAN_GATEWAY_HOST", "10.0.0.1",
        "MERIDIAN_ADMIN_HOST", "192.168.0.1", "MERIDIAN_XDS_PORT", "0", "MERIDIAN_CONSUL_PORT", "0"), List.of());
  }

  @Test
  void listenerHostsInheritTheTopLevelHost() {
    MeridianConfig c = ConfigLoader.load(null, Map.of("MERIDIAN_HOST", "127.0.0.1", "MERIDIAN_GATEWAY_HOST", "10.1.0.5"),
        List.of()).config();
    assertThat(c.listeners().get("admin").host()).isEqualTo("127.0.0.1");
    assertThat(c.listeners().get("gateway").host()).isEqualTo("10.1.0.5");
    assertThat(c.resolved().toJson(false).getJsonObject("telemetry").getJsonObject("zipkin").getString("host"))
        .isEqualTo("127.0.0.1");
  }

  @Test
  void environmentVariablesForCamelCaseKeysAcceptBothSpellings() {
    assertThat(ConfigLoader.load(null, Map.of("MERIDIAN_ADMIN_MAX_BODY_SIZE", "2MiB"), List.of()).config()
        .admin().maxBodySize()).isEqualTo(2L << 20);
    assertThat(ConfigLoader.load(null, Map.of("MERIDIAN_ADMIN_MAXBODYSIZE", "4096"), List.of()).config()
        .admin().maxBodySize()).isEqualTo(4096);
    assertThat(ConfigLoader.load(null, Map.of("MERIDIAN_SHUTDOWN_TIMEOUT", "1m30s"), List.of()).config()
        .shutdownTimeout()).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void unknownMeridianEnvironmentVariablesAreWarnedAboutNotFatal() {
    ConfigLoader.Result r = ConfigLoader.load(null, Map.of("MERIDIAN_ADMN_PORT", "1", "PATH", "/bin"), List.of());
    assertThat(r.warnings()).singleElement().asString().contains("MERIDIAN_ADMN_PORT");
  }

  @Test
  void structuredValuesCanBeGivenInline() {
    MeridianConfig c = ConfigLoader.load(null, Map.of("MERIDIAN_LOG_LEVELS", "{io.vertx: debug}"),
        List.of(new ConfigLoader.Setting("roles", "[xds, registry]"))).config();
    assertThat(c.log().levels()).containsEntry("io.vertx", "debug");
    assertThat(c.roles()).containsExactly("registry", "xds");
  }

  @Test
  void aMissingOrInvalidFileIsAClearError() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml"), Map.of(), List.of()))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> ConfigLoader.load(file("admin: [\n"), Map.of(), List.of()))
        .hasMessageContaining("not valid YAML");
    assertThatThrownBy(() -> ConfigLoader.load(file("- a\n- b\n"), Map.of(), List.of()))
        .hasMessageContaining("mapping");
    assertThatThrownBy(() -> ConfigLoader.load(file("admin: {port: 1}\nadmin: {port: 2}\n"), Map.of(), List.of()))
        .hasMessageContaining("duplicate");
  }

  @Test
  void anEmptyFileIsAValidConfig() throws Exception {
    assertThat(ConfigLoader.load(file("# nothing\n"), Map.of(), List.of()).config())
        .isEqualTo(MeridianConfig.defaults());
  }

  @Test
  void redactedJsonHidesTheToken() {
    MeridianConfig c = ConfigLoader.load(null, Map.of("MERIDIAN_ADMIN_TOKEN", "0123456789abcdef-secret"), List.of()).config();
    assertThat(c.toJson(true).encode()).doesNotContain("0123456789abcdef-secret").contains("***");
  }
}
