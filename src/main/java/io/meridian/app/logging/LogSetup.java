package io.meridian.app.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import io.meridian.common.config.LogOptions;
import java.util.Locale;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Logging set-up without XML: logback finds this configurator through the service loader,
 * sends every event to standard output through {@link LogLine}, and {@link #apply} then sets
 * the format and levels from the {@code log} config section.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    LogLine layout = new LogLine();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("stdout");
    console.setEncoder(encoder);
    console.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console);
    // chatty libraries: their INFO lines are start-up noise for operators
    context.getLogger("com.hazelcast").setLevel(Level.WARN);
    context.getLogger("io.netty").setLevel(Level.WARN);
    // vertx-micrometer re-registers its connection gauges by design (Micrometer then returns the
    // existing gauge); Micrometer 1.17 warns about each such registration once
    context.getLogger("io.micrometer.core.instrument.MeterRegistry").setLevel(Level.ERROR);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Applies the {@code log} section: format and levels. */
  public static void apply(LogOptions options) {
    LogLine.useJson("json".equals(options.format()));
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(toLevel(options.level()));
    for (Map.Entry<String, String> e : options.levels().entrySet()) {
      context.getLogger(e.getKey()).setLevel(toLevel(e.getValue()));
    }
  }

  /** Routes Vert.x, Netty and Hazelcast logging to SLF4J; call before any of them loads. */
  public static void routeLibraryLogging() {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
  }

  private static Level toLevel(String level) {
    return Level.toLevel(level.toUpperCase(Locale.ROOT), Level.INFO);
  }
}
