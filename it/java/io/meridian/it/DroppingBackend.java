package io.meridian.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A broken backend: it accepts TCP connections on 127.0.0.1 and closes each at once without
 * answering (a process that crashes on every request). Counts the connections it accepted.
 */
public final class DroppingBackend implements AutoCloseable {

  private final ServerSocket socket;
  private final AtomicInteger accepted = new AtomicInteger();
  private final Thread acceptor;

  private DroppingBackend() throws IOException {
    socket = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::run, "dropping-backend-" + socket.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static DroppingBackend start() throws IOException {
    return new DroppingBackend();
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** Connections accepted (and dropped) so far. */
  public int accepted() {
    return accepted.get();
  }

  private void run() {
    while (!socket.isClosed()) {
      try (Socket s = socket.accept()) {
        accepted.incrementAndGet();
        s.setSoLinger(true, 0); // reset, as a crashed process's socket
      } catch (IOException closed) {
        // closed by close(), or the peer went away first
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    socket.close();
    acceptor.join(5000);
  }
}
