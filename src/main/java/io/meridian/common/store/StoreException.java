package io.meridian.common.store;

/** The store cannot be opened or cannot write (locked, corrupt, disk full, closed). */
public final class StoreException extends RuntimeException {

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
