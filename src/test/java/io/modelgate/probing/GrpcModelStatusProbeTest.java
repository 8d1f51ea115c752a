package io.modelgate.probing;

import io.modelgate.sources.TestReplicas;
import static io.modelgate.probing.GrpcStatusPeer.version;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.tfserving.api.ModelVersionStatus;
import io.modelgate.tfserving.api.ModelVersionStatus.State;
import io.modelgate.tfserving.api.StatusProto;
import io.modelgate.tfserving.framework.Code;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpcModelStatusProbeTest {
  private static final Duration TIMEOUT = Duration.ofMillis(1000);

  private GrpcStatusPeer peer;
  private GrpcModelStatusProbe probe;

  @BeforeEach
  void startPeer() throws Exception {
    peer = GrpcStatusPeer.start();
    probe = new GrpcModelStatusProbe(TestReplicas.of(peer.replica("r1")), TIMEOUT);
  }

  @AfterEach
  void stop() throws Exception {
    probe.close();
    peer.close();
  }

  @Test
  void okAnswerReportsEveryVersionWithStateAndStatus() throws Exception {
    peer.reply(
        "resnet",
        version(1, State.AVAILABLE),
        ModelVersionStatus.newBuilder()
            .setVersion(2)
            .setState(State.END)
            .setStatus(
                StatusProto.newBuilder()
                    .setErrorCode(Code.INVALID_ARGUMENT)
                    .setErrorMessage("bad saved model"))
            .build(),
        ModelVersionStatus.newBuilder().setVersion(3).setState(State.LOADING).build());

    ProbeOutcome outcome = probe.probe("resnet").get(5, TimeUnit.SECONDS);

    assertThat(outcome)
        .isEqualTo(
            new ProbeOutcome.Reported(
                List.of(
                    new VersionStatus(1, VersionState.AVAILABLE, "OK", ""),
                    new VersionStatus(2, VersionState.END, "INVALID_ARGUMENT", "bad saved model"),
                    new VersionStatus(3, VersionState.LOADING, "OK", ""))));
  }

  @Test
  void asksForTheModelWithoutAVersion() throws Exception {
    peer.reply("resnet", version(1, State.AVAILABLE));

    probe.probe("resnet").get(5, TimeUnit.SECONDS);

    assertThat(peer.requests()).singleElement().satisfies(request -> {
      assertThat(request.getModelSpec().getName()).isEqualTo("resnet");
      assertThat(request.getModelSpec().hasVersion()).isFalse();
      assertThat(request.getModelSpec().getVersionLabel()).isEmpty();
    });
  }

  @Test
  void unknownModelIsModelNotFoundWithTheServersMessage() throws Exception {
    ProbeOutcome outcome = probe.probe("bert").get(5, TimeUnit.SECONDS);

    assertThat(outcome)
        .isEqualTo(new ProbeOutcome.ModelNotFound("Could not find any versions of model bert"));
  }

  @Test
  void otherErrorStatusIsBadResponseNamingTheCode() throws Exception {
    peer.fail("resnet", Status.INTERNAL.withDescription("boom"));

    ProbeOutcome outcome = probe.probe("resnet").get(5, TimeUnit.SECONDS);

    assertThat(outcome)
        .isEqualTo(
            new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.BAD_RESPONSE, "INTERNAL: boom"));
  }

  @Test
  void hungReplicaTimesOutAtTheDeadline() throws Exception {
    peer.hang("resnet");
    long start = System.nanoTime();

    ProbeOutcome outcome = probe.probe("resnet").get(5, TimeUnit.SECONDS);

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(outcome)
        .isEqualTo(
            new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.TIMEOUT, "no answer within 1000 ms"));
    assertThat(took).isBetween(TIMEOUT.minusMillis(50), TIMEOUT.plusSeconds(1));
  }

  @Test
  void refusedConnectionIsConnectionFailed() throws Exception {
    ReplicaConfig nobody =
        new ReplicaConfig("r9", "127.0.0.1", ClosedPort.find(), 1, Protocol.GRPC);
    try (GrpcModelStatusProbe refused = new GrpcModelStatusProbe(TestReplicas.of(nobody), TIMEOUT)) {
      ProbeOutcome first = refused.probe("resnet").get(5, TimeUnit.SECONDS);
      // The second call meets the channel in reconnect backoff, which the probe resets.
      ProbeOutcome second = refused.probe("resnet").get(5, TimeUnit.SECONDS);

      assertThat(List.of(first, second))
          .allSatisfy(outcome -> {
            assertThat(outcome).isInstanceOf(ProbeOutcome.Failed.class);
            assertThat(((ProbeOutcome.Failed) outcome).kind())
                .isEqualTo(ProbeOutcome.Failed.Kind.CONNECTION_FAILED);
          });
    }
  }
}
