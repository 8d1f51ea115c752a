package io.modelgate.view;

import io.modelgate.config.ModelConfig;
import io.modelgate.sources.ReplicaSet;
import java.util.List;


/**
 * Hears about changes in the readiness of one model on one replica. Called on the readiness
 * cache's writer thread, once for the first outcome of each key and then once per change of
 * state, available versions or reason; it must hand the change over without blocking.
 */
public interface ReadinessListener {

  void readinessChanged(String model, ReplicaHealth health);

  /**
   * The replicas are now {@code set}: before any readiness of a replica that joined, after the
   * last of one that left.
   */
  void replicasChanged(ReplicaSet set);

  /** The models are now {@code models}: before any readiness of a new one, after the last of a removed one. */
  void modelsChanged(List<ModelConfig> models);
}
