package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.health.HealthService;
import io.modelgate.health.v1.HealthCheckResponse.ServingStatus;
import io.modelgate.view.ReplicaState;
import io.modelgate.simulator.Misbehaviour;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.view.ReplicaHealth;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A replica that misbehaves on the wire (garbage bytes, a huge body, the wrong content type,
 * reset streams) is a state in modelgate, never a crash: modelgate keeps running and probing the
 * others. Replica r0 is probed twice, as {@code r0-grpc} over gRPC and as {@code r0-rest} over
 * REST, so each misbehaviour is seen by both probes; r1 behaves throughout.
 */
class MisbehavingReplicaProbeTest {
  private static final String MODEL = "m";

  private Simulator simulator;
  private ModelgateServer modelgate;

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withModel(MODEL, 1));
    SimulatedReplica r0 = simulator.replica("r0");
    SimulatedReplica r1 = simulator.replica("r1");
    ProbeConfig probes =
        new ProbeConfig(
            Duration.ofMillis(100), Duration.ofSeconds(2), 1, 2, Duration.ofSeconds(10), 16, 0.1, Duration.ofSeconds(5), Duration.ofMillis(100));
    modelgate =
        ModelgateServer.start(
            new ModelgateConfig(
                List.of(
                    new ReplicaConfig("r0-grpc", r0.host(), r0.grpcPort(), r0.restPort(), Protocol.GRPC),
                    new ReplicaConfig("r0-rest", r0.host(), r0.grpcPort(), r0.restPort(), Protocol.REST),
                    new ReplicaConfig("r1", r1.host(), r1.grpcPort(), r1.restPort(), Protocol.GRPC)),
                List.of(ModelConfig.any(MODEL)),
                probes,
                ListenConfig.loopbackEphemeral(),
                XdsConfig.defaults(),
                ExtProcConfig.disabled()),
            ModelgateServer.Mode.SIDECAR);
  }

  @AfterEach
  void stop() {
    if (modelgate != null) {
      modelgate.close();
    }
    simulator.close();
  }

  /**
   * Each way a replica can go wrong on the wire turns it UNREACHABLE, for probes over gRPC and
   * over REST alike, with a reason that says what came back; the other replica stays READY, the
   * model stays served, modelgate stays alive, and the replica is READY again once it behaves.
   */
  @ParameterizedTest
  @EnumSource(Misbehaviour.class)
  void replicaAnsweringGarbageIsUnreachableWithAReasonWhileTheOthersServe(Misbehaviour how) {
    awaitState("r0-grpc", ReplicaState.READY, "");
    awaitState("r0-rest", ReplicaState.READY, "");

    simulator.replica("r0").misbehave(how);

    awaitState("r0-grpc", ReplicaState.UNREACHABLE, grpcReason(how));
    awaitState("r0-rest", ReplicaState.UNREACHABLE, restReason(how));
    assertThat(replica("r1").state()).isEqualTo(ReplicaState.READY);
    assertThat(modelgate.health().statusOf(MODEL).status()).isEqualTo(ServingStatus.SERVING);
    assertThat(modelgate.health().statusOf(HealthService.LIVENESS).status()).isEqualTo(ServingStatus.SERVING);

    simulator.replica("r0").behave();

    awaitState("r0-grpc", ReplicaState.READY, "");
    awaitState("r0-rest", ReplicaState.READY, "");
  }

  /** What grpc-java, under the gRPC probe, makes of each misbehaviour. */
  private static String grpcReason(Misbehaviour how) {
    return switch (how) {
      case GARBAGE_BYTES -> "BAD_RESPONSE: INTERNAL: http2 exception: First received frame was not SETTINGS";
      case HUGE_BODY -> "BAD_RESPONSE: RESOURCE_EXHAUSTED: gRPC message exceeds maximum size 4194304: 67108864";
      case WRONG_CONTENT_TYPE -> "invalid content-type: text/html";
      case RESET_STREAMS -> "BAD_RESPONSE: INTERNAL: RST_STREAM closed stream. HTTP/2 error code: INTERNAL_ERROR";
    };
  }

  /** What the REST probe makes of each misbehaviour. */
  private static String restReason(Misbehaviour how) {
    return switch (how) {
      case GARBAGE_BYTES -> "BAD_RESPONSE: not JSON: ";
      case HUGE_BODY -> "BAD_RESPONSE: response body larger than 4194304 bytes";
      case WRONG_CONTENT_TYPE -> "BAD_RESPONSE: not JSON: <html><head><title>Welcome</title>";
      case RESET_STREAMS -> "CONNECTION_FAILED: HTTP/1.1 header parser received no bytes";
    };
  }

  private ReplicaHealth replica(String id) {
    return modelgate.view().current().models().get(MODEL).replicas().get(id);
  }

  /**
   * Waits for the state with a reason containing {@code reason}: the reason follows the latest
   * failed probe, and the first one may have met the port while it changed hands (refused).
   */
  private void awaitState(String id, ReplicaState state, String reason) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              ReplicaHealth health = replica(id);
              assertThat(health).isNotNull();
              assertThat(health.state()).isEqualTo(state);
              assertThat(health.reason()).contains(reason);
            });
  }
}
