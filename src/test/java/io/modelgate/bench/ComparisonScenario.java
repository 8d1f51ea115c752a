package io.modelgate.bench;

import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The scripted scenario every setup of the comparison benchmark runs against fresh simulated
 * replicas: 4 replicas, models a, b and c (version 1 on every replica), then a rolling upgrade of
 * a to version 2, b unloaded from r1, r2 hanging and recovering, r3 restarting and reloading its
 * models slowly, and c failing to load on r0. Each step's script runs on its own thread while the
 * load runs for the step's length; it records the moments routing should follow ({@link Event}).
 */
final class ComparisonScenario {
  static final List<String> MODELS = List.of("a", "b", "c");
  static final int REPLICAS = 4;
  private static final Duration LOAD = Duration.ofMillis(1500);
  private static final Duration UNLOAD = Duration.ofMillis(1000);
  private static final Duration SLOW_RELOAD = Duration.ofSeconds(4);

  /**
   * A change routing should follow: from {@code atNanos}, {@code replica} should get ({@code in})
   * or stop getting traffic for {@code model}.
   */
  record Event(String step, String model, String replica, boolean in, long atNanos) {}

  /** A step: its name, how long the load runs, and what happens to the replicas meanwhile. */
  record Step(String name, Duration length, Script script) {}

  @FunctionalInterface
  interface Script {
    void run(Simulator simulator, Events events);
  }

  /** Where a script records its events; thread-safe. */
  static final class Events {
    private final List<Event> events = Collections.synchronizedList(new ArrayList<>());
    private String step = "";

    void step(String name) {
      step = name;
    }

    void out(String model, String replica) {
      events.add(new Event(step, model, replica, false, System.nanoTime()));
    }

    void in(String model, String replica, long atNanos) {
      events.add(new Event(step, model, replica, true, atNanos));
    }

    List<Event> all() {
      synchronized (events) {
        return List.copyOf(events);
      }
    }
  }

  private ComparisonScenario() {}

  /** Four replicas with every model at version 1, AVAILABLE before the first probe. */
  static SimulatorOptions replicas() {
    SimulatorOptions options =
        SimulatorOptions.defaults().withReplicas(REPLICAS).withLoadTime(LOAD).withUnloadTime(UNLOAD);
    for (String model : MODELS) {
      options = options.withModel(model, 1);
    }
    return options;
  }

  /** The steady step alone: what the latency baseline runs. */
  static Step steady() {
    return new Step("steady: every model on every replica", Duration.ofSeconds(8), (sim, events) -> {});
  }

  static List<Step> steps() {
    return List.of(
        steady(),
        new Step(
            "rolling upgrade of a to v2, replica by replica",
            Duration.ofSeconds(14),
            (sim, events) -> {
              for (SimulatedReplica replica : sim.replicas()) {
                replica.rollTo("a", 2);
                pause(Duration.ofMillis(3000));
              }
            }),
        new Step(
            "b unloaded from r1",
            Duration.ofSeconds(7),
            (sim, events) -> {
              events.out("b", "r1");
              sim.replica("r1").unloadModel("b", 1);
            }),
        new Step(
            "r2 hangs",
            Duration.ofSeconds(7),
            (sim, events) -> {
              MODELS.forEach(m -> events.out(m, "r2"));
              sim.replica("r2").hang(true);
            }),
        new Step(
            "r2 recovers",
            Duration.ofSeconds(5),
            (sim, events) -> {
              long now = System.nanoTime();
              MODELS.forEach(m -> events.in(m, "r2", now));
              sim.replica("r2").hang(false);
            }),
        new Step(
            "r3 restarts and reloads its models slowly",
            Duration.ofSeconds(12),
            (sim, events) -> {
              SimulatedReplica r3 = sim.replica("r3");
              MODELS.forEach(m -> events.out(m, "r3"));
              r3.stop();
              pause(Duration.ofSeconds(2));
              for (String model : MODELS) {
                r3.dropModel(model);
              }
              r3.start();
              long available = System.nanoTime() + SLOW_RELOAD.toNanos();
              r3.loadModel("a", 2, SLOW_RELOAD);
              r3.loadModel("b", 1, SLOW_RELOAD);
              r3.loadModel("c", 1, SLOW_RELOAD);
              MODELS.forEach(m -> events.in(m, "r3", available));
            }),
        new Step(
            "c fails to load on r0 (v1 unloaded, v2 fails)",
            Duration.ofSeconds(7),
            (sim, events) -> {
              events.out("c", "r0");
              SimulatedReplica r0 = sim.replica("r0");
              r0.unloadModel("c", 1);
              r0.failLoad("c", 2, "simulated: the SavedModel is corrupt");
            }));
  }

  private static void pause(Duration duration) {
    LockSupport.parkNanos(duration.toNanos());
  }
}
