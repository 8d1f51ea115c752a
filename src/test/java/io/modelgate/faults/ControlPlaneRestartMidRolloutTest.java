package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.modelgate.config.ModelConfig;
import io.modelgate.probing.VersionState;
import io.modelgate.probing.VersionStatus;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.InferenceClient.Answer;
import io.modelgate.xds.RoutingRig;
import io.modelgate.xds.TrafficLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rollout from version 1 to version 2 across three replicas (each loads v2 in about a second,
 * then unloads v1) while REST and gRPC traffic flows through Envoy, and the control plane is
 * killed in the middle of it: the roll goes on behind its back, Envoy keeps its last
 * configuration, and a restarted control plane brings Envoy up to date with where the roll is.
 */
class ControlPlaneRestartMidRolloutTest {
  private static final String MODEL = "m";
  private static final List<String> REPLICAS = List.of("r0", "r1", "r2");

  private RoutingRig rig;

  @AfterEach
  void stopRig() {
    if (rig != null) {
      rig.closeExpectingNoRejectedUpdate();
    }
  }

  @Test
  void controlPlaneKilledMidRolloutLosesNoRequestAndEnvoyFollowsTheRestOfTheRoll() throws Exception {
    rig =
        RoutingRig.start(
            SimulatorOptions.defaults()
                .withReplicas(3)
                .withModel(MODEL, 1)
                .withLoadTime(Duration.ofSeconds(1))
                .withUnloadTime(Duration.ofMillis(300)),
            sim -> {},
            List.of(ModelConfig.any(MODEL)));
    REPLICAS.forEach(r -> rig.awaitRoutable(cluster(1, "grpc"), r, true));

    try (TrafficLoop traffic = restAndGrpcTraffic()) {
      awaitMoreCalls(traffic, 40);

      // r0 rolls with the control plane watching: Envoy learns of v2 on r0.
      replica("r0").rollTo(MODEL, 2);
      rig.awaitRoutable(cluster(2, "rest"), "r0", true);
      awaitMoreCalls(traffic, 40);

      // r1 starts loading v2, and the control plane dies.
      replica("r1").rollTo(MODEL, 2);
      rig.stopControlPlane();
      await().atMost(Duration.ofSeconds(5)).until(() -> !rig.envoyConnectedToControlPlane());

      // The roll goes on without it: r1 finishes, r2 rolls from start to end.
      replica("r2").rollTo(MODEL, 2);
      REPLICAS.forEach(r -> await().atMost(Duration.ofSeconds(10)).until(() -> onlyV2Available(replica(r))));
      awaitMoreCalls(traffic, 40);
      // Envoy still has what it was told last: v2 on r0 only.
      assertThat(rig.hosts().routable(cluster(2, "rest"), "r0")).isTrue();
      assertThat(rig.hosts().routable(cluster(2, "rest"), "r2")).isFalse();

      rig.startControlPlane(RoutingRig.FAST_PROBES);
      for (String replica : REPLICAS) {
        rig.awaitRoutable(cluster(2, "rest"), replica, true);
        rig.awaitRoutable(cluster(2, "grpc"), replica, true);
        rig.awaitRoutable(cluster(1, "rest"), replica, false);
        rig.awaitRoutable(cluster(1, "grpc"), replica, false);
      }
      awaitMoreCalls(traffic, 40);
      traffic.close();

      assertThat(traffic.failures()).isEmpty();
      assertThat(traffic.answeredBy()).containsOnlyKeys(REPLICAS.toArray(String[]::new));
    }
    // The roll is complete as Envoy routes it: v2 on every replica, v1 nowhere.
    assertThat(answeredBy(() -> rig.client().grpcPredict(MODEL, 2L))).containsOnlyKeys(REPLICAS.toArray(String[]::new));
    assertThat(answeredBy(() -> rig.client().rest("/v1/models/m/versions/2:predict")))
        .containsOnlyKeys(REPLICAS.toArray(String[]::new));
    Answer v1 = rig.client().grpcPredict(MODEL, 1L);
    assertThat(v1.grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(rig.client().rest("/v1/models/m/versions/1:predict").httpStatus()).isEqualTo(503);
  }

  private SimulatedReplica replica(String id) {
    return rig.replica(id);
  }

  private static boolean onlyV2Available(SimulatedReplica replica) {
    return replica.modelStatus().get(MODEL).stream()
        .filter(v -> v.state() == VersionState.AVAILABLE)
        .map(VersionStatus::version)
        .toList()
        .equals(List.of(2L));
  }

  private static String cluster(long version, String protocol) {
    return "modelgate/" + MODEL + "/v" + version + "/" + protocol;
  }

  private TrafficLoop restAndGrpcTraffic() {
    return new TrafficLoop(
        10_000, Duration.ofSeconds(60), () -> rig.client().restPredict(MODEL), () -> rig.client().grpcPredict(MODEL));
  }

  private static void awaitMoreCalls(TrafficLoop traffic, int calls) {
    int target = traffic.count() + calls;
    await().atMost(Duration.ofSeconds(15)).until(() -> traffic.count() >= target);
  }

  private static Map<String, Long> answeredBy(Supplier<Answer> call) {
    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      answers.add(call.get());
    }
    assertThat(answers).allMatch(Answer::ok);
    return answers.stream().collect(Collectors.groupingBy(Answer::replica, Collectors.counting()));
  }
}
