package io.modelgate.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive detection: when a replica the view calls READY for a model answers "Servable not
 * found" for it (the model left between two probes), that (replica, model) is re-probed at once
 * instead of at the next interval; the probe's NOT_FOUND then takes the replica out of routing.
 *
 * <p>Thread-safe. Never calls TF Serving itself and never waits: {@link Reprober} only starts a
 * probe, and a probe already pending for the key absorbs further reports, so a burst of failed
 * requests costs one probe and one log line.
 */
public final class PassiveDetector {
  private static final Logger log = LoggerFactory.getLogger(PassiveDetector.class);

  /** Starts an out-of-band probe; false when one is already pending for the key. */
  @FunctionalInterface
  public interface Reprober {
    boolean reprobe(String replicaId, String model);
  }

  private final HealthViewSource views;
  private final ReplicaIndex replicas;
  private final Reprober reprober;
  private final LongAdder observed = new LongAdder();
  private final LongAdder reprobes = new LongAdder();

  public PassiveDetector(HealthViewSource views, List<ReplicaConfig> replicas, Reprober reprober) {
    this.views = views;
    this.replicas = new ReplicaIndex(replicas);
    this.reprober = reprober;
  }

  void observe(ProcessingRequest request) {
    observed.increment();
    PassiveObservation.of(request, replicas)
        .filter(PassiveObservation::servableNotFound)
        .filter(this::readyInView)
        .ifPresent(this::reprobe);
  }

  /** Upstream answers seen since start. */
  public long observed() {
    return observed.sum();
  }

  /** Re-probes started since start. */
  public long reprobes() {
    return reprobes.sum();
  }

  private boolean readyInView(PassiveObservation observation) {
    ModelHealth model = views.current().models().get(observation.model());
    ReplicaHealth replica = model == null ? null : model.replicas().get(observation.replicaId());
    return replica != null && replica.ready();
  }

  private void reprobe(PassiveObservation observation) {
    boolean started;
    try {
      started = reprober.reprobe(observation.replicaId(), observation.model());
    } catch (IllegalArgumentException e) {
      return; // not a configured key: an Envoy with another modelgate's configuration
    }
    if (started) {
      reprobes.increment();
      log.info(
          "model={} replica={} answered Servable not found while READY: re-probing now",
          observation.model(),
          observation.replicaId());
    }
  }
}
