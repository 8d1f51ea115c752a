package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.InferenceClient.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The promise modelgate makes, checked end to end: clients call a real Envoy, which takes its
 * configuration from a modelgate control plane over ADS, in front of simulated TF Serving
 * replicas; every request lands on a replica where the model (or the requested version) is
 * loaded, whatever the replicas do: load, unload, hang, die, or the control plane restart.
 *
 * <p>Which replica answered is read from {@code x-replica-id}; what Envoy thinks of a replica
 * from its admin {@code /clusters}. No test ends with a configuration update Envoy rejected.
 */
class ModelRoutingThroughEnvoyTest {
  private static final String MODEL = "m";
  private static final String REST = "modelgate/m/rest";
  private static final String GRPC = "modelgate/m/grpc";
  private static final ProbeConfig PROBES = RoutingRig.FAST_PROBES;
  /**
   * How long after a replica stops answering Envoy may still pick it: the failed probes it takes
   * (one in flight when it hangs, then unhealthyThreshold more, each up to the timeout), plus
   * half a second for the push to Envoy.
   */
  private static final Duration UNREACHABLE_DEADLINE =
      PROBES.interval().plus(PROBES.timeout()).multipliedBy(PROBES.unhealthyThreshold() + 1).plusMillis(500);
  /** Bound of every traffic loop, so that a broken route cannot keep a test running. */
  private static final Duration TRAFFIC_LIMIT = Duration.ofSeconds(30);

  private RoutingRig rig;

  @AfterEach
  void stopRig() {
    if (rig != null) {
      rig.closeExpectingNoRejectedUpdate();
    }
  }

  @Test
  void modelLoadedOnlyOnAGetsAllTraffic() {
    rig = start(sim -> sim.replica("r0").loadModel(MODEL, 1), ModelConfig.any(MODEL));
    awaitRoutable("r0", true);

    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      answers.add(rig.client().restPredict(MODEL));
      answers.add(rig.client().grpcPredict(MODEL));
    }

