package io.meridian.it;

import io.meridian.common.store.WriteBatch;
import io.meridian.common.store.embedded.EmbeddedStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child process of {@link StoreCrashIT}: writes to the store from several threads as fast as
 * it can and prints {@code ack <id>} for each write the store acknowledged, until killed.
 * Writes are single keys {@code k<id>} and three-key batches {@code b<id>-0..2}. Arguments:
 * data directory, first id, and optionally the compaction policy's minimum file size and
 * growth factor (to make the store compact itself often).
 */
public final class StoreCrashWriter {

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long first = Long.parseLong(args[1]);
    EmbeddedStore.Compaction compaction = args.length > 3
        ? new EmbeddedStore.Compaction(Long.parseLong(args[2]), Double.parseDouble(args[3]))
        : EmbeddedStore.Compaction.DEFAULT;
    EmbeddedStore store = EmbeddedStore.open(dir, null, compaction);
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
    AtomicLong next = new AtomicLong(first);
    synchronized (out) {
      out.println("open");
      out.flush();
    }
    for (int t = 0; t < 4; t++) {
      Thread writer = new Thread(() -> {
        while (true) {
          long id = next.getAndIncrement();
          WriteBatch batch = new WriteBatch();
          if (id % 2 == 0) {
            batch.put("crash", "k" + id, value(id));
          } else {
            for (int i = 0; i < 3; i++) {
              batch.put("crash", "b" + id + "-" + i, value(id));
            }
          }
          try {
            store.write(batch).toCompletionStage().toCompletableFuture().get();
          } catch (Exception e) {
            return;
          }
          synchronized (out) {
            out.println("ack " + id);
            out.flush();
          }
        }
      });
      writer.start();
    }
    Thread.sleep(Long.MAX_VALUE);
  }

  /** The value written for {@code id}: long enough that chunks span several pages. */
  static String value(long id) {
    return ("value-" + id + "-").repeat(8);
  }

  private StoreCrashWriter() {
  }
}
