package io.meridian.telemetry.impl.scrape;

/** A scraped body: {@code length} bytes of {@code bytes}, and the content type that decides the format. */
record Body(byte[] bytes, int length, String contentType) {
}
