package io.meridian.app.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * Renders one log event as exactly one line, as text or as a JSON object.
 *
 * <p>Text: {@code 2026-11-26T14:11:12.345Z INFO  [registry] message | error}. JSON:
 * {@code {"time","level","role","logger","thread","message","error","stack"}}. The role is
 * derived from the logger name ({@code io.meridian.<role>…}); launcher and shared code log
 * as {@code node}. Line breaks inside messages are escaped, so a message can never forge a
 * second log line.
 */
public final class LogLine extends LayoutBase<ILoggingEvent> {

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
      .withZone(ZoneOffset.UTC);
  private static final Set<String> ROOMS = Set.of("registry", "rules", "xds", "gateway", "telemetry", "ui",
      "messaging", "canary", "agent");
  private static final int TEXT_STACK_FRAMES = 6;

  private static volatile boolean json;

  /** Switches every appender using this layout between text and JSON lines. */
  public static void useJson(boolean enabled) {
    json = enabled;
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    return json ? jsonLine(event) : textLine(event);
  }

  /** The role a logger's lines are attributed to. */
  public static String roleOf(String loggerName) {
    if (loggerName.startsWith("io.meridian.")) {
      int start = "io.meridian.".length();
      int end = loggerName.indexOf('.', start);
      String room = end < 0 ? loggerName.substring(start) : loggerName.substring(start, end);
      return ROOMS.contains(room) ? room : "node";
    }
    if (loggerName.startsWith("io.vertx")) {
      return "vertx";
    }
    if (loggerName.startsWith("io.netty")) {
      return "netty";
    }
    if (loggerName.startsWith("com.hazelcast")) {
      return "hazelcast";
    }
    return "lib";
  }

  static String textLine(ILoggingEvent event) {
    StringBuilder sb = new StringBuilder(160);
    sb.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ');
    String level = event.getLevel().toString();
    sb.append(level);
    for (int i = level.length(); i < 5; i++) {
      sb.append(' ');
    }
    sb.append(" [").append(roleOf(event.getLoggerName())).append("] ");
    appendEscaped(sb, event.getFormattedMessage(), false);
    IThrowableProxy error = event.getThrowableProxy();
    if (error != null) {
      sb.append(" | ");
      appendError(sb, error, event.getLevel().isGreaterOrEqual(Level.ERROR) ? TEXT_STACK_FRAMES : 1, false);
    }
    return sb.append('\n').toString();
  }

  static String jsonLine(ILoggingEvent event) {
    StringBuilder sb = new StringBuilder(256);
    sb.append("{\"time\":\"").append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp())))
        .append("\",\"level\":\"").append(event.getLevel())
        .append("\",\"role\":\"").append(roleOf(event.getLoggerName()))
        .append("\",\"logger\":\"");
    appendEscaped(sb, event.getLoggerName(), true);
    sb.append("\",\"thread\":\"");
    appendEscaped(sb, event.getThreadName(), true);
    sb.append("\",\"message\":\"");
    appendEscaped(sb, event.getFormattedMessage(), true);
    sb.append('"');
    IThrowableProxy error = event.getThrowableProxy();
    if (error != null) {
      sb.append(",\"error\":\"");
      appendEscaped(sb, error.getClassName() + ": " + error.getMessage(), true);
      sb.append("\",\"stack\":\"");
      StringBuilder stack = new StringBuilder();
      appendError(stack, error, Integer.MAX_VALUE, true);
      appendEscaped(sb, stack.toString(), true);
      sb.append('"');
    }
    return sb.append("}\n").toString();
  }

  private static void appendError(StringBuilder sb, IThrowableProxy error, int frames, boolean newlines) {
    IThrowableProxy current = error;
    boolean first = true;
    int depth = 0;
    while (current != null && depth++ < 10) {
      if (!first) {
        sb.append(newlines ? "\nCaused by: " : " <- caused by ");
      }
      first = false;
      sb.append(current.getClassName()).append(": ");
      appendEscaped(sb, String.valueOf(current.getMessage()), false);
      StackTraceElementProxy[] stack = current.getStackTraceElementProxyArray();
      int shown = Math.min(frames, stack.length);
      for (int i = 0; i < shown; i++) {
        sb.append(newlines ? "\n\tat " : " at ").append(stack[i].getStackTraceElement());
      }
      if (shown < stack.length && frames > 1) {
        sb.append(newlines ? "\n\t… " : " … ").append(stack.length - shown).append(" more");
      }
      current = current.getCause();
    }
  }

  private static void appendEscaped(StringBuilder sb, String text, boolean jsonString) {
    if (text == null) {
      sb.append(jsonString ? "" : "null");
      return;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append(jsonString ? "\\t" : "\t");
        case '"' -> sb.append(jsonString ? "\\\"" : "\"");
        case '\\' -> sb.append(jsonString ? "\\\\" : "\\");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
  }
}
