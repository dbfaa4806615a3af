package io.meridian.telemetry.impl.scrape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meridian.telemetry.impl.scrape.ExpositionParser.Format;
import io.meridian.telemetry.impl.scrape.ExpositionParser.ParseException;
import io.meridian.telemetry.impl.series.Family;
import io.meridian.telemetry.impl.series.Sample;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The exposition parser on real output shapes (Envoy, Micrometer, the OpenMetrics examples) and on broken input. */
class ExpositionParserTest {

  private static final String NOISE = "ab_{}=\",# \n\\0.1e+-IN#EOF\t";

  private final List<Sample> samples = new ArrayList<>();

  private List<Family> parse(String text, Format format) throws ParseException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    NameCache names = new NameCache();
    Enrichment none = new Enrichment(LabelMap.EMPTY, names);
    return ExpositionParser.parse(bytes, bytes.length, format, names, (n, p, c, v) -> samples.add(none.sample(n, p, c, v)));
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = ExpositionParserTest.class.getResourceAsStream("/scrape/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private Sample find(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + labels + " in " + samples));
  }

  /** Verifies that Envoy's /stats/prometheus shape (empty braces, histograms, long decimals, blank lines) parses completely. */
  @Test
  void parsesEnvoyStats() throws Exception {
    List<Family> families = parse(resource("envoy.txt"), Format.PROMETHEUS);
    assertEquals(14, samples.size());
    assertEquals(1027, find("envoy_cluster_upstream_rq", Map.of("envoy_response_code", "200", "envoy_cluster_name", "orders")).value());
    assertEquals(1, find("envoy_server_live", Map.of()).value());
    assertEquals(30, find("envoy_cluster_upstream_rq_time_bucket", Map.of("envoy_cluster_name", "orders", "le", "+Inf")).value());
    assertEquals(155.55, find("envoy_cluster_upstream_rq_time_sum", Map.of("envoy_cluster_name", "orders")).value(), 1e-9);
    assertEquals(List.of("envoy_cluster_assignment_stale", "envoy_cluster_upstream_rq", "envoy_server_live",
        "envoy_cluster_upstream_rq_time", "envoy_http_downstream_cx_length_ms"), families.stream().map(Family::name).toList());
    assertEquals("histogram", families.get(3).type());
  }

  /** Verifies that Micrometer's Prometheus output (exponent values, summaries, blank HELP) parses with its metadata. */
  @Test
  void parsesMicrometerOutput() throws Exception {
    List<Family> families = parse(resource("micrometer.txt"), Format.PROMETHEUS);
    assertEquals(7, samples.size());
    assertEquals(2.4117248E7, find("jvm_memory_used_bytes", Map.of("area", "heap", "id", "G1 Eden Space")).value());
    Family summary = families.stream().filter(f -> f.name().equals("http_server_requests_seconds")).findFirst().orElseThrow();
    assertEquals("summary", summary.type());
    assertEquals(" ", summary.help());
    assertEquals(new Family("jvm_memory_used_bytes", "gauge", "The amount of used memory"), families.get(0));
    assertEquals(5, families.size(), "the summary's _count/_sum belong to it: " + families);
  }

  /** Verifies that OpenMetrics text parses: units and exemplars ignored, _created dropped, info/stateset as gauges, escapes decoded. */
  @Test
  void parsesOpenMetrics() throws Exception {
    List<Family> families = parse(resource("openmetrics.txt"), Format.OPENMETRICS);
    assertTrue(samples.stream().noneMatch(s -> s.name().endsWith("_created")), samples.toString());
    assertEquals(13, samples.size());
    assertEquals(8, find("foo_bucket", Map.of("le", "0.1")).value());
    assertEquals(4.20072246e+06, find("process_cpu_seconds_total", Map.of()).value());
    assertEquals(1, find("build_info", Map.of("version", "1.2", "commit", "a\"b\\c\nd")).value());
    Map<String, String> types = new java.util.HashMap<>();
    families.forEach(f -> types.put(f.name(), f.type()));
    assertEquals(Map.of("acme_http_router_request_seconds", "summary", "go_goroutines", "gauge", "process_cpu_seconds", "counter",
        "foo", "histogram", "build", "gauge", "door", "gauge"), types);
    assertEquals("Latency though all of ACME's HTTP request router.", families.get(0).help());
  }

