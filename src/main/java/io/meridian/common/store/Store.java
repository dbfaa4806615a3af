package io.meridian.common.store;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Meridian's durable key-value store: named maps of string keys to string values (JSON
 * documents, by convention).
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #write} applies a whole batch atomically and completes its future only once
 *       the batch is durable (fsynced): an acknowledged write survives {@code kill -9} and
 *       power loss; a write torn by a crash is never visible after reopening.</li>
 *   <li>Reads are served from memory or the page cache and may be called on event loops.</li>
 *   <li>One process owns a store at a time; a second opener fails with {@link StoreException}.</li>
 * </ul>
 * Futures complete on the Vert.x context that called {@code write}, when there is one.
 */
public interface Store extends AutoCloseable {

  /** The value of {@code key} in {@code map}, or {@code null}. */
  String get(String map, String key);

  /** Entries of {@code map} whose key starts with {@code prefix} ({@code ""} = all), in key order. */
  List<Map.Entry<String, String>> list(String map, String prefix);

  /** Number of entries in {@code map}. */
  long size(String map);

  /** Applies {@code batch} atomically; the future completes when it is durable. */
  Future<Void> write(WriteBatch batch);

  /** Writes one key. */
  default Future<Void> put(String map, String key, String value) {
    return write(new WriteBatch().put(map, key, value));
  }

  /** Deletes one key (no-op when absent). */
  default Future<Void> delete(String map, String key) {
    return write(new WriteBatch().delete(map, key));
  }

  /** Waits for pending writes, then closes; later writes fail. Idempotent. */
  @Override
  void close();
}
