package io.modelgate.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.ModelConfig;
import io.modelgate.config.Protocol;
import io.modelgate.sources.Replica;
import io.modelgate.sources.ReplicaSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthViewPublisherTest {
  private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final List<ModelConfig> MODELS =
      List.of(ModelConfig.any("resnet"), ModelConfig.any("bert"));
  private static final List<Replica> REPLICAS =
      List.of(replica("r2"), replica("r1")); // not alphabetical: order must be kept as listed

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<HealthView> seen = new CopyOnWriteArrayList<>();
  // Runs on the caller's thread: each test is its own single writer.
  private final HealthViewPublisher publisher =
      new HealthViewPublisher(MODELS, Duration.ofHours(1), CLOCK, Runnable::run);

  @BeforeEach
  void knowTheReplicas() {
    publisher.replicasChanged(ReplicaSet.of(REPLICAS));
  }

  @AfterEach
  void stop() {
    publisher.close();
    timer.shutdownNow();
  }

  @Test
  void initialViewIsVersionZeroWithTheModelsAndNoReplicas() {
    HealthView view = new HealthViewPublisher(MODELS, Duration.ofHours(1), CLOCK, Runnable::run).current();

    assertThat(view.version()).isZero();
    assertThat(view.complete()).isFalse();
    assertThat(view.replicas()).isEmpty();
    assertThat(view.models().keySet()).containsExactly("resnet", "bert");
  }

  @Test
  void aReplicaSetAddsEveryKeyUnknownInSetOrder() {
    HealthView view = publisher.current();

    assertThat(view.version()).isEqualTo(1);
    assertThat(view.replicas().keySet()).containsExactly("r2", "r1");
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

    assertThat(seen).extracting(HealthView::version).containsExactly(2L, 3L);
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

    assertThat(seen).extracting(HealthView::version).containsExactly(2L, 3L, 4L);
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
    assertThat(publisher.current().version()).isEqualTo(5);
  }

  @Test
  void aLastReportThatChangesNothingStillCompletesTheView() {
    publisher.readinessChanged("resnet", ready("r1"));
    publisher.readinessChanged("resnet", ready("r2"));
    publisher.readinessChanged("bert", ready("r1"));

    publisher.readinessChanged("bert", health("r2", ReplicaState.UNKNOWN, "not probed yet"));

    assertThat(publisher.current().complete()).isTrue();
    assertThat(publisher.current().version()).isEqualTo(5);
  }

  @Test
  void completeAfterStartupTimeoutWithUnprobedKeysStillUnknown() {
    HealthViewPublisher slow =
        new HealthViewPublisher(MODELS, Duration.ofMillis(200), CLOCK, Runnable::run);
    slow.replicasChanged(ReplicaSet.of(REPLICAS));
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

    assertThat(second).containsExactly(2L, 3L);
  }

  @Test
  void closedSubscriptionHearsNothingMoreAndClosesTwiceHarmlessly() throws Exception {
    AutoCloseable subscription = publisher.subscribe(seen::add);
    publisher.readinessChanged("resnet", ready("r1"));

    subscription.close();
    subscription.close();
    publisher.readinessChanged("resnet", ready("r2"));

    assertThat(seen).extracting(HealthView::version).containsExactly(2L);
    assertThat(publisher.current().version()).isEqualTo(3);
  }

  @Test
  void untilCompleteChangesQueuedWhileTheWriterIsBusyArePublishedAsOneView() {
    List<Runnable> queued = new ArrayList<>();
    HealthViewPublisher busy = new HealthViewPublisher(MODELS, Duration.ofHours(1), CLOCK, queued::add);
    busy.subscribe(seen::add);

    busy.replicasChanged(ReplicaSet.of(REPLICAS));
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

    assertThat(publisher.current().version()).isEqualTo(1);
  }

  @Test
  void aReplicaThatJoinsACompleteViewIsUnknownAndKeepsItComplete() {
    completeWithEveryKeyReady();

    publisher.replicasChanged(ReplicaSet.of(List.of(replica("r2"), replica("r1"), replica("r3"))));

    HealthView view = publisher.current();
    assertThat(view.complete()).isTrue();
    assertThat(view.replicas().keySet()).containsExactly("r2", "r1", "r3");
    assertThat(view.models().get("resnet").replicas().get("r3").state()).isEqualTo(ReplicaState.UNKNOWN);
    assertThat(view.models().get("resnet").ready()).isTrue();
  }

  @Test
  void aReplicaThatLeavesIsGoneFromEveryModel() {
    completeWithEveryKeyReady();

    publisher.replicasChanged(ReplicaSet.of(List.of(replica("r1"))));
    publisher.readinessChanged("resnet", health("r2", ReplicaState.UNREACHABLE, "late outcome"));

    HealthView view = publisher.current();
    assertThat(view.replicas().keySet()).containsExactly("r1");
    assertThat(view.models().values()).allSatisfy(m -> assertThat(m.replicas().keySet()).containsExactly("r1"));
  }

  @Test
  void aTerminatingReplicaIsDrainingWhateverItsProbesSayAndGetsItsStateBackIfItStays() {
    completeWithEveryKeyReady();

    publisher.replicasChanged(ReplicaSet.of(List.of(replica("r2").withTerminating(true), replica("r1"))));
    assertThat(publisher.current().models().get("resnet").replicas().get("r2").state())
        .isEqualTo(ReplicaState.DRAINING);
    publisher.readinessChanged("resnet", health("r2", ReplicaState.LOADING, "version 2 LOADING"));
    assertThat(publisher.current().models().get("resnet").replicas().get("r2").state())
        .isEqualTo(ReplicaState.DRAINING);

    publisher.replicasChanged(ReplicaSet.of(REPLICAS));
    assertThat(publisher.current().models().get("resnet").replicas().get("r2").reason())
        .isEqualTo("version 2 LOADING");
    assertThat(publisher.current().models().get("bert").replicas().get("r2").state())
        .isEqualTo(ReplicaState.READY);
  }

  @Test
  void aReplicaAtANewAddressStartsOverUnknown() {
    completeWithEveryKeyReady();
    Replica moved = new Replica("r1", "10.0.0.9", "10.0.0.9", 8500, 8501, Protocol.GRPC, "", false);

    publisher.replicasChanged(ReplicaSet.of(List.of(replica("r2"), moved)));

    assertThat(publisher.current().models().get("resnet").replicas().get("r1").state())
        .isEqualTo(ReplicaState.UNKNOWN);
    assertThat(publisher.current().replicas().get("r1").address()).isEqualTo("10.0.0.9");
  }

  @Test
  void anEmptyFirstSetCompletesTheView() {
    HealthViewPublisher empty = new HealthViewPublisher(MODELS, Duration.ofHours(1), CLOCK, Runnable::run);

    empty.replicasChanged(ReplicaSet.of(List.of()));

    assertThat(empty.current().complete()).isTrue();
  }

  @Test
  void aViewWhoseModelLacksAListedReplicaIsRefused() {
    Map<String, ModelHealth> models = Map.of("resnet", new ModelHealth("resnet", Map.of("r1", ready("r1"))));
    Map<String, Replica> replicas = Map.of("r1", replica("r1"), "r2", replica("r2"));

    assertThatThrownBy(() -> new HealthView(1, NOW, true, List.of(ModelConfig.any("resnet")), replicas, models, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model resnet has no entry for replicas [r2]");
  }

  @Test
  void aModelAddedAtRuntimeIsUnknownOnEveryReplicaAndTheViewStaysComplete() {
    completeWithEveryKeyReady();

    publisher.modelsChanged(List.of(ModelConfig.any("resnet"), ModelConfig.any("bert"), ModelConfig.any("gpt")));

    HealthView view = publisher.current();
    assertThat(view.complete()).isTrue();
    assertThat(view.models().keySet()).containsExactly("resnet", "bert", "gpt");
    assertThat(view.models().get("gpt").replicas().values())
        .extracting(ReplicaHealth::state)
        .containsOnly(ReplicaState.UNKNOWN);
    publisher.readinessChanged("gpt", ready("r1"));
    assertThat(publisher.current().models().get("gpt").ready()).isTrue();
  }

  @Test
  void aModelRemovedAtRuntimeIsGoneAndItsLateReadinessIgnored() {
    completeWithEveryKeyReady();

    publisher.modelsChanged(List.of(ModelConfig.any("bert")));
    long version = publisher.current().version();
    publisher.readinessChanged("resnet", health("r1", ReplicaState.LOADING, "late"));

    assertThat(publisher.current().models().keySet()).containsExactly("bert");
    assertThat(publisher.current().version()).isEqualTo(version);
  }

  @Test
  void onceCompleteChangesQueuedTogetherShareAViewUnlessAKeyChangesTwice() {
    List<Runnable> queued = new ArrayList<>();
    HealthViewPublisher busy = new HealthViewPublisher(MODELS, Duration.ofHours(1), CLOCK, queued::add);
    busy.replicasChanged(ReplicaSet.of(REPLICAS));
    for (String model : List.of("resnet", "bert")) {
      REPLICAS.forEach(replica -> busy.readinessChanged(model, ready(replica.id())));
    }
    queued.remove(0).run();
    busy.subscribe(seen::add);

    busy.readinessChanged("resnet", health("r1", ReplicaState.LOADING, "version 2 LOADING"));
    busy.readinessChanged("resnet", health("r2", ReplicaState.LOADING, "version 2 LOADING"));
    busy.readinessChanged("bert", health("r1", ReplicaState.LOADING, "version 2 LOADING"));
    busy.readinessChanged("resnet", ready("r1"));
    queued.remove(0).run();

    assertThat(seen).hasSize(2);
    assertThat(seen.get(0).models().get("resnet").replicas().get("r1").state()).isEqualTo(ReplicaState.LOADING);
    assertThat(seen.get(0).models().get("bert").replicas().get("r1").state()).isEqualTo(ReplicaState.LOADING);
    assertThat(seen.get(1).models().get("resnet").replicas().get("r1").state()).isEqualTo(ReplicaState.READY);
  }

  private void completeWithEveryKeyReady() {
    for (String model : List.of("resnet", "bert")) {
      for (Replica replica : REPLICAS) {
        publisher.readinessChanged(model, ready(replica.id()));
      }
    }
    assertThat(publisher.current().complete()).isTrue();
  }

  private static ReplicaHealth ready(String replica) {
    return health(replica, ReplicaState.READY, "version 1 AVAILABLE", 1L);
  }

  private static ReplicaHealth health(
      String replica, ReplicaState state, String reason, Long... versions) {
    return new ReplicaHealth(replica, state, new TreeSet<>(Set.of(versions)), reason, NOW);
  }

  private static Replica replica(String id) {
    return new Replica(id, "127.0.0.1", "127.0.0.1", 8500, 8501, Protocol.GRPC, "", false);
  }
}
