package io.meridian.telemetry.impl.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The intake: bus batches and HTTP bodies into the store and the exporters, with its meters. */
class SpanIntakeTest {

  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private double counter(String name, String... tags) {
    return meters.get(name).tags(tags).counter().count();
  }

  private static JsonArray batch(int traces, int spansPerTrace) {
    JsonArray batch = new JsonArray();
    for (int t = 0; t < traces; t++) {
      for (int s = 0; s < spansPerTrace; s++) {
        batch.add(ZipkinJsonTest.span(Spans.trace(t), Spans.id(s)).put("tags", new JsonObject().put("padding", "x".repeat(100))));
      }
    }
    return batch;
  }

  @Test
  void verifiesThatBusBatchesAreStoredExportedAndCountedAndABadOneIsDroppedWhole() throws Exception {
    TraceStore store = new TraceStore(10);
    SpanExporterTest.Scripted transport = new SpanExporterTest.Scripted();
    SpanExporter exporter = new SpanExporter(vertx, transport, 100, 100, 0, meters);
    SpanIntake intake = new SpanIntake(vertx, store, List.of(exporter), 1 << 20, meters);

    intake.fromBus(batch(2, 4));
    assertThat(store.spans()).isEqualTo(8);
    intake.fromBus(batch(1, 4).add(new JsonObject().put("traceId", "nothex").put("id", Spans.id(9))));
    assertThat(store.spans()).isEqualTo(8);
    assertThat(counter("meridian.telemetry.spans.rejected")).isEqualTo(1);
    intake.fromBus(new JsonArray().add(ZipkinJsonTest.span(Spans.trace(5), Spans.id(0)))
        .add(ZipkinJsonTest.span(Spans.trace(6), Spans.id(0)))
        .add(ZipkinJsonTest.span(Spans.trace(7), Spans.id(0))));   // 11 spans: trace 0 (4 spans) goes

    assertThat(counter("meridian.telemetry.spans.received", "transport", "bus")).isEqualTo(11);
    assertThat(counter("meridian.telemetry.spans.stored")).isEqualTo(11);
    assertThat(counter("meridian.telemetry.spans.evicted")).isEqualTo(4);
    assertThat(meters.get("meridian.telemetry.traces.spans").gauge().value()).isEqualTo(7);
    assertThat(store.trace(Spans.trace(0))).isNull();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (transport.batches.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(transport.batches).hasSize(1);
    assertThat(transport.batches.get(0)).hasSize(11);   // the valid spans, evicted or not
  }

  @Test
  void verifiesThatABodyAboveTheInlineDecodeLimitTakesTheWorkerPathAndIsStored() throws Exception {
    TraceStore store = new TraceStore(100_000);
    SpanIntake intake = new SpanIntake(vertx, store, List.of(), 8 << 20, meters);
    HttpServer server = vertx.createHttpServer().requestHandler(intake.router()).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    byte[] body = batch(200, 5).toBuffer().getBytes();
    assertThat(body.length).isGreaterThan(SpanIntake.INLINE_DECODE);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.actualPort() + "/api/v2/spans")).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.body()).isEmpty();
    assertThat(store.spans()).isEqualTo(1000);
    assertThat(counter("meridian.telemetry.spans.received", "transport", "http")).isEqualTo(1000);
  }
}
