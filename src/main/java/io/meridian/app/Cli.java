package io.meridian.app;

import io.meridian.app.demo.DemoMesh;
import io.meridian.common.config.ConfigLoader;
import io.meridian.common.config.RoleNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line: {@code [--conf FILE] [--roles r1,r2] [--cluster] [--set KEY=VALUE]…
 * [--demo] [--print-config] [--help] [--version]}. Both {@code --flag value} and {@code --flag=value}
 * work.
 *
 * @param confFile    {@code --conf}, or {@code null}
 * @param settings    {@code --roles}, {@code --cluster} and {@code --set} as config settings, in order
 * @param help        {@code --help}
 * @param version     {@code --version}
 * @param printConfig {@code --print-config}
 * @param demo        {@code --demo}: its settings ({@link DemoMesh#SETTINGS}) come first in {@code settings}, so
 *                    the user's flags override them
 */
record Cli(Path confFile, List<ConfigLoader.Setting> settings, boolean help, boolean version, boolean printConfig,
    boolean demo) {

  /** A command line Meridian does not accept; the message names the problem. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  static final String USAGE = """
      Usage: java -jar meridian.jar [options]

      Meridian: service registry, xDS control plane, API gateway, telemetry and web UI in one process.

      Options:
        --conf FILE        YAML config file; it overrides only the keys it sets (see conf/meridian.yaml)
        --roles R1,R2      roles to run in this process (default: all): %s
        --cluster          join the Hazelcast cluster configured under cluster.* (cluster.enabled=true)
        --set KEY=VALUE    set one config key, e.g. --set admin.port=9000 (repeatable)
        --demo             also run a small demo mesh for a first look: shop -> orders v1/v2
                           with a 90/10 canary on two network planes, traffic through the gateway,
                           metrics and traces; loopback only, data under demo-data/ (docs/ui.md)
        --print-config     print the effective configuration (secrets redacted) and exit
        -h, --help         print this help and exit
        -V, --version      print the version and exit

      Configuration layers, each overriding the one before: built-in defaults, --conf FILE,
      environment variables MERIDIAN_<KEY> (e.g. MERIDIAN_ADMIN_PORT=9000,
      MERIDIAN_TELEMETRY_ZIPKIN_PORT=0), then flags. A port of 0 picks a free port.

      Exit codes: 0 done, 1 could not start or run (e.g. a port in use), 2 bad command line or
      configuration; after a graceful stop on SIGTERM, 143 (as for every JVM).
      """.formatted(String.join(", ", RoleNames.ALL));

  static Cli parse(String[] args) throws UsageException {
    Path conf = null;
    List<ConfigLoader.Setting> settings = new ArrayList<>();
    boolean help = false;
    boolean version = false;
    boolean printConfig = false;
    boolean demo = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String inline = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        inline = arg.substring(eq + 1);
      }
      switch (name) {
        case "-h", "--help" -> {
          noValue(name, inline);
          help = true;
        }
        case "-V", "--version" -> {
          noValue(name, inline);
          version = true;
        }
        case "--print-config" -> {
          noValue(name, inline);
          printConfig = true;
        }
        case "--demo" -> {
          noValue(name, inline);
          demo = true;
        }
        case "--cluster" -> {
          noValue(name, inline);
          settings.add(new ConfigLoader.Setting("cluster.enabled", "true"));
        }
        case "--conf" -> {
          String value = inline != null ? inline : value(args, ++i, name);
          if (conf != null) {
            throw new UsageException("--conf given twice");
          }
          if (value.isBlank()) {
            throw new UsageException("--conf needs a file name");
          }
          conf = Path.of(value);
        }
        case "--roles" -> {
          String value = inline != null ? inline : value(args, ++i, name);
          if (value.isBlank()) {
            throw new UsageException("--roles needs at least one role: " + String.join(", ", RoleNames.ALL));
          }
          settings.add(new ConfigLoader.Setting("roles", value));
        }
        case "--set" -> {
          String value = inline != null ? inline : value(args, ++i, name);
          int sep = value.indexOf('=');
          if (sep <= 0) {
            throw new UsageException("--set needs KEY=VALUE, got '" + value + "'");
          }
          settings.add(new ConfigLoader.Setting(value.substring(0, sep).trim(), value.substring(sep + 1)));
        }
        default -> {
          if (arg.startsWith("-")) {
            throw new UsageException("unknown option '" + arg + "'");
          }
          throw new UsageException("unexpected argument '" + arg + "'");
        }
      }
    }
    if (demo) {
      settings.addAll(0, DemoMesh.SETTINGS);
    }
    return new Cli(conf, List.copyOf(settings), help, version, printConfig, demo);
  }

  private static void noValue(String name, String inline) throws UsageException {
    if (inline != null) {
      throw new UsageException(name + " takes no value");
    }
  }

  private static String value(String[] args, int index, String name) throws UsageException {
    if (index >= args.length || args[index].startsWith("--")) {
      throw new UsageException(name + " needs a value");
    }
    return args[index];
  }
}
