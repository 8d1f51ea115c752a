package io.modelgate.bench;

import io.modelgate.bench.ChaosPlan.Action;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Carries out a {@link ChaosPlan} on simulated replicas and writes down in a {@link ChaosOracle}
 * what it made true and when: a loss is stamped just before the replica is told, a gain just
 * after (a load's AVAILABLE at the moment the simulator was asked to reach it), so the oracle
 * never calls a request servable that was not. Runs on one thread; stops when interrupted.
 */
final class ChaosChurn {
  private final ChaosPlan plan;
  private final Simulator simulator;
  private final ChaosOracle oracle;
  private final List<String> models;

  ChaosChurn(ChaosPlan plan, Simulator simulator, ChaosOracle oracle, List<String> models) {
    this.plan = plan;
    this.simulator = simulator;
    this.oracle = oracle;
    this.models = models;
  }

  /** The initial placement, AVAILABLE at once and since forever; before any traffic. */
  void place() {
    plan.initial().forEach((replica, placed) -> {
      for (String model : placed) {
        simulator.replica(replica).loadModel(model, 1, Duration.ZERO);
        oracle.available(replica, model, Long.MIN_VALUE);
      }
    });
  }

  /** Each action at its offset from {@code originNanos}, in order; returns early if interrupted. */
  void run(long originNanos) {
    for (Action action : plan.actions()) {
      long wait = originNanos + action.atMillis() * 1_000_000 - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
      apply(action);
    }
  }

  private void apply(Action action) {
    SimulatedReplica replica = simulator.replica(action.replica());
    String id = action.replica();
    switch (action.kind()) {
      case LOAD -> {
        replica.loadModel(action.model(), 1, Duration.ofMillis(action.loadMillis()));
        oracle.available(id, action.model(), System.nanoTime() + action.loadMillis() * 1_000_000);
      }
      case UNLOAD -> {
        oracle.unavailable(id, action.model(), System.nanoTime());
        replica.unloadModel(action.model(), 1, Duration.ZERO);
      }
      case HANG -> {
        oracle.hung(id, System.nanoTime());
        replica.hang(true);
      }
      case UNHANG -> {
        replica.hang(false);
        oracle.unhung(id, System.nanoTime());
      }
      case KILL -> {
        long now = System.nanoTime();
        oracle.down(id, now);
        models.forEach(m -> oracle.unavailable(id, m, now));
        replica.stop();
      }
      case REVIVE -> {
        // A restarted TF Serving knows nothing until it has loaded its models again.
        models.forEach(replica::dropModel);
        replica.start();
        oracle.up(id, System.nanoTime());
        action.reloads().forEach((model, millis) -> {
          replica.loadModel(model, 1, Duration.ofMillis(millis));
          oracle.available(id, model, System.nanoTime() + millis * 1_000_000);
        });
      }
    }
  }
}
