package io.meridian.telemetry;

import io.meridian.common.http.ApiModule;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * The telemetry REST resources (docs/telemetry.md), answered by the telemetry role over the bus
 * wherever it runs.
 */
public final class TelemetryHttpApi implements ApiModule {

  @Override
  public void mount(Router router, Vertx vertx) {
    TelemetryClient client = new TelemetryClient(vertx);
  }
}
