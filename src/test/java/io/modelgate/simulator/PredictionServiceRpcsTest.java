package io.modelgate.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Int64Value;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.modelgate.probing.VersionState;
import io.modelgate.tfserving.api.ModelSpec;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What Classify, Regress, MultiInference and GetModelMetadata share with Predict, each over real
 * gRPC with the generated stubs: servable resolution and TF Serving's "Servable not found"
 * answers, the replica-id header, request counting and the replica's faults.
 */
class PredictionServiceRpcsTest {

  private Simulator simulator;
  private SimulatedReplica r0;
  private SimulatedReplica r1;
  private GrpcTestClient client;

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(2));
    r0 = simulator.replica("r0");
    r1 = simulator.replica("r1");
    client = GrpcTestClient.to(r0);
  }

  @AfterEach
  void stop() throws InterruptedException {
    client.close();
    simulator.close();
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void loadedModelAnswersWithTheServingModelSpecAndTheReplicaHeader(PredictionRpc rpc) throws InterruptedException {
    r1.loadModel("m", 1);
    r1.loadModel("m", 4);

    try (GrpcTestClient r1Client = GrpcTestClient.to(r1)) {
      ModelSpec answered = rpc.call(r1Client.predictions(), spec("m").build());

      assertThat(answered).isEqualTo(
          spec("m").setVersion(Int64Value.of(4)).setSignatureName(rpc.answeredSignature).build());
      assertThat(r1Client.lastHeaders().get(GrpcTestClient.REPLICA_ID)).isEqualTo("r1");
      assertThat(r1Client.lastTrailers().get(GrpcTestClient.REPLICA_ID)).isNull();
    }
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void unknownModelIsServableNotFoundLatestTrailersOnly(PredictionRpc rpc) {
    r0.loadModel("m", 1);

    assertFails(rpc, spec("nope"), Status.Code.NOT_FOUND, "Servable not found for request: Latest(nope)");
    assertThat(client.lastHeaders()).as("headers before the error").isNull();
    assertThat(client.lastTrailers().get(GrpcTestClient.REPLICA_ID)).isEqualTo("r0");
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void versionThatIsNotAvailableIsServableNotFoundSpecific(PredictionRpc rpc) {
    r0.loadModel("m", 1);
    r0.setState("m", 2, VersionState.LOADING);

    assertFails(rpc, spec("m").setVersion(Int64Value.of(7)), Status.Code.NOT_FOUND,
        "Servable not found for request: Specific(m, 7)");
    assertFails(rpc, spec("m").setVersion(Int64Value.of(2)), Status.Code.NOT_FOUND,
        "Servable not found for request: Specific(m, 2)");
    assertThat(rpc.call(client.predictions(), spec("m").setVersion(Int64Value.of(1)).build()).getVersion().getValue())
        .isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void versionLabelResolvesThroughTheReplicaLabels(PredictionRpc rpc) {
    r0.loadModel("m", 1);
    r0.loadModel("m", 2);
    r0.setLabels("m", Map.of("stable", 1L, "canary", 2L, "next", 3L));

    assertThat(rpc.call(client.predictions(), spec("m").setVersionLabel("stable").build()).getVersion().getValue())
        .isEqualTo(1);
    assertThat(rpc.call(client.predictions(), spec("m").setVersionLabel("canary").build()).getVersion().getValue())
        .isEqualTo(2);
    assertFails(rpc, spec("m").setVersionLabel("next"), Status.Code.NOT_FOUND,
        "Servable not found for request: Specific(m, 3)");
    assertFails(rpc, spec("m").setVersionLabel("nope"), Status.Code.INVALID_ARGUMENT,
        "Unrecognized servable version label: nope");
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void missingModelSpecOrNameIsInvalidArgument(PredictionRpc rpc) {
    r0.loadModel("m", 1);

    assertThatThrownBy(() -> rpc.call(client.predictions(), null))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo(rpc.missingModelSpecMessage);
        });
    assertFails(rpc, spec(""), Status.Code.INVALID_ARGUMENT, "ModelSpec has no name specified.");
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void requestCountCountsSuccessfulAnswersOnly(PredictionRpc rpc) {
    r0.loadModel("m", 1);

    rpc.call(client.predictions(), spec("m").build());
    rpc.call(client.predictions(), spec("m").build());
    assertFails(rpc, spec("m").setVersion(Int64Value.of(9)), Status.Code.NOT_FOUND,
        "Servable not found for request: Specific(m, 9)");

    assertThat(r0.requestCount("m")).isEqualTo(2);
    assertThat(r1.requestCount("m")).isZero();
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void hungReplicaHoldsTheCallUntilTheClientGivesUp(PredictionRpc rpc) {
    r0.loadModel("m", 1);
    r0.hang(true);

    assertThatThrownBy(() -> rpc.call(client.predictions().withDeadlineAfter(300, TimeUnit.MILLISECONDS), spec("m").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    await().atMost(Duration.ofSeconds(5)).until(() -> r0.heldRequests() == 0);
    assertThat(r0.requestCount("m")).isZero();
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void stoppingAHungReplicaCutsItsHeldCall(PredictionRpc rpc) throws Exception {
    r0.loadModel("m", 1);
    r0.hang(true);
    CompletableFuture<Throwable> call = CompletableFuture.supplyAsync(() -> {
      try {
        rpc.call(client.predictions().withDeadlineAfter(10, TimeUnit.SECONDS), spec("m").build());
        return null;
      } catch (StatusRuntimeException e) {
        return e;
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> r0.heldRequests() == 1);

    r0.stop();

    assertThat(call.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED));
  }

  @ParameterizedTest
  @EnumSource(PredictionRpc.class)
  void latencyDelaysTheAnswer(PredictionRpc rpc) {
    r0.loadModel("m", 1);
    r0.setLatency(Duration.ofMillis(300));

    long start = System.nanoTime();
    rpc.call(client.predictions(), spec("m").build());

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  private void assertFails(PredictionRpc rpc, ModelSpec.Builder spec, Status.Code code, String message) {
    assertThatThrownBy(() -> rpc.call(client.predictions(), spec.build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).isEqualTo(message);
        });
  }

  private static ModelSpec.Builder spec(String model) {
    return ModelSpec.newBuilder().setName(model);
  }
}
