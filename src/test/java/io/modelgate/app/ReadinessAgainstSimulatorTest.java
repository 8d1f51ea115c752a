package io.modelgate.app;

import io.modelgate.view.ReplicaState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.probing.VersionState;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.view.HealthView;
import io.modelgate.view.ReplicaHealth;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The readiness pipeline probing real simulated TF Serving replicas over loopback, following a
 * scripted lifecycle step by step, over gRPC and over REST.
 */
class ReadinessAgainstSimulatorTest {
  private static final String MODEL = "half_plus_two";
  private static final Duration INTERVAL = Duration.ofMillis(100);
  private static final Duration TIMEOUT = Duration.ofMillis(150);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private Simulator simulator;
  private ReadinessPipeline pipeline;
  private final List<HealthView> published = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startSimulator() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(2));
  }

  @AfterEach
  void stopEverything() {
    if (pipeline != null) {
      pipeline.close();
    }
    simulator.close();
  }

  private void startPipeline(Protocol protocol, int healthyThreshold, int unhealthyThreshold, ModelConfig... models) {
    List<ReplicaConfig> replicas = new ArrayList<>();
    for (SimulatedReplica replica : simulator.replicas()) {
      replicas.add(new ReplicaConfig(replica.id(), "127.0.0.1", replica.grpcPort(), replica.restPort(), protocol));
    }
    ProbeConfig probe =
        new ProbeConfig(
            INTERVAL, TIMEOUT, healthyThreshold, unhealthyThreshold, Duration.ofMillis(1500), 16, 0.1, Duration.ofSeconds(5), Duration.ofMillis(100));
    pipeline =
        ReadinessPipeline.create(
            new ModelgateConfig(replicas, List.of(models), probe, ListenConfig.loopbackEphemeral()));
    pipeline.view().subscribe(published::add);
    pipeline.start();
  }

  private ReplicaHealth health(String replica) {
    return health(MODEL, replica);
  }

  private ReplicaHealth health(String model, String replica) {
    return pipeline.view().current().models().get(model).replicas().get(replica);
  }

  private void awaitState(String replica, ReplicaState state, String reasonContains) {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              ReplicaHealth health = health(replica);
              assertThat(health).as("replica " + replica + " in the view").isNotNull();
              assertThat(health.state()).isEqualTo(state);
              assertThat(health.reason()).contains(reasonContains);
            });
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void lifecycleLoadingAvailableUnloadingEndIsFollowedStepByStep(Protocol protocol) {
    SimulatedReplica r0 = simulator.replica("r0");
    r0.setState(MODEL, 1, VersionState.LOADING);
    startPipeline(protocol, 1, 1, ModelConfig.any(MODEL));

    awaitState("r0", ReplicaState.LOADING, "version 1 LOADING");
    awaitState("r1", ReplicaState.NOT_READY, "model not found: Could not find any versions of model half_plus_two");

    r0.setState(MODEL, 1, VersionState.AVAILABLE);
    awaitState("r0", ReplicaState.READY, "version 1 AVAILABLE");
    assertThat(health("r0").availableVersions()).containsExactly(1L);

    r0.setState(MODEL, 1, VersionState.UNLOADING);
    awaitState("r0", ReplicaState.DRAINING, "version 1 UNLOADING");

    r0.setState(MODEL, 1, VersionState.END);
    awaitState("r0", ReplicaState.NOT_READY, "version 1 unloaded");
  }

  @Test
  void loadFailureIsNotReadyWithTheErrorMessage() {
    startPipeline(Protocol.GRPC, 1, 1, ModelConfig.any(MODEL));
    simulator.replica("r0").failLoad(MODEL, 3, "could not find SavedModel bundle");

    awaitState("r0", ReplicaState.NOT_READY, "version 3 failed to load: could not find SavedModel bundle");
  }

  @Test
  void rollingUpgradeNeverLeavesTheReplicaUnready() {
    SimulatedReplica r0 = simulator.replica("r0");
    r0.loadModel(MODEL, 1);
    // Three failed probes to leave READY: a probe slowed by a busy machine is not what this is about.
    startPipeline(Protocol.GRPC, 1, 3, ModelConfig.any(MODEL));
    awaitState("r0", ReplicaState.READY, "version 1 AVAILABLE");
    published.clear();

    r0.rollTo(MODEL, 2);

    await().atMost(WAIT).until(() -> health("r0").availableVersions().equals(java.util.Set.of(2L))
        && r0.modelStatus().get(MODEL).stream().noneMatch(v -> v.version() == 1 && v.state() != VersionState.END));
    assertThat(published).allSatisfy(view ->
        assertThat(view.models().get(MODEL).replicas().get("r0").state()).isEqualTo(ReplicaState.READY));
  }

  @Test
  void pinnedVersionIsReadyOnlyWhereThatVersionIsAvailable() {
    simulator.replica("r0").loadModel(MODEL, 1);
    simulator.replica("r1").loadModel(MODEL, 1);
    simulator.replica("r1").loadModel(MODEL, 2);
    startPipeline(
        Protocol.REST, 1, 1, new ModelConfig(MODEL, OptionalLong.of(2), Optional.empty(), java.util.Map.of()));

    awaitState("r1", ReplicaState.READY, "version 2 AVAILABLE");
    awaitState("r0", ReplicaState.NOT_READY, "version 2 not tracked");
  }

  @Test
  void healthyThresholdNeedsConsecutiveAvailableAnswers() {
    SimulatedReplica r0 = simulator.replica("r0");
    r0.setState(MODEL, 1, VersionState.LOADING);
    startPipeline(Protocol.GRPC, 3, 1, ModelConfig.any(MODEL));
    awaitState("r0", ReplicaState.LOADING, "version 1 LOADING");
    published.clear();

    r0.setState(MODEL, 1, VersionState.AVAILABLE);
    awaitState("r0", ReplicaState.READY, "version 1 AVAILABLE");

    // The views between the flip and READY show the count of answers, never READY early.
    assertThat(published)
        .extracting(view -> view.models().get(MODEL).replicas().get("r0").reason())
        .contains("available, 1 of 3 answers", "available, 2 of 3 answers");
  }

  @Test
  void hungReplicaIsUnreachableWithinItsDeadlineAndDoesNotDelayTheOther() {
    simulator.replica("r0").loadModel(MODEL, 1);
    simulator.replica("r1").loadModel(MODEL, 1);
    startPipeline(Protocol.GRPC, 1, 2, ModelConfig.any(MODEL));
    awaitState("r0", ReplicaState.READY, "version 1 AVAILABLE");
    awaitState("r1", ReplicaState.READY, "version 1 AVAILABLE");

    Instant hungAt = Instant.now();
    simulator.replica("r0").hang(true);
    simulator.replica("r1").setState(MODEL, 1, VersionState.UNLOADING);

    awaitState("r1", ReplicaState.DRAINING, "version 1 UNLOADING");
    Duration otherSeen = Duration.between(hungAt, Instant.now());
    awaitState("r0", ReplicaState.UNREACHABLE, "TIMEOUT");
    Duration hungSeen = Duration.between(hungAt, Instant.now());

    // Two failed probes (unhealthyThreshold 2): at most two intervals plus two deadlines, with slack
    // for scheduling on a busy CI machine.
    assertThat(hungSeen).isLessThan(INTERVAL.plus(TIMEOUT).multipliedBy(2).plusMillis(1000));
    assertThat(otherSeen).isLessThan(hungSeen);
  }

  @Test
  void downReplicaIsUnreachableAndComesBackWhenRestarted() {
    simulator.replica("r0").loadModel(MODEL, 1);
    startPipeline(Protocol.GRPC, 1, 1, ModelConfig.any(MODEL));
    awaitState("r0", ReplicaState.READY, "version 1 AVAILABLE");

    simulator.replica("r0").stop();
    awaitState("r0", ReplicaState.UNREACHABLE, "CONNECTION_FAILED");

    simulator.replica("r0").start();
    awaitState("r0", ReplicaState.READY, "version 1 AVAILABLE");
  }

  @Test
  void replicaThatStopsAnsweringTurnsUnknownAfterTheStalenessBoundEvenBelowTheThreshold() {
    simulator.replica("r0").loadModel(MODEL, 1);
    // An unhealthy threshold that is never reached: only staleness can take READY away.
    startPipeline(Protocol.GRPC, 1, 1000, ModelConfig.any(MODEL));
    awaitState("r0", ReplicaState.READY, "version 1 AVAILABLE");

    Instant hungAt = Instant.now();
    simulator.replica("r0").hang(true);
    await().atMost(WAIT).until(() -> health("r0").state() != ReplicaState.READY);
    // Caffeine's timer wheel rounds expiry up by about a second.
    assertThat(Duration.between(hungAt, Instant.now())).isBetween(Duration.ofMillis(1400), Duration.ofMillis(4000));
    assertThat(health("r0").state()).isIn(ReplicaState.UNKNOWN, ReplicaState.UNREACHABLE);
  }
}
