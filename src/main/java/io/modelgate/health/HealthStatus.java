package io.modelgate.health;

import io.modelgate.grpcserver.ClientText;
import io.modelgate.health.v1.HealthCheckResponse.ServingStatus;
import java.util.Objects;
import java.util.Set;

/**
 * The answer for one health service name: its serving status and a one-line reason for people.
 * An immutable value; {@link ServingStatus#SERVICE_UNKNOWN} means no such service exists (gRPC
 * Check answers NOT_FOUND, HTTP answers 404).
 */
public record HealthStatus(String service, ServingStatus status, String reason) {
  private static final Set<ServingStatus> ALLOWED =
      Set.of(ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVICE_UNKNOWN);

  public HealthStatus {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(reason, "reason");
    if (!ALLOWED.contains(status)) {
      throw new IllegalArgumentException("status must be one of " + ALLOWED + ", got " + status);
    }
  }

  static HealthStatus serving(String service, String reason) {
    return new HealthStatus(service, ServingStatus.SERVING, reason);
  }

  static HealthStatus notServing(String service, String reason) {
    return new HealthStatus(service, ServingStatus.NOT_SERVING, reason);
  }

  static HealthStatus unknown(String service) {
    // The name is the client's: its echo in the reason is bounded.
    return new HealthStatus(
        service,
        ServingStatus.SERVICE_UNKNOWN,
        "unknown service " + ClientText.excerpt(service, HealthGrpcService.MAX_UNKNOWN_SERVICE_BYTES));
  }

  public boolean serving() {
    return status == ServingStatus.SERVING;
  }

  public boolean known() {
    return status != ServingStatus.SERVICE_UNKNOWN;
  }
}
