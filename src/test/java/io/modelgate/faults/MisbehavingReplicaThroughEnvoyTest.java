package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.modelgate.config.ModelConfig;
import io.modelgate.simulator.Misbehaviour;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.InferenceClient.Answer;
import io.modelgate.xds.RoutingRig;
import io.modelgate.xds.TrafficLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What clients of Envoy see when one of two replicas starts misbehaving on the wire, and which
 * calls are lost. Envoy retries a call on the other replica only while no response header has
 * come back: a reset stream, a closed connection or bytes that are not HTTP/2 are retried and cost
 * nothing; a 200 whose body is garbage, huge or HTML has already gone to the client and cannot be
 * retried. modelgate's part is to take such a replica out of routing within a few probe
 * intervals, after which nothing is lost.
 *
 * <p>Which calls are lost is shown in two steps: first with the control plane stopped (Envoy
 * keeps routing to the misbehaving replica, so every call it picks shows Envoy's own behaviour,
 * deterministically), then under continuous traffic with modelgate watching.
 */
class MisbehavingReplicaThroughEnvoyTest {
  private static final String MODEL = "m";
  private static final String REST = "modelgate/m/rest";
  private static final String GRPC = "modelgate/m/grpc";

  private RoutingRig rig;

  @BeforeEach
  void start() {
    rig = RoutingRig.start(SimulatorOptions.defaults().withModel(MODEL, 1), sim -> {}, List.of(ModelConfig.any(MODEL)));
    for (String replica : List.of("r0", "r1")) {
      rig.awaitRoutable(REST, replica, true);
      rig.awaitRoutable(GRPC, replica, true);
    }
  }

  @AfterEach
  void stopRig() {
    rig.closeExpectingNoRejectedUpdate();
  }

  /**
   * With no control plane to take r0 out, Envoy sends it about half the calls: those it can
   * retry on r1 succeed, the others fail exactly as {@link #lostTo(Misbehaviour, Answer)} says.
   */
  @ParameterizedTest
  @EnumSource(Misbehaviour.class)
  void envoyRetriesResetsOnTheHealthyReplicaButPassesA200WithABadBodyOn(Misbehaviour how) {
    rig.stopControlPlane();
    rig.replica("r0").misbehave(how);

    List<Answer> rest = new ArrayList<>();
    List<Answer> grpc = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rest.add(rig.client().restPredict(MODEL));
      grpc.add(rig.client().grpcPredict(MODEL));
    }

    assertLosses(how, rest, restLost(how));
    assertLosses(how, grpc, grpcLost(how));
    if (!restLost(how)) {
      assertThat(rig.counter("cluster." + REST + ".upstream_rq_retry_success")).isPositive();
    }
    if (!grpcLost(how)) {
      assertThat(rig.counter("cluster." + GRPC + ".upstream_rq_retry_success")).isPositive();
    }
  }

  /**
   * Under continuous traffic, modelgate takes the misbehaving replica out of Envoy's routing; a
   * call lost before that is one of the kinds Envoy cannot retry, and after it none is lost.
   */
  @ParameterizedTest
  @EnumSource(Misbehaviour.class)
  void misbehavingReplicaLeavesRoutingAndCallsAfterThatAllSucceed(Misbehaviour how) throws Exception {
    TrafficLoop during = traffic();
    awaitMoreCalls(during, 40);

    rig.replica("r0").misbehave(how);
    rig.awaitRoutable(REST, "r0", false);
    rig.awaitRoutable(GRPC, "r0", false);
    during.close();
    try (TrafficLoop after = traffic()) {
      awaitMoreCalls(after, 100);
      after.close();

      assertThat(during.failures()).allSatisfy(failure -> assertThat(lostTo(how, failure)).as(failure.toString()).isTrue());
      assertThat(after.failures()).isEmpty();
      assertThat(after.answeredBy()).containsOnlyKeys("r1");
    }
  }

  /** Whether Envoy loses the REST calls it sends to a replica misbehaving this way. */
  private static boolean restLost(Misbehaviour how) {
    return how != Misbehaviour.RESET_STREAMS;
  }

  /** Whether Envoy loses the gRPC calls it sends to a replica misbehaving this way. */
  private static boolean grpcLost(Misbehaviour how) {
    return how == Misbehaviour.HUGE_BODY || how == Misbehaviour.WRONG_CONTENT_TYPE;
  }

  /** {@code failure} is what a client gets from a call Envoy sent to r0 misbehaving as {@code how}. */
  private static boolean lostTo(Misbehaviour how, Answer failure) {
    boolean rest = failure.grpcCode() == null;
    if (rest) {
      boolean from200 = failure.httpStatus() == 200 && failure.replica().equals("r0");
      return switch (how) {
        case GARBAGE_BYTES -> from200 && failure.contentType().equals("application/json") && failure.body().startsWith("\0");
        case HUGE_BODY -> from200 && failure.body().length() == 8 << 20;
        case WRONG_CONTENT_TYPE -> from200 && failure.contentType().equals("text/html");
        case RESET_STREAMS -> false;
      };
    }
    return switch (how) {
      case HUGE_BODY ->
          failure.grpcCode() == Status.Code.RESOURCE_EXHAUSTED
              && failure.body().equals("gRPC message exceeds maximum size 4194304: 67108864");
      case WRONG_CONTENT_TYPE ->
          failure.grpcCode() == Status.Code.UNKNOWN && failure.body().contains("invalid content-type: text/html");
      case GARBAGE_BYTES, RESET_STREAMS -> false;
    };
  }

  private static void assertLosses(Misbehaviour how, List<Answer> answers, boolean lost) {
    List<Answer> failures = answers.stream().filter(a -> !a.ok()).toList();
    assertThat(answers.stream().filter(Answer::ok)).allSatisfy(a -> assertThat(a.replica()).isEqualTo("r1"));
    if (lost) {
      // Round robin over two hosts: about every other call goes to r0 first.
      assertThat(failures).isNotEmpty().allSatisfy(f -> assertThat(lostTo(how, f)).as(f.toString()).isTrue());
    } else {
      assertThat(failures).isEmpty();
    }
  }

  private TrafficLoop traffic() {
    return new TrafficLoop(
        5_000, Duration.ofSeconds(30), () -> rig.client().restPredict(MODEL), () -> rig.client().grpcPredict(MODEL));
  }

  private static void awaitMoreCalls(TrafficLoop traffic, int calls) {
    int target = traffic.count() + calls;
    await().atMost(Duration.ofSeconds(15)).until(() -> traffic.count() >= target);
  }
}
