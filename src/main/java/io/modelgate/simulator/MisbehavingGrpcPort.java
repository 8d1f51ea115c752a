package io.modelgate.simulator;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A raw HTTP/2 responder that takes over a simulated replica's gRPC port while it misbehaves: it
 * speaks just enough HTTP/2 (preface, SETTINGS and their ACK, PING, connection flow control) to
 * answer every request stream the wrong way its {@link Misbehaviour} says, or sends bytes that
 * are not HTTP/2 at all. grpc-java cannot do this: it always answers with well-formed frames,
 * {@code content-type: application/grpc} and a status.
 *
 * <p>One thread accepts and one thread per connection serves, all from the simulator's worker
 * pool; {@link #close()} closes the listening socket and every open connection. A client that
 * misbehaves in turn (bad preface, early close) just loses its connection.
 */
final class MisbehavingGrpcPort implements AutoCloseable {
  /** What the HUGE_BODY message frame announces: 64 MiB. */
  static final int HUGE_MESSAGE_BYTES = 64 << 20;

  private static final Logger log = LoggerFactory.getLogger(MisbehavingGrpcPort.class);
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int DATA = 0x0;
  private static final int HEADERS = 0x1;
  private static final int RST_STREAM = 0x3;
  private static final int SETTINGS = 0x4;
  private static final int PING = 0x6;
  private static final int GOAWAY = 0x7;
  private static final int WINDOW_UPDATE = 0x8;
  private static final int FLAG_ACK = 0x1;
  private static final int FLAG_END_STREAM = 0x1;
  private static final int FLAG_END_HEADERS = 0x4;
  private static final int INTERNAL_ERROR = 0x2;

  private final String replicaId;
  private final Misbehaviour how;
  private final ServerSocket listener;
  private final Executor workers;
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();

  private MisbehavingGrpcPort(String replicaId, Misbehaviour how, ServerSocket listener, Executor workers) {
    this.replicaId = replicaId;
    this.how = how;
    this.listener = listener;
    this.workers = workers;
  }

  /** Binds {@code host:port} (the port the gRPC server just left) and starts answering. */
  static MisbehavingGrpcPort start(
      String replicaId, String host, int port, Misbehaviour how, Executor workers) throws IOException {
    ServerSocket listener = new ServerSocket();
    listener.setReuseAddress(true);
    try {
      listener.bind(new InetSocketAddress(host, port), 128);
    } catch (IOException e) {
      listener.close();
      throw e;
    }
    MisbehavingGrpcPort responder = new MisbehavingGrpcPort(replicaId, how, listener, workers);
    workers.execute(responder::acceptLoop);
    return responder;
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      Socket connection;
      try {
        connection = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      connections.add(connection);
      if (listener.isClosed()) {
        // Accepted while close() ran, perhaps after it closed the others: it would misbehave on.
        closeQuietly(connection);
        return;
      }
      workers.execute(() -> serve(connection));
    }
  }

  private void serve(Socket connection) {
    try (connection) {
      connection.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(new BufferedInputStream(connection.getInputStream()));
      OutputStream out = new BufferedOutputStream(connection.getOutputStream());
      byte[] preface = new byte[PREFACE.length];
      in.readFully(preface);
      if (!Arrays.equals(preface, PREFACE)) {
        return;
      }
      if (how == Misbehaviour.GARBAGE_BYTES) {
        out.write(MisbehavingRestHandler.GARBAGE);
        out.flush();
        // Let the client read the garbage and hang up itself: closing with its frames unread
        // would send a TCP reset that may overtake the garbage.
        connection.shutdownOutput();
        while (in.read() >= 0) {
          // drain
        }
        return;
      }
      writeFrame(out, SETTINGS, 0, 0, new byte[0]);
      out.flush();
      serveFrames(in, out);
    } catch (EOFException e) {
      // The client hung up.
    } catch (IOException e) {
      log.debug("{}: misbehaving gRPC connection ended: {}", replicaId, e.getMessage());
    } finally {
      connections.remove(connection);
    }
  }

  private void serveFrames(DataInputStream in, OutputStream out) throws IOException {
    while (true) {
      int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      int stream = in.readInt() & 0x7fffffff;
      byte[] payload = in.readNBytes(length);
      if (payload.length < length) {
        return;
      }
      switch (type) {
        case SETTINGS -> {
          if ((flags & FLAG_ACK) == 0) {
            writeFrame(out, SETTINGS, FLAG_ACK, 0, new byte[0]);
          }
        }
        case PING -> {
          if ((flags & FLAG_ACK) == 0) {
            writeFrame(out, PING, FLAG_ACK, 0, payload);
          }
        }
        // Give the connection window back, so that many small requests never stall the client.
        case DATA -> {
          if (length > 0) {
            writeFrame(out, WINDOW_UPDATE, 0, 0, int32(length));
          }
        }
        case HEADERS -> answer(out, stream);
        case GOAWAY -> {
          return;
        }
        default -> {
          // WINDOW_UPDATE, RST_STREAM, PRIORITY, CONTINUATION: nothing to answer.
        }
      }
      out.flush();
    }
  }

  private void answer(OutputStream out, int stream) throws IOException {
    switch (how) {
      case RESET_STREAMS -> writeFrame(out, RST_STREAM, 0, stream, int32(INTERNAL_ERROR));
      case WRONG_CONTENT_TYPE -> {
        writeFrame(out, HEADERS, FLAG_END_HEADERS, stream, responseHeaders("text/html"));
        writeFrame(
            out, DATA, FLAG_END_STREAM, stream, MisbehavingRestHandler.HTML_PAGE.getBytes(StandardCharsets.UTF_8));
      }
      case HUGE_BODY -> {
        writeFrame(out, HEADERS, FLAG_END_HEADERS, stream, responseHeaders("application/grpc"));
        // A gRPC message: uncompressed flag, 4-byte length, then the first KiB of it.
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.write(0);
        message.write(int32(HUGE_MESSAGE_BYTES));
        message.write(new byte[1024]);
        writeFrame(out, DATA, 0, stream, message.toByteArray());
      }
      case GARBAGE_BYTES -> throw new IllegalStateException("garbage is sent before any frame");
    }
  }

  /**
   * An HPACK block with {@code :status: 200} (static table entry 8) and {@code content-type}
   * (static name 31) as a literal without indexing, so no dynamic table is involved.
   */
  private static byte[] responseHeaders(String contentType) {
    byte[] value = contentType.getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    block.write(0x88);
    block.write(0x0f);
    block.write(31 - 15);
    block.write(value.length);
    block.writeBytes(value);
    return block.toByteArray();
  }

  private static void writeFrame(OutputStream out, int type, int flags, int stream, byte[] payload)
      throws IOException {
    out.write(payload.length >>> 16);
    out.write(payload.length >>> 8);
    out.write(payload.length);
    out.write(type);
    out.write(flags);
    out.write(int32(stream));
    out.write(payload);
  }

  private static byte[] int32(int value) {
    return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      log.debug("{}: closing the misbehaving gRPC port: {}", replicaId, e.getMessage());
    }
    connections.forEach(MisbehavingGrpcPort::closeQuietly);
  }

  private static void closeQuietly(Socket connection) {
    try {
      connection.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }
}
