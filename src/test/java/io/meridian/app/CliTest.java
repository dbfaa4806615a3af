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

  @Test
  void theDescriptorListCoversEveryRoleNameInOrder() {
    assertThat(Roles.all().stream().map(RoleDescriptor::name).toList())
        .containsExactlyElementsOf(io.meridian.common.config.RoleNames.ALL);
  }
}
