package io.meridian.gateway.impl.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP echo server on 127.0.0.1 for tests: echoes what it reads; when the client half-closes,
 * answers {@code END <bytes read>\n} and closes. Counts accepted connections. Its sockets have
 * small fixed buffers, so a relay in front of it that ignores backpressure shows.
 */
final class TcpBackend implements AutoCloseable {

  static final int BUFFER = 64 * 1024;

  final String name;
  final AtomicInteger accepted = new AtomicInteger();
  private final ServerSocket server;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "tcp-backend");
    t.setDaemon(true);
    return t;
  });

  TcpBackend(String name) throws IOException {
    this.name = name;
    server = new ServerSocket();
    server.setReceiveBufferSize(BUFFER);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    threads.execute(this::acceptLoop);
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        open.add(s);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSendBufferSize(BUFFER);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      byte[] buf = new byte[16 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        total += n;
      }
      out.write(("END " + total + "\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      // the client went away
    } finally {
      open.remove(s);
    }
  }

  @Override
  public void close() throws Exception {
    server.close();
    for (Socket s : open) {
      s.close();
    }
    threads.shutdownNow();
    threads.awaitTermination(5, TimeUnit.SECONDS);
  }
}
