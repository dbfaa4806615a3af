package io.meridian.app.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {

  @TempDir
  Path dir;

  @Test
  void generatesAnOwnerOnlyTokenFileOnceAndReusesIt() throws Exception {
    AdminToken first = AdminToken.resolve(null, dir);
    assertThat(first.source()).isEqualTo("generated");
    Path file = dir.resolve("admin.token");
    assertThat(Files.readString(file).trim()).isEqualTo(first.token());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    AdminToken second = AdminToken.resolve(null, dir);
    assertThat(second.source()).isEqualTo("file");
    assertThat(second.token()).isEqualTo(first.token());
  }

  @Test
  void aConfiguredTokenWinsAndWritesNoFile() throws Exception {
    AdminToken token = AdminToken.resolve("configured-token-123456", dir);
    assertThat(token.source()).isEqualTo("config");
    assertThat(token.token()).isEqualTo("configured-token-123456");
    assertThat(dir.resolve("admin.token")).doesNotExist();
  }

  @Test
  void aTamperedTokenFileIsAClearError() throws Exception {
    Files.writeString(dir.resolve("admin.token"), "short\n");
    assertThatThrownBy(() -> AdminToken.resolve(null, dir)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("admin.token").hasMessageContaining("delete the file");
  }
}
