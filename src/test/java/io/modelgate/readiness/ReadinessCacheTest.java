package io.modelgate.readiness;

import io.modelgate.config.Protocol;
import io.modelgate.view.ReadinessListener;
import io.modelgate.sources.ReplicaSet;
import io.modelgate.sources.Replica;
import io.modelgate.view.ReplicaState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.github.benmanes.caffeine.cache.Scheduler;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.probing.ProbeOutcome;
import io.modelgate.probing.VersionState;
import io.modelgate.probing.VersionStatus;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReadinessCacheTest {
  private static final Duration STALENESS = Duration.ofSeconds(5);
  // Caffeine's timer wheel evicts in buckets of about 1.07 s, so a clean-up just past the bound
  // may not see the entry yet (a read would: it checks the exact time).
  private static final Duration PAST_STALENESS = STALENESS.plusMillis(1100);
  private static final ProbeOutcome.Failed TIMEOUT =
      new ProbeOutcome.Failed(ProbeOutcome.Failed.Kind.TIMEOUT, "no answer within 500 ms");

  private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
  private final AtomicLong ticker = new AtomicLong();
  private final QueuedExecutor writer = new QueuedExecutor();
  private final List<ReplicaHealth> reports = new ArrayList<>();
  private ReadinessCache cache = cache(ModelConfig.any("resnet"), 1, 1);

  @Test
  void versionLifecycleGoesLoadingReadyDrainingNotReady() {
    feed(reported(v(1, VersionState.LOADING)));
    assertLast(ReplicaState.LOADING, "version 1 LOADING");

    feed(reported(v(1, VersionState.AVAILABLE)));
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");
    assertThat(last().availableVersions()).containsExactly(1L);

    feed(reported(v(1, VersionState.UNLOADING)));
    assertLast(ReplicaState.DRAINING, "version 1 UNLOADING");
    assertThat(last().availableVersions()).isEmpty();

    feed(reported(v(1, VersionState.END)));
    assertLast(ReplicaState.NOT_READY, "version 1 unloaded (END)");
    assertThat(reports).hasSize(4);
  }

  @Test
  void startStateCountsAsLoading() {
    feed(reported(v(1, VersionState.START)));

    assertLast(ReplicaState.LOADING, "version 1 START");
  }

  @Test
  void loadFailureIsNotReadyWithTheErrorMessage() {
    feed(reported(new VersionStatus(3, VersionState.END, "NOT_FOUND", "no servable at /models/3")));

    assertLast(ReplicaState.NOT_READY, "version 3 failed to load: no servable at /models/3");
  }

  @Test
  void modelNotFoundIsNotReady() {
    feed(new ProbeOutcome.ModelNotFound("Could not find any versions of model resnet"));

    assertLast(
        ReplicaState.NOT_READY, "model not found: Could not find any versions of model resnet");
  }

  @Test
  void failedProbeFromUnknownIsUnreachableAtOnce() {
    cache = cache(ModelConfig.any("resnet"), 1, 3);

    feed(TIMEOUT);

    assertLast(ReplicaState.UNREACHABLE, "TIMEOUT: no answer within 500 ms");
  }

  @Test
  void enteringReadyNeedsHealthyThresholdAnswers() {
    cache = cache(ModelConfig.any("resnet"), 2, 1);
    feed(reported(v(1, VersionState.LOADING)));

    feed(reported(v(1, VersionState.AVAILABLE)));
    assertLast(ReplicaState.LOADING, "available, 1 of 2 answers");

    feed(reported(v(1, VersionState.AVAILABLE)));
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");
  }

  @Test
  void anInterruptedRunOfReadyAnswersStartsOver() {
    cache = cache(ModelConfig.any("resnet"), 2, 1);
    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(reported(v(1, VersionState.LOADING)));

    feed(reported(v(1, VersionState.AVAILABLE)));

    assertLast(ReplicaState.LOADING, "available, 1 of 2 answers");
  }

  @Test
  void readyStaysThroughFailuresBelowUnhealthyThreshold() {
    cache = cache(ModelConfig.any("resnet"), 1, 3);
    feed(reported(v(1, VersionState.AVAILABLE)));
    int reportsWhenReady = reports.size();

    feed(TIMEOUT);
    feed(TIMEOUT);
    assertThat(reports).hasSize(reportsWhenReady);
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");

    feed(TIMEOUT);
    assertLast(ReplicaState.UNREACHABLE, "TIMEOUT: no answer within 500 ms");
  }

  @Test
  void anAnswerResetsTheFailureCount() {
    cache = cache(ModelConfig.any("resnet"), 1, 2);
    feed(reported(v(1, VersionState.AVAILABLE)));

    feed(TIMEOUT);
    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(TIMEOUT);

    assertLast(ReplicaState.READY, "version 1 AVAILABLE");
  }

  @Test
  void aFailureSeenInTrafficCountsAsTheFirstSoOneFailedProbeTakesTheKeyOut() {
    cache = cache(ModelConfig.any("resnet"), 1, 2);
    feed(reported(v(1, VersionState.AVAILABLE)));
    int reportsWhenReady = reports.size();

    failInTraffic();
    assertThat(reports).as("still READY: traffic alone never takes a key out").hasSize(reportsWhenReady);
    feed(TIMEOUT);

    assertLast(ReplicaState.UNREACHABLE, "TIMEOUT: no answer within 500 ms");
  }

  @Test
  void failuresSeenInTrafficNeverCountTwiceNorAfterAFailedProbe() {
    cache = cache(ModelConfig.any("resnet"), 1, 3);
    feed(reported(v(1, VersionState.AVAILABLE)));
    failInTraffic();
    failInTraffic();
    feed(TIMEOUT);
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");

    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(TIMEOUT);
    failInTraffic();
    feed(TIMEOUT);
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");
    feed(TIMEOUT);
    assertLast(ReplicaState.UNREACHABLE, "TIMEOUT: no answer within 500 ms");
  }

  @Test
  void aFailureSeenInTrafficIsIgnoredWithAThresholdOfOneAndForKeysNotReady() {
    feed(reported(v(1, VersionState.AVAILABLE)));
    failInTraffic();
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");

    cache = cache(ModelConfig.any("resnet"), 1, 2);
    feed(reported(v(1, VersionState.LOADING)));
    failInTraffic();
    assertLast(ReplicaState.LOADING, "version 1 LOADING");
    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(TIMEOUT);
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");
  }

  @Test
  void replicasOwnNotAvailableAnswerLeavesReadyAtOnce() {
    cache = cache(ModelConfig.any("resnet"), 3, 3);
    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(reported(v(1, VersionState.AVAILABLE)));
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");

    feed(reported(v(1, VersionState.UNLOADING)));

    assertLast(ReplicaState.DRAINING, "version 1 UNLOADING");
  }

  @Test
  void failureFromNonReadyStateIsUnreachableAtOnce() {
    cache = cache(ModelConfig.any("resnet"), 1, 3);
    feed(reported(v(1, VersionState.LOADING)));

    feed(TIMEOUT);

    assertLast(ReplicaState.UNREACHABLE, "TIMEOUT: no answer within 500 ms");
  }

  @Test
  void newVersionAvailableWhileOldUnloadsIsReady() {
    feed(reported(v(1, VersionState.AVAILABLE)));

    feed(reported(v(1, VersionState.UNLOADING), v(2, VersionState.AVAILABLE)));

    assertLast(ReplicaState.READY, "version 2 AVAILABLE");
    assertThat(last().availableVersions()).containsExactly(2L);
  }

  @Test
  void pinnedVersionThatIsNotTrackedIsNotReady() {
    cache = cache(new ModelConfig("resnet", OptionalLong.of(2), Optional.empty(), Map.of()), 1, 1);

    feed(reported(v(1, VersionState.AVAILABLE)));

    assertLast(ReplicaState.NOT_READY, "version 2 not tracked (have 1)");
    assertThat(last().availableVersions()).containsExactly(1L);
  }

  @Test
  void labelResolvesThroughConfiguredLabels() {
    cache =
        cache(
            new ModelConfig(
                "resnet",
                OptionalLong.empty(),
                Optional.of("canary"),
                Map.of("stable", 1L, "canary", 2L)),
            1,
            1);

    feed(reported(v(1, VersionState.AVAILABLE), v(2, VersionState.LOADING)));
    assertLast(ReplicaState.LOADING, "version 2 LOADING");

    feed(reported(v(1, VersionState.AVAILABLE), v(2, VersionState.AVAILABLE)));
    assertLast(ReplicaState.READY, "version 2 AVAILABLE");
  }

  @Test
  void unpinnedModelIsReadyOnAnyAvailableVersion() {
    feed(
        reported(
            v(1, VersionState.AVAILABLE), v(2, VersionState.AVAILABLE), v(3, VersionState.LOADING)));

    assertLast(ReplicaState.READY, "versions 1, 2 AVAILABLE");
  }

  @Test
  void emptyVersionListIsNotReady() {
    feed(reported());

    assertLast(ReplicaState.NOT_READY, "no versions reported");
  }

  @Test
  void repeatedAnswerReportsNothingAndKeepsSince() {
    feed(reported(v(1, VersionState.AVAILABLE)));
    Instant readySince = last().since();
    advance(Duration.ofSeconds(1));

    feed(reported(v(1, VersionState.AVAILABLE)));
    assertThat(reports).hasSize(1);

    feed(reported(v(1, VersionState.AVAILABLE), v(2, VersionState.AVAILABLE)));
    assertThat(reports).hasSize(2);
    assertThat(last().since()).isEqualTo(readySince);
  }

  @Test
  void sinceMovesWhenTheStateChanges() {
    feed(reported(v(1, VersionState.LOADING)));
    advance(Duration.ofSeconds(3));

    feed(reported(v(1, VersionState.AVAILABLE)));

    assertThat(last().since()).isEqualTo(clock.instant());
  }

  @Test
  void entryWithoutAnswerWithinStalenessTurnsUnknown() {
    feed(reported(v(1, VersionState.AVAILABLE)));

    advance(STALENESS.minusNanos(1));
    cleanUp();
    assertLast(ReplicaState.READY, "version 1 AVAILABLE");

    advance(PAST_STALENESS.minus(STALENESS.minusNanos(1)));
    cleanUp();
    assertLast(ReplicaState.UNKNOWN, "no answer for 5s");
    assertThat(last().since()).isEqualTo(clock.instant());
  }

  @Test
  void failuresDoNotExtendStaleness() {
    cache = cache(ModelConfig.any("resnet"), 1, 10);
    feed(reported(v(1, VersionState.AVAILABLE)));

    advance(Duration.ofSeconds(3));
    feed(TIMEOUT);
    advance(PAST_STALENESS.minusSeconds(3));
    cleanUp();

    assertLast(ReplicaState.UNKNOWN, "no answer for 5s");
  }

  @Test
  void answersExtendStaleness() {
    feed(reported(v(1, VersionState.AVAILABLE)));

    advance(Duration.ofSeconds(3));
    feed(reported(v(1, VersionState.AVAILABLE)));
    advance(Duration.ofSeconds(3));
    cleanUp();

    assertLast(ReplicaState.READY, "version 1 AVAILABLE");
  }

  @Test
  void unreachableDoesNotExpire() {
    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(TIMEOUT);

    advance(STALENESS.multipliedBy(3));
    cleanUp();

    assertLast(ReplicaState.UNREACHABLE, "TIMEOUT: no answer within 500 ms");
  }

  @Test
  void answerAfterExpiryStartsFromUnknown() {
    cache = cache(ModelConfig.any("resnet"), 2, 1);
    feed(reported(v(1, VersionState.AVAILABLE)));
    feed(reported(v(1, VersionState.AVAILABLE)));
    advance(PAST_STALENESS);
    cleanUp();
    assertLast(ReplicaState.UNKNOWN, "no answer for 5s");

    feed(reported(v(1, VersionState.AVAILABLE)));

    assertLast(ReplicaState.UNKNOWN, "available, 1 of 2 answers");
  }

  @Test
  void answerQueuedBeforeTheExpiryNoticeWins() {
    feed(reported(v(1, VersionState.AVAILABLE)));
    advance(PAST_STALENESS);

    // The answer is applied before the expiry notice, which must not overwrite it.
    cache.accept("r1", "resnet", reported(v(1, VersionState.AVAILABLE)));
    cache.cleanUp();
    writer.runAll();

    assertThat(reports)
        .extracting(ReplicaHealth::state)
        .containsExactly(ReplicaState.READY, ReplicaState.UNKNOWN, ReplicaState.READY);
  }

  @Test
  void outcomeThatFindsAStaleEntryPublishesTheExpiryFirst() {
    cache = cache(ModelConfig.any("resnet"), 1, 3);
    feed(reported(v(1, VersionState.AVAILABLE)));
    // Exactly at the bound: a read sees the entry as expired before the timer wheel evicts it.
    advance(STALENESS);

    feed(TIMEOUT);
    advance(Duration.ofSeconds(2));
    cleanUp();

    assertThat(reports)
        .extracting(ReplicaHealth::state, ReplicaHealth::reason)
        .containsExactly(
            tuple(ReplicaState.READY, "version 1 AVAILABLE"),
            tuple(ReplicaState.UNKNOWN, "no answer for 5s"),
            tuple(ReplicaState.UNREACHABLE, "TIMEOUT: no answer within 500 ms"));
  }

  @Test
  void aReplicaAtANewAddressStartsOverSoItsFirstAnswerThereIsReported() {
    cache.accept("r1", "resnet", reported(v(1, VersionState.AVAILABLE)));
    writer.runAll();

    cache.replicasChanged(
        ReplicaSet.of(
            List.of(
                new Replica("r1", "10.0.0.9", "10.0.0.9", 8500, 8501, Protocol.GRPC, "", false),
                new Replica("r2", "127.0.0.1", "127.0.0.1", 8510, 8511, Protocol.GRPC, "", false))));
    cache.accept("r1", "resnet", reported(v(1, VersionState.AVAILABLE)));
    writer.runAll();

    // The view shows the moved replica UNKNOWN: the same answer at its new address must reach it.
    assertThat(reports).extracting(ReplicaHealth::state).containsExactly(ReplicaState.READY, ReplicaState.READY);
  }

  @Test
  void keysAreIndependent() {
    cache.accept("r1", "resnet", reported(v(1, VersionState.AVAILABLE)));
    cache.accept("r2", "resnet", reported(v(1, VersionState.LOADING)));
    writer.runAll();

    assertThat(reports)
        .extracting(ReplicaHealth::replicaId, ReplicaHealth::state)
        .containsExactly(
            tuple("r1", ReplicaState.READY),
            tuple("r2", ReplicaState.LOADING));
  }

  @Test
  void anOutcomeOfAModelNoLongerConfiguredIsIgnored() {
    cache.accept("r1", "bert", reported(v(1, VersionState.AVAILABLE)));
    cache.accept("r1", "resnet", reported(v(1, VersionState.AVAILABLE)));
    cache.modelsChanged(List.of());
    cache.accept("r1", "resnet", reported(v(1, VersionState.LOADING)));
    writer.runAll();

    assertThat(reports).extracting(ReplicaHealth::state).containsExactly(ReplicaState.READY);
  }

  private ReadinessCache cache(ModelConfig model, int healthyThreshold, int unhealthyThreshold) {
    ProbeConfig config =
        new ProbeConfig(
            Duration.ofSeconds(1),
            Duration.ofMillis(500),
            healthyThreshold,
            unhealthyThreshold,
            STALENESS,
            16,
            0,
            Duration.ofSeconds(10),
            Duration.ofMillis(100));
    ReadinessCache cache =
        new ReadinessCache(
            List.of(model),
            config,
            new ReadinessListener() {
              @Override
              public void readinessChanged(String m, ReplicaHealth health) {
                reports.add(health);
              }

              @Override
              public void replicasChanged(ReplicaSet set) {}

              @Override
              public void modelsChanged(List<ModelConfig> models) {}
            },
            writer,
            clock,
            ticker::get,
            Scheduler.disabledScheduler());
    cache.replicasChanged(
        ReplicaSet.of(
            List.of(
                new Replica("r1", "127.0.0.1", "127.0.0.1", 8500, 8501, Protocol.GRPC, "", false),
                new Replica("r2", "127.0.0.1", "127.0.0.1", 8510, 8511, Protocol.GRPC, "", false))));
    return cache;
  }

  private void feed(ProbeOutcome outcome) {
    cache.accept("r1", "resnet", outcome);
    writer.runAll();
  }

  private void failInTraffic() {
    cache.failedInTraffic("r1", "resnet", "a request ended without an answer after 600 ms");
    writer.runAll();
  }

  private void advance(Duration duration) {
    clock.advance(duration);
    ticker.addAndGet(duration.toNanos());
  }

  private void cleanUp() {
    cache.cleanUp();
    writer.runAll();
  }

  private ReplicaHealth last() {
    assertThat(reports).isNotEmpty();
    return reports.get(reports.size() - 1);
  }

  private void assertLast(ReplicaState state, String reason) {
    assertThat(last().state()).isEqualTo(state);
    assertThat(last().reason()).isEqualTo(reason);
  }

  private static ProbeOutcome.Reported reported(VersionStatus... versions) {
    return new ProbeOutcome.Reported(List.of(versions));
  }

  private static VersionStatus v(long version, VersionState state) {
    return new VersionStatus(version, state, "OK", "");
  }
}
