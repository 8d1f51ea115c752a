package io.modelgate.routing;

import java.util.Map;

/**
 * TF Serving's "Servable not found" answer, which a replica gives when the model has just left it:
 * REST status {@value #HTTP_STATUS}, or gRPC status {@value #GRPC_STATUS} (NOT_FOUND), which TF
 * Serving sends trailers-only, so {@code grpc-status} is among the response headers. Envoy's
 * routes retry it on another replica, and the passive observer takes it as a sign that the view
 * is behind. Stateless.
 */
public final class ServableNotFound {
  public static final int HTTP_STATUS = 404;

  public static final int GRPC_STATUS = 5;

  private static final String HTTP_TEXT = Integer.toString(HTTP_STATUS);
  private static final String GRPC_TEXT = Integer.toString(GRPC_STATUS);

  private ServableNotFound() {}

  /** Whether a try's response headers (lower-case names, {@code :status} included) are this answer. */
  public static boolean in(Map<String, String> responseHeaders) {
    return HTTP_TEXT.equals(responseHeaders.get(":status"))
        || GRPC_TEXT.equals(responseHeaders.get("grpc-status"));
  }
}
