package io.meridian.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class LogLineTest {

  private static LoggingEvent event(String logger, Level level, String message, Throwable error) {
    LoggerContext context = new LoggerContext();
    LoggingEvent event = new LoggingEvent("fqcn", context.getLogger(logger), level, message, error, null);
    event.setTimeStamp(1_795_000_000_123L);
    return event;
  }

  @Test
  void textLinesCarryTimeLevelAndRoleOnOneLine() {
    String line = LogLine.textLine(event("io.meridian.registry.impl.Store", Level.INFO, "registered x", null));
    assertThat(line).isEqualTo("2026-11-18T11:06:40.123Z INFO  [registry] registered x\n");
    assertThat(LogLine.textLine(event("io.meridian.app.Node", Level.WARN, "m", null))).contains(" WARN  [node] ");
    assertThat(LogLine.textLine(event("io.vertx.core.Foo", Level.ERROR, "m", null))).contains("[vertx]");
  }

  @Test
  void exceptionsAndNewlinesNeverBreakTheOneLineRule() {
    Exception e = new IllegalStateException("outer", new RuntimeException("inner\ncause"));
    String text = LogLine.textLine(event("io.meridian.gateway.X", Level.ERROR, "line one\nforged line", e));
    assertThat(text.indexOf('\n')).isEqualTo(text.length() - 1);
    assertThat(text).contains("line one\\nforged line").contains("IllegalStateException: outer")
        .contains("caused by java.lang.RuntimeException: inner\\ncause");
    String json = LogLine.jsonLine(event("io.meridian.gateway.X", Level.ERROR, "quote \" and \\ and \u0001", e));
    assertThat(json.indexOf('\n')).isEqualTo(json.length() - 1);
    JsonObject parsed = new JsonObject(json);
    assertThat(parsed.getString("role")).isEqualTo("gateway");
    assertThat(parsed.getString("level")).isEqualTo("ERROR");
    assertThat(parsed.getString("message")).isEqualTo("quote \" and \\ and \u0001");
    assertThat(parsed.getString("error")).isEqualTo("java.lang.IllegalStateException: outer");
    assertThat(parsed.getString("stack")).contains("Caused by: java.lang.RuntimeException");
    assertThat(parsed.getString("time")).isEqualTo("2026-11-18T11:06:40.123Z");
  }
}
