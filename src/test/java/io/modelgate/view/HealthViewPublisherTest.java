package io.modelgate.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.ModelConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.readiness.ReplicaState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthViewPublisherTest {
  private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final List<ModelConfig> MODELS =
      List.of(ModelConfig.any("resnet"), ModelConfig.any("bert"));
  private static final List<ReplicaConfig> REPLICAS =
      List.of(replica("r2"), replica("r1")); // not alphabetical: order must be kept as configured

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<HealthView> seen = new CopyOnWriteArrayList<>();
  // Runs on the caller's thread: each test is its own single writer.
  private final HealthViewPublisher publisher =
      new HealthViewPublisher(MODELS, REPLICAS, Duration.ofHours(1), CLOCK, Runnable::run);

  @AfterEach
  void stop() {
    publisher.close();
    timer.shutdownNow();
  }

  @Test
  void initialViewIsVersionZeroWithEveryKeyUnknownInConfigOrder() {
    HealthView view = publisher.current();

    assertThat(view.version()).isZero();
    assertThat(view.complete()).isFalse();
    assertThat(view.models().keySet()).containsExactly("resnet", "bert");
    for (ModelHealth model : view.models().values()) {
      assertThat(model.replicas().keySet()).containsExactly("r2", "r1");
      assertThat(model.replicas().values())
          .allSatisfy(replica -> {
            assertThat(replica.state()).isEqualTo(ReplicaState.UNKNOWN);
            assertThat(replica.reason()).isEqualTo("not probed yet");
          });
    }
  }

  @Test
  void publishesOnlyWhenSomethingChanged() {
    publisher.subscribe(seen::add);

    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged(
        "resnet", health("r1", ReplicaState.READY, "versions 1, 2 AVAILABLE", 1L, 2L));

    assertThat(seen).extracting(HealthView::version).containsExactly(1L, 2L);
    assertThat(publisher.current().models().get("resnet").replicas().get("r1").availableVersions())
        .containsExactly(1L, 2L);
    assertThat(publisher.current().models().get("bert").replicas().get("r1").state())
        .isEqualTo(ReplicaState.UNKNOWN);
  }

  @Test
  void versionsIncreaseByOneAndListenersSeeThemInOrder() {
    publisher.subscribe(seen::add);

    publisher.readinessChanged("resnet", health("r1", ReplicaState.LOADING, "version 1 LOADING"));
    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged("bert", health("r2", ReplicaState.NOT_READY, "model not found: x"));

    assertThat(seen).extracting(HealthView::version).containsExactly(1L, 2L, 3L);
    assertThat(seen.get(2)).isSameAs(publisher.current());
    assertThat(seen).extracting(HealthView::at).containsOnly(NOW);
  }

  @Test
  void completeOnceEveryKeyHasReported() {
    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged("resnet", health("r2", ReplicaState.LOADING, "version 1 LOADING"));
    publisher.readinessChanged("bert", health("r1", ReplicaState.UNREACHABLE, "TIMEOUT: x"));
    assertThat(publisher.current().complete()).isFalse();

    publisher.readinessChanged("bert", health("r2", ReplicaState.NOT_READY, "model not found: x"));

    assertThat(publisher.current().complete()).isTrue();
    assertThat(publisher.current().version()).isEqualTo(4);
  }

  @Test
  void aLastReportThatChangesNothingStillCompletesTheView() {
    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged("resnet", ready("r2"));
    publisher.readinessChanged("bert", ready("r1"));

    publisher.readinessChanged("bert", health("r2", ReplicaState.UNKNOWN, "not probed yet"));

    assertThat(publisher.current().complete()).isTrue();
    assertThat(publisher.current().version()).isEqualTo(4);
  }

  @Test
  void completeAfterStartupTimeoutWithUnprobedKeysStillUnknown() {
    HealthViewPublisher slow =
        new HealthViewPublisher(MODELS, REPLICAS, Duration.ofMillis(200), CLOCK, Runnable::run);
    slow.subscribe(seen::add);
    slow.readinessChanged("resnet", ready("r1"));
    long start = System.nanoTime();

    slow.start(timer);

    await().until(() -> slow.current().complete());
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(seen).extracting(HealthView::complete).containsExactly(false, true);
    assertThat(slow.current().models().get("bert").replicas().get("r2").state())
        .isEqualTo(ReplicaState.UNKNOWN);
    slow.close();
  }

  @Test
  void throwingListenerDoesNotStopOthers() {
    List<Long> second = new ArrayList<>();
    publisher.subscribe(view -> {
      throw new IllegalStateException("listener bug");
    });
    publisher.subscribe(view -> second.add(view.version()));

    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged("resnet", ready("r2"));

    assertThat(second).containsExactly(1L, 2L);
  }

  @Test
  void closedSubscriptionHearsNothingMoreAndClosesTwiceHarmlessly() throws Exception {
    AutoCloseable subscription = publisher.subscribe(seen::add);
    publisher.readinessChanged("resnet", ready("r1"));

    subscription.close();
    subscription.close();
    publisher.readinessChanged("resnet", ready("r2"));

    assertThat(seen).extracting(HealthView::version).containsExactly(1L);
    assertThat(publisher.current().version()).isEqualTo(2);
  }

  @Test
  void untilCompleteChangesQueuedWhileTheWriterIsBusyArePublishedAsOneView() {
    List<Runnable> queued = new ArrayList<>();
    HealthViewPublisher busy = new HealthViewPublisher(MODELS, REPLICAS, Duration.ofHours(1), CLOCK, queued::add);
    busy.subscribe(seen::add);

    busy.readinessChanged("resnet", ready("r1"));
    busy.readinessChanged("resnet", ready("r2"));
    busy.readinessChanged("bert", ready("r1"));
    busy.readinessChanged("bert", health("r2", ReplicaState.LOADING, "version 1 LOADING"));
    busy.readinessChanged("bert", ready("r2"));
    assertThat(queued).hasSize(1);
    queued.remove(0).run();

    assertThat(seen).singleElement().satisfies(view -> {
      assertThat(view.version()).isEqualTo(1);
      assertThat(view.complete()).isTrue();
      assertThat(view.allModelsReady()).isTrue();
      assertThat(view.models().get("bert").replicas().keySet()).containsExactly("r2", "r1");
    });

    // Complete: two changes queued behind a busy writer are still two views, in order.
    busy.readinessChanged("bert", health("r2", ReplicaState.DRAINING, "version 1 UNLOADING"));
    busy.readinessChanged("bert", health("r2", ReplicaState.NOT_READY, "model not found: x"));
    assertThat(queued).hasSize(1);
    queued.remove(0).run();
    assertThat(seen).extracting(v -> v.models().get("bert").replicas().get("r2").state())
        .containsExactly(ReplicaState.READY, ReplicaState.DRAINING, ReplicaState.NOT_READY);
  }

  @Test
  void untilTheViewIsCompleteReportsAreGatheredBeforeAViewIsBuilt() {
    publisher.start(timer);
    publisher.subscribe(seen::add);

    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged("resnet", ready("r2"));
    publisher.readinessChanged("bert", ready("r1"));
    await().until(() -> seen.size() == 1);
    assertThat(seen.get(0).models().get("bert").replicas().get("r1").state()).isEqualTo(ReplicaState.READY);

    // Complete: from now on every report is published at once (this executor runs inline).
    publisher.readinessChanged("bert", ready("r2"));
    await().until(() -> seen.size() == 2);
    assertThat(seen.get(1).complete()).isTrue();
    publisher.readinessChanged("bert", health("r2", ReplicaState.DRAINING, "version 1 UNLOADING"));
    assertThat(seen).hasSize(3);
  }

  @Test
  void unconfiguredKeyIsIgnored() {
    publisher.readinessChanged("gpt", ready("r1"));
    publisher.readinessChanged("resnet", ready("r9"));

    assertThat(publisher.current().version()).isZero();
  }

  private static ReplicaHealth ready(String replica) {
    return health(replica, ReplicaState.READY, "version 1 AVAILABLE", 1L);
  }

  private static ReplicaHealth health(
      String replica, ReplicaState state, String reason, Long... versions) {
    return new ReplicaHealth(replica, state, new TreeSet<>(Set.of(versions)), reason, NOW);
  }

  private static ReplicaConfig replica(String id) {
    return new ReplicaConfig(id, "127.0.0.1", 8500, 8501, Protocol.GRPC);
  }
}
