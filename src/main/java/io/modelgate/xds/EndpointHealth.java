package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.ReplicaHealth;

/**
 * How a replica's readiness becomes an EDS {@code health_status}. Endpoints are never removed
 * for being unhealthy, so Envoy keeps their connection pools across a model reload.
 */
final class EndpointHealth {
  private EndpointHealth() {}

  /** For a model's own cluster: READY serves, DRAINING finishes in-flight work, the rest waits. */
  static HealthStatus forModel(ReplicaHealth replica) {
    return switch (replica.state()) {
      case READY -> HealthStatus.HEALTHY;
      case DRAINING -> HealthStatus.DRAINING;
      default -> HealthStatus.UNHEALTHY;
    };
  }

  /**
   * For a version's cluster: healthy only while TF Serving reports that version AVAILABLE on a
   * replica that is answering (a replica we cannot reach keeps no version).
   */
  static HealthStatus forVersion(ReplicaHealth replica, long version) {
    boolean answering =
        replica.state() != ReplicaState.UNREACHABLE && replica.state() != ReplicaState.UNKNOWN;
    return answering && replica.availableVersions().contains(version)
        ? HealthStatus.HEALTHY
        : HealthStatus.UNHEALTHY;
  }
}
