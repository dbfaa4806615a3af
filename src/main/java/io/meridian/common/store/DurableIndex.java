package io.meridian.common.store;

/**
 * A monotonic change index that never goes backwards across restarts, without a store write
 * per change: a ceiling is persisted ahead of use, and a restart continues from it (skipping at
 * most {@link #STEP} indexes). Not thread-safe: its owner's event loop uses it.
 */
public final class DurableIndex {

  /** How far ahead of the index the persisted ceiling runs. */
  public static final long STEP = 10_000;

  private final String map;
  private final String key;
  private long index;
  private long ceiling;

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
  }

  /** The last index handed out (or loaded). */
  public long current() {
    return index;
  }

  /**
   * The next index; when it reaches the persisted ceiling, a new ceiling is added to
   * {@code batch}, which must be written before the index is published.
   */
  public long next(WriteBatch batch) {
    index++;
    if (index >= ceiling) {
      ceiling = index + STEP;
      batch.put(map, key, Long.toString(ceiling));
    }
    return index;
  }

  /**
   * Moves the index up to {@code taken} (an index another node handed out and this one now
   * holds); like {@link #next}, adds a new ceiling to {@code batch} when needed. Never moves it
   * down.
   */
  public void advanceTo(long taken, WriteBatch batch) {
    if (taken <= index) {
      return;
    }
    index = taken;
    if (index >= ceiling) {
      ceiling = index + STEP;
      batch.put(map, key, Long.toString(ceiling));
    }
  }

  /**
   * Sets the index to {@code installed} (a replica installed a snapshot taken at that index),
   * downwards too; the persisted ceiling stays where it is if higher.
   */
  public void resetTo(long installed, WriteBatch batch) {
    index = installed;
    if (index >= ceiling) {
      ceiling = index + STEP;
      batch.put(map, key, Long.toString(ceiling));
    }
  }

  /** A batch persisting a fresh ceiling: write it once after loading, before handing out indexes. */
  public WriteBatch reserve() {
    ceiling = index + STEP;
    return new WriteBatch().put(map, key, Long.toString(ceiling));
  }
}
