package io.modelgate.health;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP twins of the gRPC health services, as plain answers that the wiring serves over HTTP:
 * {@code /healthz} is {@value HealthService#LIVENESS}, {@code /readyz} is
 * {@value HealthService#READINESS} and {@code /readyz/<model>} one model (URL-decoded). Each answer
 * is 200 when SERVING, 503 when not, 404 for an unknown model, with the body
 * {@code {"service":..,"status":..,"reason":..}}.
 *
 * <p>Thread-safe and stateless: every answer comes from {@link HealthService#statusOf}, the same
 * call gRPC Check makes, so the two cannot disagree. It knows nothing of HTTP servers, methods or
 * connections.
 */
public final class HealthHttpHandler {
  public static final String HEALTHZ = "/healthz";
  public static final String READYZ = "/readyz";
  /** The path prefixes whose requests {@link #answer} is for. */
  public static final List<String> PREFIXES = List.of(HEALTHZ, READYZ);
  private static final String READYZ_MODEL = READYZ + "/";

  private final HealthService health;

  public HealthHttpHandler(HealthService health) {
    this.health = Objects.requireNonNull(health, "health");
  }

  /**
   * The answer to a GET of {@code rawPath}, or empty when the path names none of the health
   * services (the caller's 404).
   *
   * @param rawPath the request path still percent-encoded; its escapes must be well formed
   * @throws IllegalArgumentException when an escape in the model name is malformed
   */
  public Optional<Answer> answer(String rawPath) {
    return serviceFor(rawPath).map(this::answerFor);
  }

  private Answer answerFor(String service) {
    HealthStatus status = health.statusOf(service);
    int code = status.serving() ? 200 : status.known() ? 503 : 404;
    return new Answer(code, new Body(status.service(), status.status().name(), status.reason()));
  }

  /** The health service a path names, or empty when it names none of ours. */
  private static Optional<String> serviceFor(String rawPath) {
    if (rawPath.equals(HEALTHZ)) {
      return Optional.of(HealthService.LIVENESS);
    }
    if (rawPath.equals(READYZ)) {
      return Optional.of(HealthService.READINESS);
    }
    if (rawPath.startsWith(READYZ_MODEL) && rawPath.length() > READYZ_MODEL.length()) {
      String encoded = rawPath.substring(READYZ_MODEL.length());
      // A '+' in a path is a plus sign, not the space of form encoding.
      return Optional.of(URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8));
    }
    return Optional.empty();
  }

  /** An HTTP status code and the JSON body to send with it. */
  public record Answer(int status, Body body) {}

  /** The JSON body, in wire order. */
  public record Body(String service, String status, String reason) {}
}
