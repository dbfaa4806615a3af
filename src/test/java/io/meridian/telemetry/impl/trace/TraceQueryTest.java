package io.meridian.telemetry.impl.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.common.error.ApiException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Parsing of the trace search's parameters. */
class TraceQueryTest {

  private static String badField(String name, String value) {
    try {
      TraceQuery.parse(new JsonObject().put(name, value), 1000);
    } catch (ApiException e) {
      assertThat(e.status()).isEqualTo(400);
      return e.field();
    }
    throw new AssertionError("accepted " + name + "=" + value);
  }

  @Test
  void verifiesThatDurationsAreMicrosecondsOrWithAUnitAndLookbackIsMilliseconds() {
    TraceQuery q = TraceQuery.parse(new JsonObject().put("minDuration", "1500").put("maxDuration", "2s")
        .put("lookback", "60000").put("limit", "25").put("service", "web").put("spanName", "get"), 1_000_000);
    assertThat(q).isEqualTo(new TraceQuery("web", "get", 1500, 2_000_000, 1_000_000, 60_000, 25));
    assertThat(TraceQuery.parse(new JsonObject().put("lookback", "1h").put("endTs", "5000000"), 0).lookback())
        .isEqualTo(3_600_000);
    assertThat(TraceQuery.parse(new JsonObject(), 0)).isEqualTo(new TraceQuery(null, null, 0, 0, 0, 0, TraceQuery.DEFAULT_LIMIT));
  }

  @Test
  void verifiesThatABadParameterIsNamed() {
    assertThat(badField("minDuration", "abc")).isEqualTo("minDuration");
    assertThat(badField("maxDuration", "-5")).isEqualTo("maxDuration");
    assertThat(badField("limit", "0")).isEqualTo("limit");
    assertThat(badField("limit", "1001")).isEqualTo("limit");
    assertThat(badField("limit", "ten")).isEqualTo("limit");
    assertThat(badField("endTs", "yesterday")).isEqualTo("endTs");
    assertThat(badField("lookback", "99999999999999999")).isEqualTo("lookback");
    assertThat(badField("serviceName", "x")).isEqualTo("serviceName");
    assertThatThrownBy(() -> TraceQuery.parse(new JsonObject().put("minDuration", "2s").put("maxDuration", "1s"), 0))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("maxDuration"));
  }
}
