package io.modelgate.app;

import io.modelgate.admin.AdminHandler;
import io.modelgate.admin.AdminResponse;
import io.modelgate.health.HealthHttpHandler;
import java.util.HashMap;
import java.util.Map;

/**
 * Serves the health package's plain answers as admin HTTP routes, so neither consumer imports
 * the other: a path the health answers do not name gets the admin server's JSON 404.
 */
public final class AdminRoutes {
  private AdminRoutes() {}

  /** {@code /healthz} and {@code /readyz...} as admin routes, keyed by prefix. */
  public static Map<String, AdminHandler> health(HealthHttpHandler health) {
    AdminHandler handler =
        request ->
            health
                .answer(request.rawPath())
                .map(answer -> AdminResponse.json(answer.status(), answer.body()))
                .orElseGet(AdminResponse::notFound);
    Map<String, AdminHandler> routes = new HashMap<>();
    HealthHttpHandler.PREFIXES.forEach(prefix -> routes.put(prefix, handler));
    return routes;
  }
}
