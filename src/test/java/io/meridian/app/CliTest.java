package io.meridian.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.config.ConfigLoader.Setting;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CliTest {

  @Test
  void parsesEveryOptionInBothForms() throws Exception {
    Cli cli = Cli.parse(new String[] {"--conf", "a.yaml", "--roles=gateway,ui", "--cluster", "--set", "admin.port=0",
        "--set=log.level=debug"});
    assertThat(cli.confFile()).isEqualTo(Path.of("a.yaml"));
    assertThat(cli.settings()).containsExactly(new Setting("roles", "gateway,ui"), new Setting("cluster.enabled", "true"),
        new Setting("admin.port", "0"), new Setting("log.level", "debug"));
    assertThat(Cli.parse(new String[] {"-h"}).help()).isTrue();
    assertThat(Cli.parse(new String[] {"--version"}).version()).isTrue();
    assertThat(Cli.parse(new String[] {"--print-config"}).printConfig()).isTrue();
    assertThat(Cli.parse(new String[0]).settings()).isEmpty();
  }

  @Test
  void rejectsWhatItDoesNotKnowWithAMessageNamingIt() {
    assertThatThrownBy(() -> Cli.parse(new String[] {"--bogus"})).hasMessage("unknown option '--bogus'");
    assertThatThrownBy(() -> Cli.parse(new String[] {"serve"})).hasMessage("unexpected argument 'serve'");
    assertThatThrownBy(() -> Cli.parse(new String[] {"--conf"})).hasMessage("--conf needs a value");
    assertThatThrownBy(() -> Cli.parse(new String[] {"--roles", "--cluster"})).hasMessage("--roles needs a value");
    assertThatThrownBy(() -> Cli.parse(new String[] {"--set", "novalue"})).hasMessageContaining("KEY=VALUE");
    assertThatThrownBy(() -> Cli.parse(new String[] {"--cluster=yes"})).hasMessage("--cluster takes no value");
    assertThatThrownBy(() -> Cli.parse(new String[] {"--conf", "a", "--conf", "b"})).hasMessage("--conf given twice");
  }

  /**
   * Verifies that {@code --demo} puts the demo's settings (loopback, two planes, its data
   * directory, tracing) before the user's flags, so a later {@code --set} wins.
   */
  @Test
  void demoSettingsComeFirstAndTheUsersFlagsOverrideThem() throws Exception {
    Cli cli = Cli.parse(new String[] {"--set", "data.dir=/tmp/elsewhere", "--demo"});
    assertThat(cli.demo()).isTrue();
    assertThat(cli.settings().subList(0, io.meridian.app.demo.DemoMesh.SETTINGS.size()))
        .containsExactlyElementsOf(io.meridian.app.demo.DemoMesh.SETTINGS);
    var config = io.meridian.common.config.ConfigLoader.load(null, java.util.Map.of(), cli.settings()).config().resolved();
    assertThat(config.data().dir()).isEqualTo("/tmp/elsewhere");
    assertThat(config.listeners().values()).allSatisfy(l -> assertThat(l.host()).isEqualTo("127.0.0.1"));
    assertThat(config.toJson(false).getJsonObject("registry").getJsonArray("planes").encode())
        .contains("\"data\"").contains("127.0.0.1/32").contains("\"mgmt\"").contains("127.0.0.2/32");
    assertThat(Cli.parse(new String[0]).demo()).isFalse();
    assertThatThrownBy(() -> Cli.parse(new String[] {"--demo=yes"})).hasMessage("--demo takes no value");
  }

  /** Verifies that --demo appears in --help and that --demo without the roles it needs is a usage error (exit 2). */
  @Test
  void demoIsInTheHelpAndNeedsItsRoles() {
    var out = new java.io.ByteArrayOutputStream();
    var err = new java.io.ByteArrayOutputStream();
    assertThat(Main.run(new String[] {"--help"}, java.util.Map.of(), new java.io.PrintStream(out), new java.io.PrintStream(err)))
        .isEqualTo(Main.OK);
    assertThat(out.toString()).contains("--demo");
    assertThat(Main.run(new String[] {"--demo", "--roles", "gateway"}, java.util.Map.of(), new java.io.PrintStream(out),
        new java.io.PrintStream(err))).isEqualTo(Main.USAGE);
    assertThat(err.toString()).contains("--demo needs the roles registry, rules, gateway, telemetry");
  }

  @Test
  void theDescriptorListCoversEveryRoleNameInOrder() {
    assertThat(Roles.all().stream().map(RoleDescriptor::name).toList())
        .containsExactlyElementsOf(io.meridian.common.config.RoleNames.ALL);
  }
}
