package io.modelgate.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes one JSON document (plus a newline) as the whole response to an HTTP exchange, leaving
 * the body out for HEAD. Stateless and thread-safe; I/O errors go to the caller.
 */
public final class JsonResponse {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonResponse() {}

  /** Sends {@code status} with {@code body} serialised by Jackson; headers set before stay. */
  public static void send(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = encode(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    if ("HEAD".equalsIgnoreCase(exchange.getRequestMethod())) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * Answers 405 (with {@code Allow: GET, HEAD}) unless the request is a GET or a HEAD; true when
   * it did, so the caller stops there.
   */
  public static boolean rejectUnlessRead(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    if (method.equals("GET") || method.equals("HEAD")) {
      return false;
    }
    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
    send(exchange, 405, Map.of("error", "method not allowed"));
    return true;
  }

  /**
   * Serves a read-only JSON document at exactly {@code path}: 404 for any longer path under the
   * same context, 405 for a method other than GET or HEAD, else 200 with {@code body.get()}.
   */
  public static void serveDocument(HttpExchange exchange, String path, Supplier<?> body)
      throws IOException {
    if (!exchange.getRequestURI().getRawPath().equals(path)) {
      AdminHttpServer.notFound(exchange);
      return;
    }
    if (rejectUnlessRead(exchange)) {
      return;
    }
    send(exchange, 200, body.get());
  }

  private static byte[] encode(Object body) throws JsonProcessingException {
    return (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
