package io.modelgate.probing;

/**
 * Receives every probe outcome. Called from network callback threads, possibly concurrently, so
 * an implementation must hand the outcome over without blocking (the prober never waits on it).
 */
@FunctionalInterface
public interface ProbeResultSink {

  void accept(String replicaId, String model, ProbeOutcome outcome);

  /**
   * Envoy gave up on a try to the replica without an answer (see {@link Prober#failedInTraffic}):
   * weaker than a failed probe, so a sink that only trusts probes ignores it.
   */
  default void failedInTraffic(String replicaId, String model, String reason) {}
}
