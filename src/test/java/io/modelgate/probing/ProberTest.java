package io.modelgate.probing;

import io.modelgate.sources.TestReplicas;
import static io.modelgate.probing.GrpcStatusPeer.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.tfserving.api.ModelVersionStatus.State;
import io.modelgate.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProberTest {
  private static final Duration LONG_INTERVAL = Duration.ofHours(1);
  private static final Duration URGENT = Duration.ofMillis(100);

  private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final ModelStatusProbes probes = new ModelStatusProbes(Duration.ofSeconds(10));
  private final Queue<Result> results = new ConcurrentLinkedQueue<>();
  private final Queue<String> trafficFailures = new ConcurrentLinkedQueue<>();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
    scheduler.shutdownNow();
  }

  @Test
  void hungReplicaDoesNotDelayHealthyReplicaInTheSameRound() throws Exception {
    GrpcStatusPeer hung = peer();
    GrpcStatusPeer healthy = peer();
    hung.hang("resnet");
    healthy.reply("resnet", version(1, State.AVAILABLE));
    Duration timeout = Duration.ofSeconds(1);
    Prober prober =
        prober(
            List.of(hung.replica("hung"), healthy.replica("healthy")),
            List.of("resnet"),
            config(LONG_INTERVAL, timeout, 10),
            new ModelStatusProbes(timeout));
    long start = System.nanoTime();

    prober.start();

    await().until(() -> results.size() == 2);
    Result healthyResult = result("healthy", "resnet");
    Result hungResult = result("hung", "resnet");
    assertThat(healthyResult.outcome()).isInstanceOf(ProbeOutcome.Reported.class);
    assertThat(healthyResult.atNanos() - start).isLessThan(timeout.toNanos());
    assertThat(hungResult.outcome())
        .isEqualTo(
            new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.TIMEOUT, "no answer within 1000 ms"));
    assertThat(Duration.ofNanos(hungResult.atNanos() - start)).isLessThan(timeout.plusSeconds(1));
    assertThat(healthyResult.atNanos()).isLessThan(hungResult.atNanos());
  }

  @Test
  void concurrencyBoundHoldsAndWaitingKeysStartAsPermitsFree() throws Exception {
    GrpcStatusPeer peer = peer();
    List<String> models = IntStream.range(0, 6).mapToObj(i -> "m" + i).toList();
    models.forEach(m -> peer.hold(m, version(1, State.AVAILABLE)));
    Prober prober =
        prober(
            List.of(peer.replica("r1")),
            models,
            config(LONG_INTERVAL, Duration.ofSeconds(10), 2));

    prober.runRound();

    for (int answered = 0; answered < 6; answered += 2) {
      int expected = answered;
      await().until(() -> peer.heldCount() == 2);
      assertThat(prober.counters().inFlight()).isEqualTo(2);
      assertThat(results).hasSize(expected);
      peer.releaseHeld();
      await().until(() -> results.size() == expected + 2);
    }
    assertThat(peer.maxInFlight()).isEqualTo(2);
    assertThat(peer.requests()).hasSize(6);
    assertThat(results).extracting(Result::model).containsExactlyInAnyOrderElementsOf(models);
    assertThat(prober.counters()).isEqualTo(new ProbeCounters(6, 0, 0, 0, 0));
  }

  @Test
  void pendingKeyIsSkippedInLaterRoundsNotQueued() throws Exception {
    GrpcStatusPeer peer = peer();
    Prober prober = proberOfOneHeldKey(peer);

    prober.runRound();
    await().until(() -> peer.heldCount() == 1);
    prober.runRound();
    prober.runRound();

    assertThat(prober.counters().skipped()).isEqualTo(2);
    peer.releaseHeld();
    await().until(() -> results.size() == 1);
    assertThat(peer.requests()).hasSize(1);

    prober.runRound();
    await().until(() -> peer.heldCount() == 1);
    assertThat(peer.requests()).hasSize(2);
    assertThat(prober.counters()).isEqualTo(new ProbeCounters(2, 0, 2, 0, 1));
  }

  @Test
  void reprobeStartsAnImmediateProbeUnlessOneIsPending() throws Exception {
    GrpcStatusPeer peer = peer();
    Prober prober = proberOfOneHeldKey(peer);

    assertThat(prober.reprobe("r1", "resnet")).isTrue();
    await().until(() -> peer.heldCount() == 1);
    assertThat(prober.reprobe("r1", "resnet")).isFalse();
    peer.releaseHeld();
    await().until(() -> results.size() == 1);

    assertThat(prober.reprobe("r1", "resnet")).isTrue();
    await().until(() -> peer.heldCount() == 1);
    assertThat(peer.requests()).hasSize(2);
  }

  @Test
  void aFailureSeenInTrafficReachesTheSinkAndStartsAProbeUnlessOneIsPending() throws Exception {
    GrpcStatusPeer peer = peer();
    Prober prober = proberOfOneHeldKey(peer);
    String reason = "a request ended without an answer after 600 ms";

    assertThat(prober.failedInTraffic("r1", "resnet", reason)).isTrue();
    assertThat(trafficFailures).containsExactly("r1/resnet: " + reason);
    await().until(() -> peer.heldCount() == 1);
    assertThat(prober.failedInTraffic("r1", "resnet", reason)).as("the pending probe decides").isFalse();
    assertThat(trafficFailures).hasSize(2);
    peer.releaseHeld();
    await().until(() -> results.size() == 1);

    prober.close();
    assertThat(prober.failedInTraffic("r1", "resnet", reason)).isFalse();
    assertThat(trafficFailures).as("nothing after close").hasSize(2);
    assertThat(prober.failedInTraffic("r9", "resnet", reason)).as("a replica not probed").isFalse();
  }

  @Test
  void reprobeFromInsideAGrpcCallSurvivesThatCallEnding() throws Exception {
    GrpcStatusPeer peer = peer();
    Prober prober = proberOfOneHeldKey(peer);

    // As the ext_proc service calls it: inside a server call whose Context ends with the call.
    io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
    assertThat(call.call(() -> prober.reprobe("r1", "resnet"))).isTrue();
    await().until(() -> peer.heldCount() == 1);
    call.cancel(null);
    peer.releaseHeld();

    await().until(() -> results.size() == 1);
    assertThat(results.peek().toString()).doesNotContain("CANCELLED").contains("AVAILABLE");
  }

  @Test
  void roundsRepeatEveryIntervalAndStampTheHeartbeat() throws Exception {
    GrpcStatusPeer peer = peer();
    peer.reply("resnet", version(1, State.AVAILABLE));
    Prober prober =
        prober(
            List.of(peer.replica("r1")),
            List.of("resnet"),
            config(Duration.ofMillis(50), Duration.ofSeconds(1), 4));
    assertThat(prober.lastRoundStarted()).isEmpty();

    prober.start();

    await().until(() -> results.size() >= 3);
    assertThat(prober.lastRoundStarted()).contains(clock.instant());
    assertThat(prober.interval()).isEqualTo(Duration.ofMillis(50));
  }

  @Test
  void refusedReplicaIsCountedAsFailedAndOthersStillAnswer() throws Exception {
    GrpcStatusPeer peer = peer();
    peer.reply("resnet", version(1, State.AVAILABLE));
    ReplicaConfig nobody =
        new ReplicaConfig("gone", "127.0.0.1", ClosedPort.find(), 1, Protocol.GRPC);
    Prober prober =
        prober(
            List.of(nobody, peer.replica("r1")),
            List.of("resnet"),
            config(LONG_INTERVAL, Duration.ofSeconds(1), 4));

    prober.runRound();

    // The refused key's first failure is confirmed by a second probe at once, not a round later.
    await().until(() -> results.size() == 3);
    assertThat(((ProbeOutcome.Failed) result("gone", "resnet").outcome()).kind())
        .isEqualTo(ProbeOutcome.Failed.Kind.CONNECTION_FAILED);
    assertThat(result("r1", "resnet").outcome()).isInstanceOf(ProbeOutcome.Reported.class);
    await().until(() -> prober.counters().equals(new ProbeCounters(3, 2, 0, 0, 0)));
  }

  @Test
  void aFirstFailureIsConfirmedAtOnceAndAFailingKeyWaitsForTheNextRound() throws Exception {
    ReplicaConfig nobody =
        new ReplicaConfig("gone", "127.0.0.1", ClosedPort.find(), 1, Protocol.GRPC);
    Prober prober =
        prober(List.of(nobody), List.of("resnet"), config(LONG_INTERVAL, Duration.ofSeconds(1), 4));

    prober.runRound();

    await().until(() -> results.size() == 2);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> results.size() == 2);
    prober.runRound();
    await().until(() -> results.size() == 3);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> results.size() == 3);
  }

  @Test
  void aReplicaThatStopsAnsweringOneModelIsProbedForItsOtherModelsAtOnce() throws Exception {
    ReplicaConfig nobody =
        new ReplicaConfig("gone", "127.0.0.1", ClosedPort.find(), 1, Protocol.GRPC);
    Prober prober =
        prober(List.of(nobody), List.of("a", "b", "c"), config(LONG_INTERVAL, Duration.ofSeconds(1), 4));

    prober.reprobe("gone", "a");

    // a's refused connection is the replica's: b and c are probed without waiting for a round,
    // and each failing key is confirmed once, then left to the rounds.
    await().until(() -> results.stream().map(Result::model).distinct().count() == 3);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> results.size() == 6);
  }

  @Test
  void aModelAnsweredBadlyDoesNotProbeTheReplicasOtherModels() throws Exception {
    GrpcStatusPeer peer = peer();
    peer.fail("a", io.grpc.Status.INTERNAL);
    peer.reply("b", version(1, State.AVAILABLE));
    Prober prober = prober(List.of(peer.replica("r1")), List.of("a", "b"), config(LONG_INTERVAL, Duration.ofSeconds(1), 4));

    prober.reprobe("r1", "a");

    await().until(() -> results.size() == 2);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> results.size() == 2);
    assertThat(results).extracting(Result::model).containsOnly("a");
  }

  @Test
  void jitteredStartsStillProbeEveryKeyOnceARound() throws Exception {
    GrpcStatusPeer peer = peer();
    List<String> models = List.of("a", "b", "c", "d");
    models.forEach(m -> peer.reply(m, version(1, State.AVAILABLE)));
    ProbeConfig jittered =
        new ProbeConfig(
            Duration.ofMillis(200),
            Duration.ofSeconds(1),
            1,
            1,
            Duration.ofSeconds(5),
            4,
            /* jitter= */ 0.5,
            Duration.ofSeconds(1),
            Duration.ofMillis(100));
    Prober prober =
        prober(List.of(peer.replica("r1")), models, jittered);

    prober.runRound();

    await().until(() -> results.size() == 4);
    assertThat(results).extracting(Result::model).containsExactlyInAnyOrderElementsOf(models);
  }

  @Test
  void outcomesAfterCloseAreDropped() throws Exception {
    GrpcStatusPeer peer = peer();
    Prober prober = proberOfOneHeldKey(peer);
    prober.runRound();
    await().until(() -> peer.heldCount() == 1);

    prober.close();

    await().until(() -> prober.counters().inFlight() == 0);
    assertThat(results).isEmpty();
    assertThat(prober.reprobe("r1", "resnet")).isFalse();
  }

  @Test
  void aReplicaThatJoinsIsProbedAtOnceNotAtTheNextRound() throws Exception {
    GrpcStatusPeer first = peer();
    GrpcStatusPeer joining = peer();
    first.reply("resnet", version(1, State.AVAILABLE));
    joining.reply("resnet", version(1, State.AVAILABLE));
    Prober prober = prober(List.of(first.replica("r1")), List.of("resnet"), config(LONG_INTERVAL, Duration.ofSeconds(1), 4));
    prober.start();
    await().until(() -> results.size() == 1);

    prober.replicasChanged(TestReplicas.set(List.of(first.replica("r1"), joining.replica("r2"))));

    await().atMost(Duration.ofSeconds(2)).until(() -> results.size() == 2);
    assertThat(result("r2", "resnet").outcome()).isInstanceOf(ProbeOutcome.Reported.class);
    assertThat(prober.keys()).isEqualTo(2);
  }

  @Test
  void aReplicaThatLeavesIsNoLongerProbedAndItsPendingOutcomeIsDropped() throws Exception {
    GrpcStatusPeer leaving = peer();
    Prober prober = proberOfOneHeldKey(leaving);
    prober.runRound();
    await().until(() -> leaving.heldCount() == 1);

    prober.replicasChanged(TestReplicas.set(List.of()));
    leaving.releaseHeld();
    prober.runRound();

    await().until(() -> prober.counters().inFlight() == 0);
    assertThat(results).as("the outcome on its way when it left").isEmpty();
    assertThat(prober.keys()).isZero();
    assertThat(prober.reprobe("r1", "resnet")).isFalse();
    assertThat(leaving.requests()).hasSize(1);
  }

  @Test
  void aModelAddedIsProbedAtOnceOnEveryReplicaAndARemovedOneNoMore() throws Exception {
    GrpcStatusPeer peer = peer();
    peer.reply("resnet", version(1, State.AVAILABLE));
    peer.reply("bert", version(1, State.AVAILABLE));
    Prober prober = prober(List.of(peer.replica("r1")), List.of("resnet"), config(LONG_INTERVAL, Duration.ofSeconds(1), 4));
    prober.start();
    await().until(() -> results.size() == 1);

    prober.modelsChanged(List.of(ModelConfig.any("bert")));

    await().atMost(Duration.ofSeconds(2)).until(() -> results.size() == 2);
    assertThat(result("r1", "bert").outcome()).isInstanceOf(ProbeOutcome.Reported.class);
    assertThat(prober.keys()).isEqualTo(1);
    assertThat(prober.reprobe("r1", "resnet")).isFalse();
  }

  @Test
  void aLoadingKeyIsProbedEveryUrgentIntervalUntilAvailableThenOncePerInterval() throws Exception {
    GrpcStatusPeer peer = peer();
    peer.reply("resnet", version(1, State.LOADING));
    Prober prober =
        prober(List.of(peer.replica("r1")), List.of("resnet"), config(LONG_INTERVAL, Duration.ofSeconds(1), 4));
    long start = System.nanoTime();

    prober.start();

    // One round in the hour: every probe after the first is urgent.
    await().atMost(Duration.ofSeconds(5)).until(() -> probes(peer, "resnet") >= 11);
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
    assertThat(prober.counters().urgent())
        .as("no faster than one per urgent interval (%d ms)", elapsedMillis)
        .isBetween(10L, elapsedMillis / URGENT.toMillis() + 2);

    peer.reply("resnet", version(1, State.AVAILABLE));
    await().until(() -> String.valueOf(lastOutcome("r1", "resnet")).contains("AVAILABLE"));
    assertNoMoreThanOneFurtherProbe(peer, "resnet");
  }

  @Test
  void anUrgentTickStartsAtMostMaxConcurrencyProbesAndEveryUrgentKeyGetsItsTurn() throws Exception {
    List<GrpcStatusPeer> loading = List.of(peer(), peer(), peer(), peer());
    loading.forEach(p -> p.reply("resnet", version(1, State.LOADING)));
    List<ReplicaConfig> replicas = new ArrayList<>();
    for (int i = 0; i < loading.size(); i++) {
      replicas.add(loading.get(i).replica("r" + i));
    }
    Prober prober = prober(replicas, List.of("resnet"), config(LONG_INTERVAL, Duration.ofSeconds(1), 1));
    long start = System.nanoTime();

    prober.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> loading.stream().allMatch(p -> probes(p, "resnet") >= 4));
    long ticks = (System.nanoTime() - start) / URGENT.toNanos();
    assertThat(prober.counters().urgent()).as("one urgent probe per tick at most (%d ticks)", ticks).isLessThanOrEqualTo(ticks + 1);
  }

  @Test
  void aLoadingKeyIsProbedUrgentlyEvenWhereAnotherReplicaServesTheModel() throws Exception {
    GrpcStatusPeer serving = peer();
    GrpcStatusPeer loading = peer();
    serving.reply("resnet", version(1, State.AVAILABLE));
    loading.reply("resnet", version(1, State.LOADING));
    Prober prober =
        prober(
            List.of(serving.replica("r1"), loading.replica("r2")),
            List.of("resnet"),
            config(LONG_INTERVAL, Duration.ofSeconds(1), 4));

    prober.start();

    await().atMost(Duration.ofSeconds(5)).until(() -> probes(loading, "resnet") >= 11);
    assertThat(probes(serving, "resnet")).as("the serving key: its round probe only").isEqualTo(1);
  }

  @Test
  void aModelWithWaitingRequestsHasItsKeysThatDoNotServeProbedUrgentlyUntilTheWaitEnds()
      throws Exception {
    GrpcStatusPeer serving = peer();
    GrpcStatusPeer without = peer(); // answers NOT_FOUND
    serving.reply("resnet", version(1, State.AVAILABLE));
    Prober prober =
        prober(
            List.of(serving.replica("r1"), without.replica("r2")),
            List.of("resnet"),
            config(LONG_INTERVAL, Duration.ofSeconds(1), 4));
    prober.start();
    await().until(() -> results.size() == 2);
    prober.demand("unknown-model", true);
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> probes(without, "resnet") == 1);

    prober.demand("resnet", true);

    await().atMost(Duration.ofSeconds(5)).until(() -> probes(without, "resnet") >= 11);
    assertThat(probes(serving, "resnet")).as("the serving key").isEqualTo(1);

    prober.demand("resnet", false);

    assertNoMoreThanOneFurtherProbe(without, "resnet");
    assertThat(probes(serving, "resnet")).isEqualTo(1);
  }

  @Test
  void keysOfDeadOrHungReplicasAreNeverProbedUrgentlyEvenWithRequestsWaiting() throws Exception {
    GrpcStatusPeer hung = peer();
    hung.hang("resnet");
    ReplicaConfig dead = new ReplicaConfig("dead", "127.0.0.1", ClosedPort.find(), 1, Protocol.GRPC);
    Duration timeout = Duration.ofMillis(300);
    Prober prober =
        prober(
            List.of(hung.replica("hung"), dead),
            List.of("resnet"),
            config(LONG_INTERVAL, timeout, 4),
            new ModelStatusProbes(timeout));
    prober.demand("resnet", true);

    prober.start();

    // The round's probe and its confirmation, then nothing for 20 urgent intervals.
    await().until(() -> results.size() == 4);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(4))
        .until(() -> results.size() == 4 && hung.requests().size() == 2);
    assertThat(results).allMatch(r -> r.outcome() instanceof ProbeOutcome.Failed);
    assertThat(prober.counters().urgent()).isZero();
  }

  @Test
  void aReplicaThatAnswersAgainAfterFailingHasItsKeysThatDoNotServeProbedUrgentlyUntilTheyServe()
      throws Exception {
    GrpcStatusPeer peer = peer();
    peer.hang("a");
    peer.hang("b");
    Duration timeout = Duration.ofMillis(300);
    Prober prober =
        prober(
            List.of(peer.replica("r1")),
            List.of("a", "b"),
            config(LONG_INTERVAL, timeout, 4),
            new ModelStatusProbes(timeout));
    prober.start();
    await().until(() -> results.size() == 4);
    assertThat(prober.counters().urgent()).isZero();

    // Back, with a loaded and b unknown to it: only the replica's recovery makes b urgent.
    peer.reply("a", version(1, State.AVAILABLE));
    peer.fail("b", io.grpc.Status.NOT_FOUND);
    assertThat(prober.reprobe("r1", "a")).isTrue();

    await().atMost(Duration.ofSeconds(5)).until(() -> probes(peer, "b") >= 2 + 10);
    assertThat(probes(peer, "a")).as("a serves: not urgent").isEqualTo(3);

    peer.reply("b", version(1, State.AVAILABLE));
    await().until(() -> String.valueOf(lastOutcome("r1", "b")).contains("AVAILABLE"));
    assertNoMoreThanOneFurtherProbe(peer, "b");
  }

  @Test
  void aRecoveredReplicasKeysAreNoLongerUrgentOnceTheRecoveryWindowHasPassed() throws Exception {
    GrpcStatusPeer peer = peer();
    peer.hang("a");
    Duration timeout = Duration.ofMillis(300);
    Prober prober =
        prober(
            List.of(peer.replica("r1")),
            List.of("a"),
            config(LONG_INTERVAL, timeout, 4),
            new ModelStatusProbes(timeout));
    prober.start();
    await().until(() -> results.size() == 2);
    peer.fail("a", io.grpc.Status.NOT_FOUND);
    prober.reprobe("r1", "a");
    await().atMost(Duration.ofSeconds(5)).until(() -> probes(peer, "a") >= 3 + 5);

    clock.advance(LONG_INTERVAL.multipliedBy(Prober.RECOVERY_INTERVALS));

    assertNoMoreThanOneFurtherProbe(peer, "a");
  }

  @Test
  void urgentTicksDoNotPullTheJitteredStartsOfAColdStartForward() throws Exception {
    GrpcStatusPeer peer = peer(); // every model answers NOT_FOUND
    List<String> models = IntStream.range(0, 10).mapToObj(i -> "m" + i).toList();
    // The first round's starts spread over 5 s: at most one in 50 falls before the first tick.
    ProbeConfig spread =
        new ProbeConfig(
            Duration.ofSeconds(10),
            Duration.ofSeconds(1),
            1,
            1,
            Duration.ofSeconds(20),
            4,
            /* jitter= */ 0.5,
            Duration.ofSeconds(10),
            URGENT);
    Prober prober = prober(List.of(peer.replica("r1")), models, spread);

    prober.start();

    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(2))
        .until(() -> prober.counters().urgent() == 0);
  }

  @Test
  void aModelNotReadyEverywhereWithoutWaitingRequestsIsNotProbedUrgently() throws Exception {
    GrpcStatusPeer ended = peer();
    GrpcStatusPeer without = peer(); // answers NOT_FOUND
    ended.reply("resnet", version(1, State.END));
    Prober prober =
        prober(
            List.of(ended.replica("r1"), without.replica("r2")),
            List.of("resnet"),
            config(LONG_INTERVAL, Duration.ofSeconds(1), 4));

    prober.start();

    await().until(() -> results.size() == 2);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> results.size() == 2);
    assertThat(prober.counters().urgent()).isZero();
  }

  private GrpcStatusPeer peer() throws Exception {
    GrpcStatusPeer peer = GrpcStatusPeer.start();
    toClose.add(peer);
    return peer;
  }

  /** Probes r1/resnet only in rounds run by hand; the peer holds its answer until released. */
  private Prober proberOfOneHeldKey(GrpcStatusPeer peer) {
    peer.hold("resnet", version(1, State.AVAILABLE));
    return prober(
        List.of(peer.replica("r1")), List.of("resnet"), config(LONG_INTERVAL, Duration.ofSeconds(10), 4));
  }

  private Prober prober(List<ReplicaConfig> replicas, List<String> models, ProbeConfig config) {
    return prober(replicas, models, config, probes);
  }

  private Prober prober(
      List<ReplicaConfig> replicas,
      List<String> models,
      ProbeConfig config,
      ModelStatusProbes opener) {
    Prober prober =
        new Prober(
            models.stream().map(ModelConfig::any).toList(),
            config,
            opener::open,
            new ProbeResultSink() {
              @Override
              public void accept(String replica, String model, ProbeOutcome outcome) {
                results.add(new Result(replica, model, outcome, System.nanoTime()));
              }

              @Override
              public void failedInTraffic(String replica, String model, String reason) {
                trafficFailures.add(replica + "/" + model + ": " + reason);
              }
            },
            scheduler,
            clock);
    toClose.add(0, prober);
    prober.replicasChanged(TestReplicas.set(replicas));
    return prober;
  }

  private static ProbeConfig config(Duration interval, Duration timeout, int maxConcurrency) {
    return new ProbeConfig(
        interval,
        timeout,
        1,
        1,
        Duration.ofSeconds(5),
        maxConcurrency,
        0,
        Duration.ofSeconds(1),
        URGENT);
  }

  private static long probes(GrpcStatusPeer peer, String model) {
    return peer.requests().stream().filter(r -> r.getModelSpec().getName().equals(model)).count();
  }

  /** A probe started before the key stopped being urgent may still arrive; no other may. */
  private static void assertNoMoreThanOneFurtherProbe(GrpcStatusPeer peer, String model) {
    long now = probes(peer, model);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> probes(peer, model) <= now + 1);
  }

  private ProbeOutcome lastOutcome(String replica, String model) {
    ProbeOutcome last = null;
    for (Result r : results) {
      if (r.replica().equals(replica) && r.model().equals(model)) {
        last = r.outcome();
      }
    }
    return last;
  }

  private Result result(String replica, String model) {
    return results.stream()
        .filter(r -> r.replica().equals(replica) && r.model().equals(model))
        .findFirst()
        .orElseThrow();
  }

  private record Result(String replica, String model, ProbeOutcome outcome, long atNanos) {}
}
