package io.meridian.app;

import io.meridian.app.logging.LogSetup;
import io.meridian.common.config.ConfigException;
import io.meridian.common.config.ConfigLoader;
import io.meridian.common.config.MeridianConfig;
import io.meridian.common.json.Yaml;
import io.meridian.common.store.StoreException;
import io.meridian.common.verticle.ListenException;
import java.io.PrintStream;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar meridian.jar}: parses the command line, loads the configuration, starts a
 * {@link Node} and stops it gracefully on SIGTERM/SIGINT.
 *
 * <p>Exit codes: 0 done, 1 cannot start or run (port in use, store locked, …), 2 bad command
 * line or configuration; a graceful stop on SIGTERM ends with the JVM's 143. Problems before
 * start are one line on standard error.
 */
public final class Main {

  /** Exit code: done (help, version, print-config). */
  public static final int OK = 0;
  /** Exit code: could not start or run. */
  public static final int FAILED = 1;
  /** Exit code: bad command line or configuration. */
  public static final int USAGE = 2;
  /** Not an exit code: the node is running. */
  static final int RUNNING = -1;

  public static void main(String[] args) {
    LogSetup.routeLibraryLogging();
    int code = run(args, System.getenv(), System.out, System.err);
    if (code != RUNNING) {
      System.exit(code);
    }
  }

  /** Runs the launcher; returns an exit code, or {@link #RUNNING} once a node serves. */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Cli cli;
    try {
      cli = Cli.parse(args);
    } catch (Cli.UsageException e) {
      err.println("meridian: " + e.getMessage() + " (see --help)");
      return USAGE;
    }
    if (cli.help()) {
      out.print(Cli.USAGE);
      return OK;
    }
    if (cli.version()) {
      out.println("meridian " + Version.current().version() + " (built " + Version.current().built() + ")");
      return OK;
    }
    ConfigLoader.Result loaded;
    try {
      loaded = ConfigLoader.load(cli.confFile(), env, cli.settings());
    } catch (ConfigException e) {
      err.println("meridian: " + e.getMessage());
      return USAGE;
    }
    MeridianConfig config = loaded.config();
    if (cli.demo() && !config.roles().containsAll(Demo.ROLES)) {
      err.println("meridian: --demo needs the roles " + String.join(", ", Demo.ROLES) + " in this process (see --help)");
      return USAGE;
    }
    if (cli.printConfig()) {
      out.print(Yaml.dump(config.toJson(true)));
      return OK;
    }

    LogSetup.apply(config.log());
    Logger log = LoggerFactory.getLogger(Main.class);
    loaded.warnings().forEach(log::warn);
    Node node;
    try {
      node = Node.start(config, null);
    } catch (ConfigException e) {
      err.println("meridian: " + e.getMessage());
      return USAGE;
    } catch (ListenException | StoreException e) {
      err.println("meridian: " + e.getMessage());
      return FAILED;
    } catch (Exception e) {
      log.error("start-up failed", e);
      err.println("meridian: start-up failed: " + e);
      return FAILED;
    }
    if (cli.demo()) {
      Demo demo;
      try {
        demo = Demo.start(node, config, out);
      } catch (Exception e) {
        log.error("the demo did not start", e);
        err.println("meridian: the demo did not start: " + e.getMessage());
        node.stop();
        return FAILED;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        demo.stop();
        node.stop();
      }, "meridian-shutdown"));
      return RUNNING;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "meridian-shutdown"));
    return RUNNING;
  }

  private Main() {
  }
}
