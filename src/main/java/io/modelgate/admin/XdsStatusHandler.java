package io.modelgate.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.modelgate.xds.XdsStatus;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * {@code GET /xds} (control plane only): the xDS side as JSON, {@link XdsStatus}. Read-only and
 * thread-safe.
 */
public final class XdsStatusHandler implements HttpHandler {
  public static final String PATH = "/xds";

  private final Supplier<XdsStatus> status;

  public XdsStatusHandler(Supplier<XdsStatus> status) {
    this.status = status;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    JsonResponse.serveDocument(exchange, PATH, status);
  }
}
