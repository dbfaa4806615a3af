package io.meridian.telemetry.impl.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The scrape body buffer: doubling growth that stays within the size limit. */
class HttpFetcherAccumulatorTest {

  /**
   * Verifies that a streamed body just under a size limit that is not a power of two is held in
   * an array of at most the limit (doubling from 64 KiB would otherwise allocate 16 MiB for a
   * 10 MB limit), with every byte kept in order.
   */
  @Test
  void growthNeverAllocatesBeyondTheLimit() {
    long limit = 10_000_000;
    HttpFetcher.Accumulator body = new HttpFetcher.Accumulator(64 * 1024, limit);
    byte[] chunk = new byte[16 * 1024];
    long appended = 0;
    while (appended + chunk.length <= limit) {
      Arrays.fill(chunk, (byte) (appended / chunk.length));
      body.append(Buffer.buffer(chunk));
      appended += chunk.length;
      assertThat((long) body.bytes.length).isLessThanOrEqualTo(limit);
    }
    body.append(Buffer.buffer(new byte[(int) (limit - appended)]));
    assertThat(body.length).isEqualTo((int) limit);
    assertThat((long) body.bytes.length).isEqualTo(limit);
    assertThat(body.bytes[chunk.length * 3]).isEqualTo((byte) 3);
  }

  /** Verifies that a limit smaller than the initial capacity bounds the first allocation too. */
  @Test
  void aSmallLimitBoundsTheFirstArray() {
    HttpFetcher.Accumulator body = new HttpFetcher.Accumulator(64 * 1024, 100);
    assertThat(body.bytes).hasSize(100);
    body.append(Buffer.buffer(new byte[100]));
    assertThat(body.length).isEqualTo(100);
  }
}
