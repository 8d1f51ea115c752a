package io.modelgate.simulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The REST port of a simulated replica with an optional {@link Misbehaviour}: while one is set,
 * every request (status and predict alike) gets that wrong answer, stamped with the replica id so
 * a test can tell who sent it; otherwise the request goes to the well-behaved handler.
 * Thread-safe: the mode is a volatile field read once per request.
 */
final class MisbehavingRestHandler implements HttpHandler {
  static final int HUGE_BODY_BYTES = 8 << 20;
  static final String HTML_PAGE =
      "<html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n";
  /** Starts with a NUL and continues with bytes that are not UTF-8: no JSON parser takes it. */
  static final byte[] GARBAGE = garbage();

  private final String replicaId;
  private final HttpHandler wellBehaved;
  private volatile Misbehaviour misbehaviour;

  MisbehavingRestHandler(String replicaId, HttpHandler wellBehaved) {
    this.replicaId = replicaId;
    this.wellBehaved = wellBehaved;
  }

  /** {@code null} behaves again. */
  void misbehave(Misbehaviour how) {
    this.misbehaviour = how;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    Misbehaviour how = misbehaviour;
    if (how == null) {
      wellBehaved.handle(exchange);
      return;
    }
    try {
      exchange.getRequestBody().readAllBytes();
      switch (how) {
        case GARBAGE_BYTES -> send(exchange, "application/json", GARBAGE);
        case HUGE_BODY -> sendHuge(exchange);
        case WRONG_CONTENT_TYPE -> send(exchange, "text/html", HTML_PAGE.getBytes(StandardCharsets.UTF_8));
        // Closing an exchange before its response headers closes the connection: the client
        // sees its request swallowed and the connection gone.
        case RESET_STREAMS -> exchange.close();
      }
    } catch (IOException e) {
      exchange.close();
    }
  }

  private void send(HttpExchange exchange, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set(TfServingWire.REPLICA_ID_HEADER, replicaId);
    try (OutputStream out = exchange.getResponseBody()) {
      exchange.sendResponseHeaders(200, body.length);
      out.write(body);
    }
  }

  private void sendHuge(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set(TfServingWire.REPLICA_ID_HEADER, replicaId);
    byte[] chunk = new byte[64 << 10];
    Arrays.fill(chunk, (byte) 'x');
    try (OutputStream out = exchange.getResponseBody()) {
      exchange.sendResponseHeaders(200, HUGE_BODY_BYTES);
      for (int sent = 0; sent < HUGE_BODY_BYTES; sent += chunk.length) {
        out.write(chunk);
      }
    }
  }

  private static byte[] garbage() {
    byte[] bytes = new byte[64];
    for (int i = 0; i < bytes.length; i++) {
      // NUL first, then a fixed spread of high bytes: deterministic, and never valid UTF-8 JSON.
      bytes[i] = i == 0 ? 0 : (byte) (0x80 | (i * 37 & 0x7f));
    }
    return bytes;
  }
}
