package io.meridian.gateway.impl.plugins.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.gateway.Exchange;
import io.meridian.gateway.impl.plugins.breaker.CircuitBreaker.Outcome;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** What an exchange's final outcome means to a breaker. */
class OutcomeTest {

  private static Exchange exchange(int status, String errorCode, String upstream) {
    return (Exchange) Proxy.newProxyInstance(Exchange.class.getClassLoader(), new Class<?>[] {Exchange.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "status" -> status;
          case "errorCode" -> errorCode;
          case "upstream" -> upstream;
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  /** Verifies that upstream 5xx, connect failures, resets and timeouts fail, and other upstream answers succeed. */
  @Test
  void upstreamFailuresAndSuccesses() {
    assertThat(CircuitBreakerPlugin.outcome(exchange(500, null, "127.0.0.1:9"))).isEqualTo(Outcome.FAILURE);
    assertThat(CircuitBreakerPlugin.outcome(exchange(503, null, "127.0.0.1:9"))).isEqualTo(Outcome.FAILURE);
    assertThat(CircuitBreakerPlugin.outcome(exchange(502, "upstream_connect_failed", "127.0.0.1:9")))
        .isEqualTo(Outcome.FAILURE);
    assertThat(CircuitBreakerPlugin.outcome(exchange(502, "upstream_reset", "127.0.0.1:9"))).isEqualTo(Outcome.FAILURE);
    assertThat(CircuitBreakerPlugin.outcome(exchange(504, "upstream_timeout", null))).isEqualTo(Outcome.FAILURE);
    assertThat(CircuitBreakerPlugin.outcome(exchange(200, null, "127.0.0.1:9"))).isEqualTo(Outcome.SUCCESS);
    assertThat(CircuitBreakerPlugin.outcome(exchange(404, null, "127.0.0.1:9"))).isEqualTo(Outcome.SUCCESS);
  }

  /** Verifies that exchanges that never reached an upstream, and the breaker's own refusals, do not count. */
  @Test
  void localAnswersDoNotCount() {
    assertThat(CircuitBreakerPlugin.outcome(exchange(503, "circuit_open", null))).isEqualTo(Outcome.IGNORED);
    assertThat(CircuitBreakerPlugin.outcome(exchange(503, "no_healthy_endpoint", null))).isEqualTo(Outcome.IGNORED);
    assertThat(CircuitBreakerPlugin.outcome(exchange(503, "overflow", null))).isEqualTo(Outcome.IGNORED);
    assertThat(CircuitBreakerPlugin.outcome(exchange(429, "rate_limited", null))).isEqualTo(Outcome.IGNORED);
    assertThat(CircuitBreakerPlugin.outcome(exchange(499, "client_closed", "127.0.0.1:9"))).isEqualTo(Outcome.IGNORED);
    assertThat(CircuitBreakerPlugin.outcome(exchange(200, null, null))).as("a direct response").isEqualTo(Outcome.IGNORED);
  }
}
