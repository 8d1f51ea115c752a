package io.modelgate.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Slow-loris clients against an HTTP port: each connection sends a request line and one header,
 * then one more header line now and then, and never ends its headers. {@link #tick()} trickles a
 * line on every open connection and reopens those the server closed, so the attack keeps its
 * size for as long as it runs. Not thread-safe: one thread drives it.
 */
final class SlowLorisClients implements AutoCloseable {
  private static final byte[] START =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TRICKLE = "X-a: b\r\n".getBytes(StandardCharsets.US_ASCII);

  private final InetSocketAddress target;
  private final List<Socket> sockets = new ArrayList<>();
  private final AtomicLong opened = new AtomicLong();

  SlowLorisClients(InetSocketAddress target, int connections) {
    this.target = target;
    for (int i = 0; i < connections; i++) {
      sockets.add(null);
    }
  }

  /** Sends one more header line on each connection; reopens the ones that are gone. */
  void tick() {
    for (int i = 0; i < sockets.size(); i++) {
      Socket socket = sockets.get(i);
      try {
        if (socket == null || socket.isClosed()) {
          socket = new Socket();
          socket.connect(target, 1_000);
          sockets.set(i, socket);
          opened.incrementAndGet();
          socket.getOutputStream().write(START);
        } else {
          OutputStream out = socket.getOutputStream();
          out.write(TRICKLE);
          out.flush();
        }
      } catch (IOException e) {
        closeQuietly(socket);
        sockets.set(i, null);
      }
    }
  }

  /** Connections opened so far, first ones and reopened ones. */
  long opened() {
    return opened.get();
  }

  @Override
  public void close() {
    sockets.forEach(SlowLorisClients::closeQuietly);
    sockets.clear();
  }

  private static void closeQuietly(Socket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }
}
