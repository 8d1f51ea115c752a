package io.modelgate.extproc;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * A gRPC call's {@code grpc-timeout} header as the gRPC over HTTP/2 spec writes it: at most 8
 * digits and a unit ({@code H M S m u n}). The gateway filter holds a call no longer than this, so
 * the client gets modelgate's answer rather than its own deadline. Stateless.
 */
final class GrpcTimeout {
  private static final int MAX_DIGITS = 8;

  private GrpcTimeout() {}

  /** The timeout, or empty for an absent or malformed header (then the hold alone bounds it). */
  static Optional<Duration> parse(String value) {
    if (value == null || value.length() < 2 || value.length() > MAX_DIGITS + 1) {
      return Optional.empty();
    }
    long amount = 0;
    for (int i = 0; i < value.length() - 1; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return Optional.empty();
      }
      amount = amount * 10 + (c - '0');
    }
    ChronoUnit unit =
        switch (value.charAt(value.length() - 1)) {
          case 'H' -> ChronoUnit.HOURS;
          case 'M' -> ChronoUnit.MINUTES;
          case 'S' -> ChronoUnit.SECONDS;
          case 'm' -> ChronoUnit.MILLIS;
          case 'u' -> ChronoUnit.MICROS;
          case 'n' -> ChronoUnit.NANOS;
          default -> null;
        };
    return unit == null ? Optional.empty() : Optional.of(Duration.of(amount, unit));
  }
}
