package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.demo.GrpcPredictClient;
import io.modelgate.demo.PredictClient;
import io.modelgate.demo.RestPredictClient;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.RoutingRig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Retries around a replica that hangs and then dies, under open-loop traffic of 300 Predicts a
 * second through a real Envoy (REST and gRPC alternating, so 150 a second on each of the model's
 * two clusters). One replica of two hangs for 4 s: every call Envoy sends it waits out the per-try
 * timeout (500 ms) and is retried on the other, about 75 retries a second per cluster; then it dies
 * with the calls of the last per-try timeout still open (about 37 per cluster), all retried at
 * once, followed by a connect failure and an immediate retry for every call sent to it afterwards.
 * With hedging, a hung try is left open beside its retry instead of being cancelled.
 *
 * <p>The control plane is stopped before the hang, so Envoy keeps routing to the replica
 * throughout (modelgate would take it out within a few probes): the worst case for the retry
 * limit, reached deterministically.
 */
class HungReplicaRetriesThroughEnvoyTest {
  private static final String MODEL = PredictClient.MODEL;
  private static final String REST = "modelgate/" + MODEL + "/rest";
  private static final String GRPC = "modelgate/" + MODEL + "/grpc";
  private static final double RATE = 300;
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final Pattern CLUSTER_STAT = Pattern.compile("(?m)^cluster\\.(modelgate/\\S+)\\.(\\w+): (\\d+)$");

  private RoutingRig rig;

  @AfterEach
  void stopRig() {
    if (rig != null) {
      rig.closeExpectingNoRejectedUpdate();
    }
  }

  /** With the default retry budget, hedging on per-try timeout or not. */
  @ParameterizedTest(name = "hedgeOnPerTryTimeout={0}")
  @ValueSource(booleans = {false, true})
  void hungReplicaUnder300RequestsPerSecondOverflowsNoRetry(boolean hedge) throws Exception {
    Outcome outcome = hangThenDie(xds -> xds.withHedgeOnPerTryTimeout(hedge));

    assertThat(outcome.stat("upstream_rq_retry_overflow"))
        .as("retries dropped, by model cluster")
        .containsKeys(REST, GRPC)
        .allSatisfy((cluster, overflows) -> assertThat(overflows).as(cluster).isZero());
    assertThat(outcome.failures()).as("failed calls").isEmpty();
    assertThat(outcome.answered()).isEqualTo(outcome.sent());
    // The hang was retried on both clusters, so the overflow counters above are the live ones.
    assertThat(outcome.stat("upstream_rq_retry").get(REST)).isGreaterThan(200);
    assertThat(outcome.stat("upstream_rq_retry").get(GRPC)).isGreaterThan(200);
    Map<String, Long> perTryTimeouts = outcome.stat("upstream_rq_per_try_timeout");
    if (hedge) {
      // A hedged try is left running, not counted as timed out: Envoy applies the hedge policy.
      assertThat(perTryTimeouts).containsEntry(REST, 0L).containsEntry(GRPC, 0L);
    } else {
      assertThat(perTryTimeouts.get(REST)).isGreaterThan(100);
      assertThat(perTryTimeouts.get(GRPC)).isGreaterThan(100);
    }
    assertThat(outcome.stat("upstream_rq_pending_overflow")).allSatisfy((cluster, n) -> assertThat(n).as(cluster).isZero());
  }

  /**
   * The same traffic with at most 3 retries at once per cluster, as Envoy's default circuit
   * breaker allows: retries are dropped and calls fail, so the scenario does test the limit.
   */
  @Test
  void envoysDefaultOfThreeConcurrentRetriesDropsRetriesUnderTheSameTraffic() throws Exception {
    // max(0.001% of the active requests, 3) is 3 at these rates: Envoy's default max_retries.
    Outcome outcome = hangThenDie(xds -> xds.withRetryBudget(new XdsConfig.RetryBudget(0.001, 3)));

    assertThat(outcome.stat("upstream_rq_retry_overflow").get(REST)).isPositive();
    assertThat(outcome.stat("upstream_rq_retry_overflow").get(GRPC)).isPositive();
    assertThat(outcome.failures()).isNotEmpty();
  }

  private Outcome hangThenDie(UnaryOperator<XdsConfig> xds) throws Exception {
    rig =
        RoutingRig.start(
            SimulatorOptions.defaults().withModel(MODEL, 1),
            sim -> {},
            List.of(ModelConfig.any(MODEL)),
            RoutingRig.FAST_PROBES,
            ExtProcConfig.disabled(),
            xds);
    for (String replica : List.of("r0", "r1")) {
      rig.awaitRoutable(REST, replica, true);
      rig.awaitRoutable(GRPC, replica, true);
    }
    rig.stopControlPlane();
    SimulatedReplica r0 = rig.replica("r0");
    InetSocketAddress envoy = new InetSocketAddress("127.0.0.1", rig.listenerPort());
    try (PredictClient rest = new RestPredictClient(envoy, MODEL);
        PredictClient grpc = new GrpcPredictClient(envoy, MODEL, /* routingHeader= */ true)) {
      OpenLoopPredicts load = new OpenLoopPredicts(List.of(rest, grpc), RATE, DEADLINE);
      try {
        awaitSent(load, Duration.ofSeconds(1));
        r0.hang(true);
        awaitSent(load, Duration.ofSeconds(4));
        r0.stop();
        awaitSent(load, Duration.ofSeconds(2));
      } finally {
        load.close();
      }
      Outcome outcome =
          new Outcome(load.sent(), load.answered(), load.failures(), rig.admin("/stats?filter=modelgate/"));
      System.err.println(outcome.summary());
      return outcome;
    }
  }

  /** Waits until the load has sent what its rate gives in {@code time} more. */
  private static void awaitSent(OpenLoopPredicts load, Duration time) {
    long target = load.sent() + (long) (RATE * time.toMillis() / 1000);
    await().atMost(time.multipliedBy(3)).pollInterval(Duration.ofMillis(5)).until(() -> load.sent() >= target);
  }

  /** What the clients saw and Envoy's counters for the model clusters afterwards. */
  private record Outcome(long sent, long answered, Map<String, Long> failures, String clusterStats) {
    /** One Envoy counter of every model cluster, by cluster. */
    Map<String, Long> stat(String name) {
      Map<String, Long> byCluster = new TreeMap<>();
      Matcher matcher = CLUSTER_STAT.matcher(clusterStats);
      while (matcher.find()) {
        if (matcher.group(2).equals(name)) {
          byCluster.put(matcher.group(1), Long.parseLong(matcher.group(3)));
        }
      }
      return byCluster;
    }

    String summary() {
      return "sent " + sent + ", answered " + answered + ", failed " + failures
          + "; overflow " + stat("upstream_rq_retry_overflow") + ", retries " + stat("upstream_rq_retry")
          + ", per-try timeouts " + stat("upstream_rq_per_try_timeout")
          + ", pending overflow " + stat("upstream_rq_pending_overflow");
    }
  }
}
