package io.meridian.app.auth;

import io.meridian.common.config.AdminOptions;
import io.meridian.common.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Where the admin token comes from: {@code admin.token} / {@code MERIDIAN_ADMIN_TOKEN} when
 * set; otherwise {@code <data.dir>/admin.token}, generated (mode 0600) on first start and
 * reused afterwards.
 *
 * @param token  the secret (never logged)
 * @param source {@code config}, {@code file} or {@code generated}
 * @param file   the token file when {@code source} is not {@code config}
 */
public record AdminToken(String token, String source, Path file) {

  /** Name of the token file in the data directory. */
  public static final String FILE_NAME = "admin.token";

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Resolves the admin token.
   *
   * @throws ConfigException when the token file exists but holds no valid token
   * @throws IOException     when the file cannot be read or written
   */
  public static AdminToken resolve(String configured, Path dataDir) throws IOException {
    if (configured != null) {
      return new AdminToken(configured, "config", null);
    }
    Path file = dataDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      String token = newSecret();
      try {
        write(file, token);
        return new AdminToken(token, "generated", file);
      } catch (FileAlreadyExistsException raced) {
        // another process created it first: read theirs
      }
    }
    String token = Files.readString(file, StandardCharsets.UTF_8).trim();
    try {
      AdminOptions.validateToken("admin.token", token);
    } catch (ConfigException e) {
      throw new ConfigException("admin.token", "the token in " + file + " is invalid (" + e.getMessage()
          .replaceFirst("^config key 'admin.token': ", "") + "); delete the file to generate a new one");
    }
    return new AdminToken(token, "file", file);
  }

  /** A new random token: {@code mrd_} and 43 URL-safe characters (256 bits). */
  public static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "mrd_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void write(Path file, String token) throws IOException {
    Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(file);
    }
    Files.writeString(file, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }
}
