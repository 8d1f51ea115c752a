package io.modelgate.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The load generator against one simulated replica, called directly (no Envoy). */
class LoadGeneratorTest {
  private Simulator simulator;
  private SimulatedReplica replica;
  private RestPredictClient rest;
  private GrpcPredictClient grpc;

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1).withModel(PredictClient.MODEL, 1));
    replica = simulator.replica("r0");
    rest = new RestPredictClient(new InetSocketAddress(replica.host(), replica.restPort()), PredictClient.MODEL);
    grpc = new GrpcPredictClient(new InetSocketAddress(replica.host(), replica.grpcPort()), PredictClient.MODEL, false);
  }

  @AfterEach
  void stop() {
    rest.close();
    grpc.close();
    simulator.close();
  }

  @Test
  void everyCallSentAtTheFixedRateIsAccountedOnceToItsStepAndReplica() throws Exception {
    Tally tally = new Tally();
    AtomicInteger step = new AtomicInteger();
    double rate = 200;
    LoadGenerator load = new LoadGenerator(List.of(rest, grpc), rate, Duration.ofSeconds(2), 100, step::get, tally);
    long start = System.nanoTime();
    load.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> tally.step(0).requests() >= 100);
    step.set(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> tally.step(1).requests() >= 100);
    double elapsedSeconds = (System.nanoTime() - start) / 1e9;

    assertThat(load.stop(Duration.ofSeconds(5))).isTrue();

    long sent = load.sent();
    Tally.Summary summary = tally.summary();
    assertThat(summary.all().requests()).isEqualTo(sent);
    assertThat(summary.all().failed())
        .as(() -> "failures: " + tally.step(0).failures() + " " + tally.step(1).failures())
        .isZero();
    assertThat(tally.step(0).requests() + tally.step(1).requests()).isEqualTo(sent);
    assertThat(summary.byApi().get(Api.REST).requests() - summary.byApi().get(Api.GRPC).requests()).isBetween(0L, 1L);
    assertThat(summary.replicasSeen()).containsExactly("r0");
    // The replica's own count: every call answered, none twice.
    assertThat(replica.requestCount(PredictClient.MODEL)).isEqualTo(sent);
    // Open loop: the number sent follows the clock, not the answers.
    assertThat((double) sent).isBetween(rate * (elapsedSeconds - 0.25), rate * (elapsedSeconds + 0.25) + 2);
  }

  @Test
  void hungTargetFailsEachCallAtItsDeadlineAndNeverHasMoreThanTheLimitInFlight() throws Exception {
    replica.hang(true);
    Tally tally = new Tally();
    int maxInFlight = 8;
    LoadGenerator load =
        new LoadGenerator(List.of(rest, grpc), 100, Duration.ofMillis(300), maxInFlight, () -> 0, tally);
    load.start();
    String restDeadline = "REST no answer within the 300 ms deadline";
    String grpcDeadline = "gRPC DEADLINE_EXCEEDED: no answer within the 300 ms deadline";
    String notSent = "not sent: 8 calls already in flight (client limit)";
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> kinds(tally).containsAll(List.of(restDeadline, grpcDeadline, "REST " + notSent)));

    assertThat(load.stop(Duration.ofSeconds(5))).isTrue();

    Tally.StepCounts step = tally.step(0);
    assertThat(step.requests()).isEqualTo(load.sent());
    assertThat(step.failed()).isEqualTo(step.requests());
    assertThat(step.answeredBy()).isEmpty();
    assertThat(kinds(tally)).isSubsetOf(restDeadline, grpcDeadline, "REST " + notSent, "gRPC " + notSent);
    // The client's limit is proven by the "not sent" failures above; the replica may briefly hold
    // calls whose deadline passed before their cancellation reached it.
    await().atMost(Duration.ofSeconds(5)).until(() -> replica.heldRequests() <= maxInFlight);
  }

  private static List<String> kinds(Tally tally) {
    return tally.step(0).failures().stream().map(f -> f.api() + " " + f.error()).toList();
  }
}
