package io.modelgate.admin;

import java.time.Duration;

/**
 * What one client may hold on the admin port. A connection has {@code requestTimeout} from
 * opening, or {@code idleTimeout} from its last answer, to send one whole request (line, headers
 * and body); {@code maxConnections} are open at most, and a new one beyond that closes the
 * connection that has waited longest for its request; a request line, its headers and a body
 * are bounded in bytes.
 */
public record AdminHttpLimits(
    Duration requestTimeout,
    Duration idleTimeout,
    int maxConnections,
    int maxRequestLine,
    int maxHeaders,
    int maxBody) {
  /** Kubernetes probes send one small GET per connection; an operator's curl the same. */
  public static final AdminHttpLimits DEFAULTS =
      new AdminHttpLimits(Duration.ofSeconds(5), Duration.ofSeconds(30), 128, 4096, 8192, 1024);

  public AdminHttpLimits {
    if (requestTimeout.isNegative() || requestTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("admin HTTP timeouts must be positive");
    }
    if (maxConnections < 1 || maxRequestLine < 1 || maxHeaders < 1 || maxBody < 0) {
      throw new IllegalArgumentException("admin HTTP bounds must be positive");
    }
  }
}
