package io.meridian.app.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.auth.Principal;
import io.meridian.common.auth.Role;
import io.meridian.common.error.ApiException;
import io.meridian.common.store.embedded.EmbeddedStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenRegistryTest {

  private static final String ADMIN = "admin-token-0123456789";
  private static final Principal BY = new Principal("admin", Role.ADMIN);

  @TempDir
  Path dir;

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theAdminTokenAuthenticatesAsAdmin() {
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      TokenRegistry tokens = TokenRegistry.load(store, ADMIN);
      assertThat(tokens.verify(ADMIN)).isEqualTo(new Principal("admin", Role.ADMIN));
      assertThat(tokens.verify("wrong")).isNull();
      assertThat(tokens.verify("")).isNull();
      assertThat(tokens.verify(null)).isNull();
    }
  }

  @Test
  void createdTokensCarryTheirRoleSurviveRestartsAndAreStoredOnlyAsHashes() throws Exception {
    String secret;
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      TokenRegistry tokens = TokenRegistry.load(store, ADMIN);
      JsonObject created = await(tokens.create("ci-agent", "agent", BY));
      secret = created.getString("token");
      assertThat(secret).startsWith("mrd_").hasSize(47);
      assertThat(tokens.verify(secret)).isEqualTo(new Principal("ci-agent", Role.AGENT));
      assertThat(tokens.list().encode()).doesNotContain(secret).doesNotContain(TokenRegistry.sha256(secret));
    }
    assertThat(Files.readAllBytes(dir.resolve(EmbeddedStore.FILE_NAME)))
        .asString(java.nio.charset.StandardCharsets.ISO_8859_1).doesNotContain(secret);
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      TokenRegistry tokens = TokenRegistry.load(store, ADMIN);
      assertThat(tokens.verify(secret)).isEqualTo(new Principal("ci-agent", Role.AGENT));
      await(tokens.revoke("ci-agent"));
      assertThat(tokens.verify(secret)).isNull();
    }
  }

  @Test
  void badNamesRolesAndDuplicatesAreRefused() throws Exception {
    try (EmbeddedStore store = EmbeddedStore.open(dir, null)) {
      TokenRegistry tokens = TokenRegistry.load(store, ADMIN);
      assertThatThrownBy(() -> await(tokens.create("Bad Name", "viewer", BY)))
          .cause().isInstanceOf(ApiException.class).hasFieldOrPropertyWithValue("field", "name");
      assertThatThrownBy(() -> await(tokens.create("ok", "root", BY)))
          .cause().hasFieldOrPropertyWithValue("field", "role");
      assertThatThrownBy(() -> await(tokens.create("admin", "viewer", BY)))
          .cause().hasFieldOrPropertyWithValue("status", 409);
      await(tokens.create("ui", "viewer", BY));
      assertThatThrownBy(() -> await(tokens.create("ui", "viewer", BY)))
          .cause().hasFieldOrPropertyWithValue("status", 409);
      assertThatThrownBy(() -> await(tokens.revoke("nobody"))).cause().hasFieldOrPropertyWithValue("status", 404);
      assertThatThrownBy(() -> await(tokens.revoke("admin"))).cause().hasFieldOrPropertyWithValue("status", 400);
    }
  }
}