  /** Verifies special values, timestamps, blanks and tabs between tokens, a trailing comma and escapes in label values and HELP. */
  @Test
  void parsesTheTextFormatsCorners() throws Exception {
    List<Family> families = parse("""
        # HELP weird A \\\\ help\\nwith a newline
        # some comment
          # TYPE weird gauge
        weird{problem="division by zero",} +Inf -3982045
        weird{problem="nan"}\tNaN
        weird{problem="neg"} -Inf 1395066363000
        weird{problem="path", path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
        weird{problem="utf8",city="Zürich"} .5
        weird { problem = "spaced" }   -7
        metric_without_timestamp_and_labels 12.47
        """, Format.PROMETHEUS);
    assertEquals(Double.POSITIVE_INFINITY, find("weird", Map.of("problem", "division by zero")).value());
    assertTrue(Double.isNaN(find("weird", Map.of("problem", "nan")).value()));
    assertEquals(Double.NEGATIVE_INFINITY, find("weird", Map.of("problem", "neg")).value());
    assertEquals(1.458255915e9, find("weird", Map.of("problem", "path", "path", "C:\\DIR\\FILE.TXT",
        "error", "Cannot find file:\n\"FILE.TXT\"")).value());
    assertEquals(0.5, find("weird", Map.of("problem", "utf8", "city", "Zürich")).value());
    assertEquals(-7, find("weird", Map.of("problem", "spaced")).value());
    assertEquals(12.47, find("metric_without_timestamp_and_labels", Map.of()).value());
    assertEquals("A \\ help\nwith a newline", families.get(0).help());
    assertEquals(List.of("weird", "metric_without_timestamp_and_labels"), families.stream().map(Family::name).toList());
    assertEquals("untyped", families.get(1).type());
  }

  /** Verifies that broken Prometheus text is refused with the line and what is wrong. */
  @ParameterizedTest
  @ValueSource(strings = {
      "<html><body>Not metrics</body></html>",
      "{\"json\": true}",
      "ok 1\nfoo-bar 1",
      "foo{a=\"1\" 2",
      "foo{a=1} 2",
      "foo{a=\"1\",a=\"2\"} 2",
      "foo{a=\"\\x\"} 2",
      "foo{a=\"unterminated} 2",
      "foo",
      "foo 1.2.3x",
      "foo 0x10",
      "foo 1d",
      "foo 1 12.5",
      "foo 1 2 3",
      "# TYPE foo gauge\n# TYPE foo counter\nfoo 1",
      "# TYPE foo speedometer\nfoo 1",
      "# HELP foo a\n# HELP foo b\nfoo 1",
      "foo{9a=\"1\"} 1",
      "foo{a=\"\u00ff\"} 1"})
  void refusesBrokenText(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (text.contains("\u00ff")) {
      bytes = text.getBytes(StandardCharsets.ISO_8859_1); // a lone 0xff byte: not UTF-8
    }
    byte[] input = bytes;
    ParseException e = assertThrows(ParseException.class, () -> ExpositionParser.parse(input, input.length, Format.PROMETHEUS,
        new NameCache(), (n, p, c, v) -> { }));
    assertTrue(e.getMessage().startsWith("line "), e.getMessage());
  }

  /** Verifies that OpenMetrics without its final # EOF, or with text after it, is refused. */
  @Test
  void openMetricsNeedsEof() {
    assertThrows(ParseException.class, () -> parse("foo 1\n", Format.OPENMETRICS));
    ParseException after = assertThrows(ParseException.class, () -> parse("foo 1\n# EOF\nbar 2\n", Format.OPENMETRICS));
    assertTrue(after.getMessage().contains("after '# EOF'"), after.getMessage());
  }

  /** Verifies that '# EOF' is only a comment in the Prometheus format, and that the content type picks the format. */
  @Test
  void contentTypeDecidesTheFormat() throws Exception {
    parse("foo 1\n# EOF\nbar 2\n", Format.PROMETHEUS);
    assertEquals(2, samples.size());
    assertEquals(Format.OPENMETRICS, Format.of("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    assertEquals(Format.PROMETHEUS, Format.of("text/plain; version=0.0.4; charset=utf-8"));
    assertEquals(Format.PROMETHEUS, Format.of(null));
  }

  /** Verifies that random bytes never escape as anything but a ParseException (no runtime exception, no hang). */
  @Test
  void randomGarbageFailsCleanly() {
    Random random = new Random(42);
    int refused = 0;
    for (int round = 0; round < 2000; round++) {
      byte[] bytes = new byte[random.nextInt(200)];
      random.nextBytes(bytes);
      if (round % 2 == 0) { // printable noise with structure characters, closer to real near-misses
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = (byte) NOISE.charAt(random.nextInt(NOISE.length()));
        }
      }
      for (Format format : Format.values()) {
        try {
          ExpositionParser.parse(bytes, bytes.length, format, new NameCache(), (n, p, c, v) -> { });
        } catch (ParseException e) {
          refused++;
        }
      }
    }
    assertTrue(refused > 3000, "most random inputs are refused: " + refused);
  }
}
