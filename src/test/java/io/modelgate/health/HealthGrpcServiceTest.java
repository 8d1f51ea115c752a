package io.modelgate.health;

import static io.modelgate.health.TestViews.loading;
import static io.modelgate.health.TestViews.model;
import static io.modelgate.health.TestViews.ready;
import static io.modelgate.health.TestViews.replica;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.modelgate.health.v1.HealthListRequest;
import io.modelgate.health.v1.HealthListResponse;
import io.modelgate.view.ReplicaState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * grpc.health.v1 over a real Netty server, checked with grpc-services' official client for Check
 * and Watch (wire compatibility with standard health clients) and our own stub for List.
 */
class HealthGrpcServiceTest {
  /** Never fires during a test, so watchers change only on what each test does. */
  private static final Duration NO_TICK = Duration.ofHours(1);

  private HealthServerFixture fixture;

  @BeforeEach
  void startServer() throws Exception {
    fixture = new HealthServerFixture(TestViews.view(0, false), NO_TICK);
    publishAllReady();
  }

  @AfterEach
  void stopServer() throws Exception {
    fixture.close();
  }

  private void publishAllReady() {
    fixture.views.publish(
        true, model("resnet", ready("r0"), ready("r1")), model("bert", ready("r0"), loading("r1")));
  }

  private ServingStatus check(String service) {
    return HealthGrpc.newBlockingStub(fixture.channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  private WatchRecorder watch(ManagedChannel channel, String service) {
    WatchRecorder recorder = new WatchRecorder();
    HealthGrpc.newStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .watch(HealthCheckRequest.newBuilder().setService(service).build(), recorder);
    return recorder;
  }

  @Test
  void defaultServiceIsLivenessNotReadiness() {
    fixture.views.publish(false, model("resnet", loading("r0")));

    assertThat(check("")).isEqualTo(ServingStatus.SERVING);
    assertThat(check(HealthService.READINESS)).isEqualTo(ServingStatus.NOT_SERVING);
  }

  @Test
  void checkIsServingForOverallAndModelsWhenEveryModelHasAReadyReplica() {
    assertThat(check(HealthService.READINESS)).isEqualTo(ServingStatus.SERVING);
    assertThat(check("resnet")).isEqualTo(ServingStatus.SERVING);
    assertThat(check("bert")).isEqualTo(ServingStatus.SERVING);
    assertThat(check(HealthService.LIVENESS)).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void modelReadyOnOneReplicaOnlyIsServing() {
    fixture.views.publish(
        true, model("resnet", loading("r0"), replica("r1", ReplicaState.UNREACHABLE, "timeout"), ready("r2")));

    assertThat(check("resnet")).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void modelWithoutReadyReplicaTurnsItAndOverallNotServing() {
    fixture.views.publish(true, model("resnet", ready("r0")), model("bert", loading("r0")));

    assertThat(check("bert")).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check("resnet")).isEqualTo(ServingStatus.SERVING);
    assertThat(check(HealthService.READINESS)).isEqualTo(ServingStatus.NOT_SERVING);
  }

  @Test
  void incompleteViewIsNotServingEvenWithReadyReplicas() {
    fixture.views.publish(false, model("resnet", ready("r0")));

    assertThat(check(HealthService.READINESS)).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check("resnet")).isEqualTo(ServingStatus.NOT_SERVING);
  }

  @Test
  void checkOfUnknownServiceFailsWithNotFound() {
    assertThatThrownBy(() -> check("nope"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).isEqualTo("unknown service nope");
            });
  }

  @Test
  void stalledProbeLoopTurnsLivenessNotServingForCheckAndWatch() throws Exception {
    fixture.close();
    fixture = new HealthServerFixture(TestViews.view(0, false), Duration.ofMillis(10));
    WatchRecorder watcher = watch(fixture.channel, HealthService.LIVENESS);
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);

    fixture.clock.advance(Duration.ofSeconds(7));
    assertThat(check(HealthService.LIVENESS)).as("at the allowance").isEqualTo(ServingStatus.SERVING);

    fixture.clock.advance(Duration.ofSeconds(1));
    assertThat(check(HealthService.LIVENESS)).isEqualTo(ServingStatus.NOT_SERVING);
    // No view is published: only the liveness tick can tell the watcher.
    assertThat(watcher.next()).isEqualTo(ServingStatus.NOT_SERVING);

    fixture.heartbeat.roundStarted(fixture.clock.instant());
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void watchSendsCurrentStatusAtOnceThenEachChangeExactlyOnce() throws Exception {
    WatchRecorder watcher = watch(fixture.channel, "resnet");
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);

    // Each change is awaited before the next: a watcher that is slow to read may be sent only the
    // latest status, and NOT_SERVING then SERVING would collapse into no change at all.
    fixture.views.publish(true, model("resnet", loading("r0"), loading("r1")), model("bert", ready("r0")));
    assertThat(watcher.next()).isEqualTo(ServingStatus.NOT_SERVING);
    fixture.views.publish(true, model("resnet", loading("r0"), loading("r1")), model("bert", ready("r0")));
    fixture.views.publish(true, model("resnet", ready("r0"), loading("r1")), model("bert", ready("r0")));
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);
    fixture.health.close();

