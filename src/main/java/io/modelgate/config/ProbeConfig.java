package io.modelgate.config;

import java.time.Duration;

/**
 * How often and how patiently replicas are probed, and how many consecutive answers it takes to
 * change a replica's readiness.
 *
 * @param interval time between two probes of the same (replica, model)
 * @param timeout deadline of one probe call
 * @param healthyThreshold consecutive READY answers before a replica is routed to
 * @param unhealthyThreshold consecutive failed probes before a READY replica is UNREACHABLE
 * @param staleness age of the last answer after which a replica's state is UNKNOWN
 * @param maxConcurrency probe calls in flight at once, over all replicas
 * @param jitter fraction of the interval by which each probe start is spread (0 to 0.5)
 * @param startupTimeout longest wait for the first full probe round before publishing anyway
 * @param urgentInterval time between two probes of a key whose model is wanted but not served
 *     yet (requests waiting, loading, or its replica just answered again); at most {@code
 *     interval}
 */
public record ProbeConfig(
    Duration interval,
    Duration timeout,
    int healthyThreshold,
    int unhealthyThreshold,
    Duration staleness,
    int maxConcurrency,
    double jitter,
    Duration startupTimeout,
    Duration urgentInterval) {

  public static ProbeConfig defaults() {
    return new ProbeConfig(
        Duration.ofSeconds(1),
        Duration.ofMillis(500),
        1,
        2,
        Duration.ofSeconds(5),
        256,
        0.1,
        Duration.ofSeconds(10),
        Duration.ofMillis(100));
  }
}