    assertThat(answers).hasSize(100).allSatisfy(a -> assertThat(a.ok() ? a.replica() : a.toString()).isEqualTo("r0"));
    EnvoyHosts hosts = rig.hosts();
    assertThat(hosts.flags(REST, "r1")).isEqualTo("/failed_eds_health");
    assertThat(hosts.flags(GRPC, "r1")).isEqualTo("/failed_eds_health");
    assertThat(hosts.requests(REST, "r1") + hosts.requests(GRPC, "r1")).isZero();
  }

  @Test
  void modelBecomingAvailableOnBGetsTrafficWithinTwoIntervalsPlusOneSecond() {
    rig = start(sim -> sim.replica("r0").loadModel(MODEL, 1), ModelConfig.any(MODEL));
    awaitRoutable("r1", false);
    Duration bound = PROBES.interval().multipliedBy(2).plusSeconds(1);
    boolean[] reachedB = new boolean[2];

    rig.replica("r1").loadModel(MODEL, 1);

    await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              reachedB[0] |= rig.client().restPredict(MODEL).replica().equals("r1");
              reachedB[1] |= rig.client().grpcPredict(MODEL).replica().equals("r1");
              return reachedB[0] && reachedB[1];
            });
  }

  @Test
  void unloadingOnAWhileTrafficFlowsFailsNoRequest() throws Exception {
    rig = start(sim -> bothLoad(sim), ModelConfig.any(MODEL));
    awaitRoutable("r0", true);
    awaitRoutable("r1", true);
    SimulatedReplica a = rig.replica("r0");

    try (TrafficLoop traffic = restAndGrpcTraffic()) {
      awaitMoreCalls(traffic, 40);
      a.unloadModel(MODEL, 1, Duration.ofMillis(800));
      // UNLOADING: Envoy lets a's open calls finish but sends it no new ones, then END.
      await()
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> rig.hosts().flags(REST, "r0").contains("draining"));
      await().atMost(Duration.ofSeconds(3)).until(() -> rig.hosts().flags(REST, "r0").equals("/failed_eds_health"));
      awaitMoreCalls(traffic, 40);
      traffic.close();

      assertThat(traffic.failures()).isEmpty();
      assertThat(traffic.answeredBy()).containsKeys("r0", "r1");
    }
  }

  @Test
  void hungOrDeadReplicaGetsNoTrafficAfterItsDeadline() throws Exception {
    rig = start(sim -> bothLoad(sim), ModelConfig.any(MODEL));
    awaitRoutable("r0", true);
    awaitRoutable("r1", true);
    SimulatedReplica a = rig.replica("r0");

    try (TrafficLoop traffic = restAndGrpcTraffic()) {
      awaitMoreCalls(traffic, 40);

      a.hang(true);
      // Calls already sent to the hung replica move on after the per-try timeout.
      assertNoTrafficToAAfterDeadline(traffic);
      a.hang(false);
      awaitRoutable("r0", true);
      awaitMoreCalls(traffic, 40);

      a.stop();
      // Connection refused, or reset for the calls in flight: retried on b at once.
      assertNoTrafficToAAfterDeadline(traffic);
      traffic.close();

      assertThat(traffic.failures()).isEmpty();
      assertThat(retriesThatSucceeded(REST) + retriesThatSucceeded(GRPC)).isPositive();
    }
  }

  @Test
  void replicaThatLostTheModelBehindEnvoysBackIsSkippedByRetries() throws Exception {
    rig =
        start(
            SimulatorOptions.defaults().withReplicas(3).withModel(MODEL, 1),
            sim -> {},
            ModelConfig.any(MODEL));
    List.of("r0", "r1", "r2").forEach(r -> awaitRoutable(r, true));
    // With no control plane Envoy keeps routing to all three, two of which answer "Servable not
    // found" (REST 404, gRPC NOT_FOUND): each call must find the third on its second retry.
    rig.stopControlPlane();
    rig.replica("r0").dropModel(MODEL);
    rig.replica("r1").dropModel(MODEL);

    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      answers.add(rig.client().restPredict(MODEL));
      answers.add(rig.client().grpcPredict(MODEL));
    }

    assertThat(answers).allSatisfy(a -> assertThat(a.ok() ? a.replica() : a.toString()).isEqualTo("r2"));
    assertThat(retriesThatSucceeded(REST)).isPositive();
    assertThat(retriesThatSucceeded(GRPC)).isPositive();
  }

  @Test
  void modelLoadedNowhereGivesRest503NamingTheModelAndGrpcUnavailable() {
    rig = start(sim -> {}, ModelConfig.any(MODEL));
    awaitRoutable("r0", false);
    awaitRoutable("r1", false);

    Answer rest = rig.client().restPredict(MODEL);
    assertThat(rest.httpStatus()).isEqualTo(503);
    assertThat(rest.contentType()).isEqualTo("application/json");
    assertThat(rest.body()).isEqualTo("{\"error\":\"model 'm' is not loaded on any replica\"}\n");
    Answer grpc = rig.client().grpcPredict(MODEL);
    assertThat(grpc.grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(grpc.body()).isEqualTo("model 'm' is not loaded on any replica");

    Answer unknownRest = rig.client().restPredict("no_such_model");
    assertThat(unknownRest.httpStatus()).isEqualTo(404);
    assertThat(unknownRest.contentType()).isEqualTo("application/json");
    assertThat(unknownRest.body()).startsWith("{\"error\":\"Servable not found");
    Answer unknownGrpc = rig.client().grpcPredict("no_such_model");
    assertThat(unknownGrpc.grpcCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(unknownGrpc.body()).startsWith("Servable not found");
  }

  @Test
  void versionPinnedRequestsReachOnlyReplicasWithThatVersion() {
    Map<String, Long> labels = Map.of("stable", 1L, "canary", 2L);
    rig =
        start(
            SimulatorOptions.defaults().withLabels(MODEL, labels),
            sim -> {
              sim.replica("r0").loadModel(MODEL, 1);
              sim.replica("r0").loadModel(MODEL, 2);
              sim.replica("r1").loadModel(MODEL, 1);
            },
            new ModelConfig(MODEL, OptionalLong.empty(), Optional.empty(), labels));
    rig.awaitRoutable("modelgate/m/v2/rest", "r0", true);
    rig.awaitRoutable("modelgate/m/v1/rest", "r1", true);

    assertThat(answeredBy(() -> rig.client().rest("/v1/models/m/versions/2:predict"))).containsOnlyKeys("r0");
    // TF Serving reads versions as (\d+): 02 is version 2.
    assertThat(answeredBy(() -> rig.client().rest("/v1/models/m/versions/02:predict"))).containsOnlyKeys("r0");
    assertThat(answeredBy(() -> rig.client().grpcPredict(MODEL, 2L))).containsOnlyKeys("r0");
    assertThat(answeredBy(() -> rig.client().rest("/v1/models/m/labels/canary:predict"))).containsOnlyKeys("r0");
    assertThat(answeredBy(() -> rig.client().rest("/v1/models/m/labels/stable:predict"))).containsOnlyKeys("r0", "r1");
    assertThat(answeredBy(() -> rig.client().grpcPredict(MODEL, 1L))).containsOnlyKeys("r0", "r1");
    Answer unknownVersion = rig.client().grpcPredict(MODEL, 7L);
    assertThat(unknownVersion.grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    Answer unknownRestVersion = rig.client().rest("/v1/models/m/versions/7:predict");
    assertThat(unknownRestVersion.httpStatus()).isEqualTo(503);
    assertThat(unknownRestVersion.contentType()).isEqualTo("application/json");

    rig.replica("r1").loadModel(MODEL, 2);
    rig.awaitRoutable("modelgate/m/v2/rest", "r1", true);
    assertThat(answeredBy(() -> rig.client().rest("/v1/models/m/versions/2:predict"))).containsOnlyKeys("r0", "r1");
  }

  @Test
  void controlPlaneRestartIsInvisibleToTraffic() throws Exception {
    rig = start(sim -> bothLoad(sim), ModelConfig.any(MODEL));
    awaitRoutable("r0", true);
    awaitRoutable("r1", true);
    SimulatedReplica b = rig.replica("r1");

    try (TrafficLoop traffic = restAndGrpcTraffic()) {
      awaitMoreCalls(traffic, 40);
      rig.stopControlPlane();
      await().atMost(Duration.ofSeconds(5)).until(() -> !rig.envoyConnectedToControlPlane());
      awaitMoreCalls(traffic, 40);

      // b hangs while no control plane watches: the new one cannot finish its first probe round
      // (its probe timeout is long), so it must publish nothing and Envoy keeps what it has.
      b.hang(true);
      rig.startControlPlane(withTimeout(PROBES, Duration.ofSeconds(10)));
      await().atMost(Duration.ofSeconds(10)).until(rig::envoyConnectedToControlPlane);
      assertThat(rig.controlPlane().view().current().complete()).isFalse();
      // Envoy still has the old configuration: b, hung and unprobed, is still listed healthy.
      assertThat(rig.hosts().routable(REST, "r1")).isTrue();
      assertThat(rig.hosts().routable(REST, "r0")).isTrue();
      awaitMoreCalls(traffic, 20);

      // b dies: the probe fails, the first round is complete and b is left out at once.
      b.stop();
      awaitRoutable("r1", false);
      assertThat(rig.hosts().routable(REST, "r0")).isTrue();
      awaitMoreCalls(traffic, 40);

      // And the new control plane follows the next change: b back with the model.
      b.hang(false);
      b.start();
      awaitRoutable("r1", true);
      long beforeB = traffic.answeredBy().getOrDefault("r1", 0L);
      await().atMost(Duration.ofSeconds(5)).until(() -> traffic.answeredBy().getOrDefault("r1", 0L) > beforeB);
      traffic.close();

      assertThat(traffic.failures()).isEmpty();
    }
  }

  @Test
  void withoutTheGatewayFilterTheRoutesAloneRefuseWhatTheFilterRefuses() {
    rig = start(ModelRoutingThroughEnvoyTest::bothLoad, ModelConfig.any(MODEL));
    awaitRoutable("r0", true);
    long upstream = rig.counter("cluster.modelgate/m/grpc.upstream_rq_total") + rig.counter("cluster.modelgate/m/rest.upstream_rq_total");
    byte[] predict = io.modelgate.tfserving.api.PredictRequest.newBuilder()
        .setModelSpec(io.modelgate.tfserving.api.ModelSpec.newBuilder().setName(MODEL)).build().toByteArray();

    for (String path :
        List.of(
            "/tensorflow.serving.ModelService/HandleReloadConfigRequest",
            "/tensorflow.serving.SessionService/SessionRun",
            "/tensorflow.serving.PredictionService/Predict/")) {
      Answer admin = rig.client().rawGrpc(path, predict, MODEL);
      assertThat(admin.grpcCode()).as(path).isEqualTo(Status.Code.UNIMPLEMENTED);
      assertThat(admin.body()).as(path).startsWith("not served through this gateway");
    }
    Answer web = rig.client().http("POST", "/tensorflow.serving.PredictionService/Predict", "application/grpc-web+proto");
    assertThat(web.grpcCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    Answer noType = rig.client().http("POST", "/tensorflow.serving.PredictionService/Predict", null);
    assertThat(noType.httpStatus()).isEqualTo(404);
    Answer method = rig.client().http("DELETE", "/v1/models/m", "application/json");
    assertThat(method.httpStatus()).isEqualTo(405);
    assertThat(method.contentType()).isEqualTo("application/json");
    Answer other = rig.client().http("GET", "/monitoring/prometheus/metrics", null);
    assertThat(other.httpStatus()).isEqualTo(404);
    assertThat(other.body()).contains("not a TF Serving inference path");

    long after = rig.counter("cluster.modelgate/m/grpc.upstream_rq_total") + rig.counter("cluster.modelgate/m/rest.upstream_rq_total");
    assertThat(after).as("requests Envoy sent to a replica").isEqualTo(upstream);
    assertThat(rig.client().grpcPredict(MODEL).ok()).isTrue();
  }

  // --- the rig and its traffic

  private RoutingRig start(Consumer<Simulator> prepare, ModelConfig model) {
    return start(SimulatorOptions.defaults(), prepare, model);
  }

  private RoutingRig start(SimulatorOptions options, Consumer<Simulator> prepare, ModelConfig model) {
    return RoutingRig.start(options, prepare, List.of(model));
  }

  private static void bothLoad(Simulator sim) {
    sim.replicas().forEach(r -> r.loadModel(MODEL, 1));
  }

  private void awaitRoutable(String replica, boolean routable) {
    rig.awaitRoutable(REST, replica, routable);
    rig.awaitRoutable(GRPC, replica, routable);
  }

  private TrafficLoop restAndGrpcTraffic() {
    return new TrafficLoop(
        5_000, TRAFFIC_LIMIT, () -> rig.client().restPredict(MODEL), () -> rig.client().grpcPredict(MODEL));
  }

  private static void awaitMoreCalls(TrafficLoop traffic, int calls) {
    int target = traffic.count() + calls;
    await().atMost(Duration.ofSeconds(15)).until(() -> traffic.count() >= target);
  }

  /** Envoy stops picking r0 within the deadline, and sends it nothing while traffic goes on. */
  private void assertNoTrafficToAAfterDeadline(TrafficLoop traffic) {
    await()
        .atMost(UNREACHABLE_DEADLINE)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> !rig.hosts().routable(REST, "r0") && !rig.hosts().routable(GRPC, "r0"));
    EnvoyHosts atDeadline = rig.hosts();
    awaitMoreCalls(traffic, 60);
    EnvoyHosts later = rig.hosts();
    assertThat(later.requests(REST, "r0")).isEqualTo(atDeadline.requests(REST, "r0"));
    assertThat(later.requests(GRPC, "r0")).isEqualTo(atDeadline.requests(GRPC, "r0"));
  }

  private static Map<String, Long> answeredBy(Supplier<Answer> call) {
    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      answers.add(call.get());
    }
    assertThat(answers).allMatch(Answer::ok);
    return answers.stream().collect(Collectors.groupingBy(Answer::replica, Collectors.counting()));
  }

  private long retriesThatSucceeded(String cluster) {
    String stat = "cluster." + cluster + ".upstream_rq_retry_success: ";
    return rig.admin("/stats?filter=upstream_rq_retry_success")
        .lines()
        .filter(l -> l.startsWith(stat))
        .mapToLong(l -> Long.parseLong(l.substring(stat.length()).trim()))
        .sum();
  }

  private static ProbeConfig withTimeout(ProbeConfig probes, Duration timeout) {
    return new ProbeConfig(
        probes.interval(),
        timeout,
        probes.healthyThreshold(),
        probes.unhealthyThreshold(),
        probes.staleness(),
        probes.maxConcurrency(),
        probes.jitter(),
        timeout,
        probes.urgentInterval());
  }
}
