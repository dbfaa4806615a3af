package io.meridian.common.store;

/**
 * A monotonic change index that never goes backwards across restarts, without a store write
 * of its own per change: a ceiling is persisted ahead of use, and a restart continues from it
 * (skipping at most {@link #STEP} indexes).
 *
 * <p>It also tracks the exact index of the last change its owner has made durable
 * ({@link #applied()}): every batch that carries a change carries it too ({@value #APPLIED_KEY}),
 * so it costs no write of its own and, unlike {@link #current()}, does not jump at a restart.
 * Replicas compare it to find the most advanced member (docs/cluster.md).
 *
 * <p>Not thread-safe: its owner's event loop uses it.
 */
public final class DurableIndex {

  /** How far ahead of the index the persisted ceiling runs. */
  public static final long STEP = 10_000;
  /** The key (in the owner's map) of the last durable change's index. */
  public static final String APPLIED_KEY = "index.applied";

  private final String map;
  private final String key;
  private long index;
  private long ceiling;
  private long applied;

  /**
   * Loads the index: the larger of the persisted ceiling and {@code highestSeen} (the highest
   * index found in the owner's durable records).
   *
   * @param map the store map holding the ceiling, {@code key} its key
   */
  public DurableIndex(Store store, String map, String key, long highestSeen) {
    this.map = map;
    this.key = key;
    String stored = store.get(map, key);
    this.index = Math.max(highestSeen, stored == null ? 0 : Long.parseLong(stored));
    this.ceiling = index;
    String storedApplied = store.get(map, APPLIED_KEY);
    // a store written before the key existed: the highest index its records show
    this.applied = storedApplied == null ? highestSeen : Long.parseLong(storedApplied);
  }

  /** The last index handed out (or loaded). */
  public long current() {
    return index;
  }

  /** The index of the last change recorded in a batch (and so durable once that batch is). */
  public long applied() {
    return applied;
  }

  /**
   * The next index, recorded in {@code batch} (the change's own batch, which must be written
   * before the index is published); when it reaches the persisted ceiling, a new ceiling is
   * added to the batch as well.
   */
  public long next(WriteBatch batch) {
    index++;
    record(index, batch);
    return index;
  }

  /**
   * Moves the index up to {@code taken} (an index another node handed out and this one now
   * holds), recorded in {@code batch} like {@link #next}. Never moves it down.
   */
  public void advanceTo(long taken, WriteBatch batch) {
    if (taken <= index) {
      return;
    }
    index = taken;
    record(index, batch);
  }

  /**
   * Sets the index to {@code installed} (a replica installed a snapshot taken at that index),
   * downwards too; the persisted ceiling stays where it is if higher.
   */
  public void resetTo(long installed, WriteBatch batch) {
    index = installed;
    record(installed, batch);
  }

  private void record(long idx, WriteBatch batch) {
    applied = idx;
    batch.put(map, APPLIED_KEY, Long.toString(idx));
    if (idx >= ceiling) {
      ceiling = idx + STEP;
      batch.put(map, key, Long.toString(ceiling));
    }
  }

  /** A batch persisting a fresh ceiling: write it once after loading, before handing out indexes. */
  public WriteBatch reserve() {
    ceiling = index + STEP;
    return new WriteBatch().put(map, key, Long.toString(ceiling));
  }
}
