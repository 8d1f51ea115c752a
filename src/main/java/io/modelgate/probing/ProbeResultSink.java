package io.modelgate.probing;

import io.modelgate.config.ModelConfig;
import io.modelgate.sources.ReplicaSet;
import java.util.List;

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

  /**
   * The probed replicas are now {@code set}: called before any outcome of a new replica, and
   * after the last outcome handed over for one that left (one still on its way is dropped by the
   * prober or, if it raced the change, must be ignored by the sink).
   */
  default void replicasChanged(ReplicaSet set) {}

  /**
   * The probed models are now {@code models}, with the same ordering guarantees as {@link
   * #replicasChanged}.
   */
  default void modelsChanged(List<ModelConfig> models) {}
}
