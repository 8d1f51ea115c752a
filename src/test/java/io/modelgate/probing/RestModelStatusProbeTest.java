package io.modelgate.probing;

import io.modelgate.sources.TestReplicas;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestModelStatusProbeTest {
  private static final Duration TIMEOUT = Duration.ofMillis(1000);

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private RestStatusPeer peer;
  private RestModelStatusProbe probe;

  @BeforeEach
  void startPeer() throws Exception {
    peer = RestStatusPeer.start();
    probe = new RestModelStatusProbe(TestReplicas.of(peer.replica("r1")), client, TIMEOUT);
  }

  @AfterEach
  void stop() {
    probe.close();
    peer.close();
  }

  @Test
  void okBodyReportsVersionsGivenAsStrings() throws Exception {
    peer.reply(
        "resnet",
        200,
        "{\"model_version_status\":["
            + "{\"version\":\"1\",\"state\":\"UNLOADING\",\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}},"
            + "{\"version\":\"2\",\"state\":\"END\",\"status\":{\"error_code\":\"NOT_FOUND\",\"error_message\":\"no such dir\"}},"
            + "{\"version\":\"3\",\"state\":\"AVAILABLE\"}]}");

    ProbeOutcome outcome = probe.probe("resnet").get(5, TimeUnit.SECONDS);

    assertThat(outcome)
        .isEqualTo(
            new ProbeOutcome.Reported(
                List.of(
                    new VersionStatus(1, VersionState.UNLOADING, "OK", ""),
                    new VersionStatus(2, VersionState.END, "NOT_FOUND", "no such dir"),
                    new VersionStatus(3, VersionState.AVAILABLE, "OK", ""))));
  }

  @Test
  void notFoundIsModelNotFoundWithTheErrorText() throws Exception {
    ProbeOutcome outcome = probe.probe("bert").get(5, TimeUnit.SECONDS);

    assertThat(outcome)
        .isEqualTo(new ProbeOutcome.ModelNotFound("Could not find any versions of model bert"));
  }

  @Test
  void modelNameIsEncodedAsOnePathSegment() throws Exception {
    probe.probe("my model/x").get(5, TimeUnit.SECONDS);

    assertThat(peer.rawPaths()).containsExactly("/v1/models/my%20model%2Fx");
  }

  @Test
  void otherStatusCodeIsBadResponse() throws Exception {
    peer.reply("resnet", 503, "overloaded");

    ProbeOutcome outcome = probe.probe("resnet").get(5, TimeUnit.SECONDS);

    assertThat(outcome)
        .isEqualTo(
            new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.BAD_RESPONSE, "HTTP 503: overloaded"));
  }

  @Test
  void bodyOverTheLimitIsBadResponseAndOneAtTheLimitIsRead() throws Exception {
    String status = "{\"model_version_status\":[{\"version\":\"1\",\"state\":\"AVAILABLE\"}]}";
    peer.reply("resnet", 200, status + " ".repeat(BoundedBody.MAX_BYTES));
    peer.reply("bert", 200, status + " ".repeat(BoundedBody.MAX_BYTES - status.length()));

    assertThat(probe.probe("resnet").get(5, TimeUnit.SECONDS))
        .isEqualTo(
            new ProbeOutcome.Failed(
                ProbeOutcome.Failed.Kind.BAD_RESPONSE, "response body larger than 4194304 bytes"));
    assertThat(probe.probe("bert").get(5, TimeUnit.SECONDS)).isInstanceOf(ProbeOutcome.Reported.class);
  }

  @Test
  void unparseableBodyIsBadResponse() throws Exception {
    peer.reply("resnet", 200, "<html>not json</html>");
    peer.reply("bert", 200, "{\"model_version_status\":[{\"version\":\"one\",\"state\":\"AVAILABLE\"}]}");
    peer.reply("gpt", 200, "{}");

    for (String model : List.of("resnet", "bert", "gpt")) {
      ProbeOutcome outcome = probe.probe(model).get(5, TimeUnit.SECONDS);

      assertThat(outcome).isInstanceOf(ProbeOutcome.Failed.class);
      assertThat(((ProbeOutcome.Failed) outcome).kind())
          .isEqualTo(ProbeOutcome.Failed.Kind.BAD_RESPONSE);
    }
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
        new ReplicaConfig("r9", "127.0.0.1", 1, ClosedPort.find(), Protocol.REST);

    ProbeOutcome outcome =
        new RestModelStatusProbe(TestReplicas.of(nobody), client, TIMEOUT).probe("resnet").get(5, TimeUnit.SECONDS);

    assertThat(outcome).isInstanceOf(ProbeOutcome.Failed.class);
    assertThat(((ProbeOutcome.Failed) outcome).kind())
        .isEqualTo(ProbeOutcome.Failed.Kind.CONNECTION_FAILED);
  }
}
