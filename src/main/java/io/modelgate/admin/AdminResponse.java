package io.modelgate.admin;

import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * One admin answer: a status code, a body that Jackson writes as one JSON line, and extra
 * headers. {@link AdminHttpServer} adds {@code Content-Type: application/json} and
 * {@code Cache-Control: no-store}, and leaves the body out for HEAD.
 */
public record AdminResponse(int status, Object body, Map<String, String> headers) {
  public AdminResponse {
    Objects.requireNonNull(body, "body");
    headers = Map.copyOf(headers);
  }

  public static AdminResponse json(int status, Object body) {
    return new AdminResponse(status, body, Map.of());
  }

  /** {@code {"error": message}} with {@code status}. */
  public static AdminResponse error(int status, String message) {
    return json(status, Map.of("error", message));
  }

  /** The JSON 404 for any path no route claims. */
  public static AdminResponse notFound() {
    return error(404, "not found");
  }

  /** The JSON 405 for a method other than GET or HEAD, with {@code Allow: GET, HEAD}. */
  public static AdminResponse methodNotAllowed() {
    return new AdminResponse(405, Map.of("error", "method not allowed"), Map.of("Allow", "GET, HEAD"));
  }

  /**
   * A read-only JSON document at exactly {@code path}: 404 for any longer path under the same
   * prefix, else 200 with {@code body.get()}.
   */
  public static AdminResponse document(AdminRequest request, String path, Supplier<?> body) {
    return request.rawPath().equals(path) ? json(200, body.get()) : notFound();
  }
}