    assertThat(watcher.restAfterEnd()).as("nothing sent twice").isEmpty();
    assertThat(watcher.end.get().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void watchSendsNothingWhenAnotherModelChanges() throws Exception {
    WatchRecorder watcher = watch(fixture.channel, "resnet");
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);

    fixture.views.publish(true, model("resnet", ready("r0")), model("bert", loading("r0")));
    fixture.views.publish(true, model("resnet", ready("r0")), model("bert", ready("r0")));
    fixture.health.close();

    assertThat(watcher.restAfterEnd()).isEmpty();
  }

  @Test
  void watchOfUnknownServiceSaysServiceUnknownThenFollowsTheModelOnceItAppears() throws Exception {
    WatchRecorder watcher = watch(fixture.channel, "gpt");
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVICE_UNKNOWN);
    assertThat(watcher.end).as("the stream stays open").isNotDone();

    fixture.views.publish(true, model("resnet", ready("r0")), model("gpt", loading("r0")));
    assertThat(watcher.next()).isEqualTo(ServingStatus.NOT_SERVING);

    fixture.views.publish(true, model("resnet", ready("r0")), model("gpt", ready("r0")));
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void cancelledWatchIsRemoved() throws Exception {
    WatchRecorder watcher = watch(fixture.channel, "resnet");
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);
    assertThat(fixture.health.watcherCount()).isEqualTo(1);

    watcher.cancel();

    await().atMost(Duration.ofSeconds(5)).until(() -> fixture.health.watcherCount() == 0);
  }

  @Test
  void twoHundredWatchesDroppedAbruptlyLeaveNoWatcher() throws Exception {
    // Two connections, each with as many Watch streams as one may hold.
    List<ManagedChannel> doomed = List.of(fixture.newChannel(), fixture.newChannel());
    List<WatchRecorder> watchers = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      watchers.add(watch(doomed.get(i % 2), i % 4 < 2 ? "resnet" : HealthService.LIVENESS));
    }
    for (WatchRecorder watcher : watchers) {
      assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);
    }
    assertThat(fixture.health.watcherCount()).isEqualTo(200);

    doomed.forEach(ManagedChannel::shutdownNow);

    await().atMost(Duration.ofSeconds(10)).until(() -> fixture.health.watcherCount() == 0);
    for (ManagedChannel channel : doomed) {
      assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void terminalStateTurnsEveryServiceNotServingTellsWatchersAndIgnoresLaterViews() throws Exception {
    WatchRecorder overall = watch(fixture.channel, HealthService.READINESS);
    WatchRecorder resnet = watch(fixture.channel, "resnet");
    assertThat(overall.next()).isEqualTo(ServingStatus.SERVING);
    assertThat(resnet.next()).isEqualTo(ServingStatus.SERVING);

    fixture.health.enterTerminalState();
    assertThat(overall.next()).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(resnet.next()).isEqualTo(ServingStatus.NOT_SERVING);

    publishAllReady();
    fixture.heartbeat.roundStarted(fixture.clock.instant());
    assertThat(check(HealthService.READINESS)).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check("resnet")).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check(HealthService.LIVENESS)).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(fixture.health.statusOf("resnet").reason()).isEqualTo("shutting down");
    fixture.health.close();
    assertThat(overall.restAfterEnd()).isEmpty();
    assertThat(resnet.restAfterEnd()).isEmpty();
  }

  @Test
  void listReturnsEveryKnownServiceWithItsStatus() {
    fixture.views.publish(true, model("resnet", ready("r0")), model("bert", loading("r0")));

    HealthListResponse list =
        io.modelgate.health.v1.HealthGrpc.newBlockingStub(fixture.channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .list(HealthListRequest.getDefaultInstance());

    Map<String, String> statuses =
        list.getStatusesMap().entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getStatus().name()));
    assertThat(statuses)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "", "SERVING",
                HealthService.LIVENESS, "SERVING",
                HealthService.READINESS, "NOT_SERVING",
                "resnet", "SERVING",
                "bert", "NOT_SERVING"));
  }

  @Test
  void closeEndsOpenWatchesWithUnavailableAndStopsListening() throws Exception {
    WatchRecorder watcher = watch(fixture.channel, "resnet");
    assertThat(watcher.next()).isEqualTo(ServingStatus.SERVING);

    fixture.health.close();

    assertThat(watcher.end.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(fixture.views.listenerCount()).isZero();
    await().atMost(Duration.ofSeconds(5)).until(() -> fixture.health.watcherCount() == 0);
  }

}
