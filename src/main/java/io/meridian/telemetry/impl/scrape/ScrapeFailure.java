package io.meridian.telemetry.impl.scrape;

/**
 * Why a scrape failed: {@link #result} is the {@code result} tag of
 * {@code meridian_telemetry_scrapes_total}, the message is what {@code /api/v1/telemetry/targets}
 * shows as the target's {@code lastError}.
 */
final class ScrapeFailure extends RuntimeException {

  static final String TIMEOUT = "timeout";
  static final String TOO_LARGE = "too_large";
  static final String PARSE_ERROR = "parse_error";
  static final String HTTP_ERROR = "http_error";
  static final String ERROR = "error";

  final String result;

  ScrapeFailure(String result, String message) {
    super(message, null, false, false);
    this.result = result;
  }
}
