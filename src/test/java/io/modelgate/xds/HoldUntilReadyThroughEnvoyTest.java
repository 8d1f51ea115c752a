package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.probing.VersionState;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.view.ReplicaState;
import io.modelgate.xds.InferenceClient.Answer;
import io.modelgate.xds.InferenceClient.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hold until ready, with a real Envoy: a request for a model that no replica serves yet, but one
 * is loading, waits in the gateway filter (Envoy's message timeout extended) and goes through the
 * moment the model is AVAILABLE; everything else about it stays bounded.
 */
class HoldUntilReadyThroughEnvoyTest {
  private static final String MODEL = "m";
  private static final Duration HOLD = Duration.ofSeconds(4);
  /** How long the model takes to load in these tests; well inside the hold. */
  private static final Duration LOAD = Duration.ofMillis(800);

  private final ExecutorService clients = Executors.newCachedThreadPool();
  private RoutingRig rig;

  @AfterEach
  void stop() throws InterruptedException {
    clients.shutdownNow();
    clients.awaitTermination(10, TimeUnit.SECONDS);
    if (rig != null) {
      rig.close();
    }
  }

  @Test
  void requestsSentWhileTheOnlyReplicaLoadsTheModelAllSucceedOnceItIsAvailable() throws Exception {
    rig = startLoading(100);
    List<Timed> sent = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      sent.add(send(() -> rig.client().restPredict(MODEL)));
      sent.add(send(() -> rig.client().plainGrpc(Method.PREDICT, MODEL)));
      sent.add(send(() -> rig.client().grpcPredict(MODEL)));
    }
    await().atMost(Duration.ofSeconds(2)).until(() -> rig.controlPlane().heldRequests() == sent.size());

    Thread.sleep(LOAD.toMillis());
    rig.replica("r0").setState(MODEL, 1, VersionState.AVAILABLE);

    for (Timed request : sent) {
      Answer answer = request.answer();
      assertThat(answer.ok()).as(answer.toString()).isTrue();
      assertThat(request.took()).isGreaterThanOrEqualTo(LOAD).isLessThan(HOLD);
    }
    assertThat(rig.controlPlane().gatewayCounters().orElseThrow().holds().released()).isEqualTo(sent.size());

    // The response says how long the filter held it (REST headers, gRPC initial metadata), and
    // only when it did.
    Answer heldRest = sent.get(0).answer();
    Answer heldGrpc = sent.get(1).answer();
    for (Answer held : List.of(heldRest, heldGrpc)) {
      assertThat(Long.parseLong(held.heldMs())).as(held.toString()).isBetween(LOAD.toMillis(), HOLD.toMillis());
    }
    assertThat(rig.client().restPredict(MODEL).heldMs()).isEmpty();
    assertThat(rig.client().plainGrpc(Method.PREDICT, MODEL).heldMs()).isEmpty();
  }

  @Test
  void aModelLoadedNowhereAndLoadingNowhereFailsAtOnce() throws Exception {
    rig = start(100, sim -> sim.replica("r0").failLoad(MODEL, 1, "no such SavedModel"));
    awaitState(ReplicaState.NOT_READY);

    Timed rest = send(() -> rig.client().restPredict(MODEL));
    Timed grpc = send(() -> rig.client().plainGrpc(Method.PREDICT, MODEL));

    assertThat(rest.answer().httpStatus()).isEqualTo(503);
    assertThat(rest.answer().body()).contains("not loaded on any replica").doesNotContain("waited");
    assertThat(grpc.answer().grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(grpc.answer().body()).contains("1 failed: ").doesNotContain("waited");
    assertThat(rest.took()).isLessThan(Duration.ofSeconds(1));
    assertThat(grpc.took()).isLessThan(Duration.ofSeconds(1));
    assertThat(rig.controlPlane().gatewayCounters().orElseThrow().holds().held()).isZero();
  }

  @Test
  void oneRequestMoreThanMaxHeldFailsFastSayingTheHoldQueueIsFull() throws Exception {
    int maxHeld = 4;
    rig = startLoading(maxHeld);
    List<Timed> sent = new ArrayList<>();
    for (int i = 0; i <= maxHeld; i++) {
      sent.add(send(() -> rig.client().plainGrpc(Method.PREDICT, MODEL)));
    }
    await().atMost(Duration.ofSeconds(2)).until(() -> sent.stream().filter(Timed::done).count() == 1);
    assertThat(rig.controlPlane().heldRequests()).isEqualTo(maxHeld);

    rig.replica("r0").setState(MODEL, 1, VersionState.AVAILABLE);

    List<Answer> refused = new ArrayList<>();
    for (Timed request : sent) {
      Answer answer = request.answer();
      if (!answer.ok()) {
        refused.add(answer);
        assertThat(request.took()).isLessThan(Duration.ofSeconds(1));
      }
    }
    assertThat(refused).hasSize(1);
    assertThat(refused.get(0).grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(refused.get(0).body()).contains("the hold queue is full (extproc.maxHeld, 4 requests already wait)");
  }

  @Test
  void aClientThatGivesUpFreesItsPlaceInTheHoldQueue() throws Exception {
    rig = startLoading(1);
    // A REST client's timeout is its own: Envoy is not told, and the client just hangs up.
    HttpRequest impatient =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.listenerPort() + "/v1/models/" + MODEL + ":predict"))
            .timeout(Duration.ofMillis(300))
            .POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[1.0]}"))
            .build();
    HttpClient http = HttpClient.newHttpClient();
    assertThatThrownBy(() -> http.send(impatient, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);
    await().atMost(Duration.ofSeconds(2)).until(() -> rig.controlPlane().heldRequests() == 0);

    Timed patient = send(() -> rig.client().plainGrpc(Method.PREDICT, MODEL));
    await().atMost(Duration.ofSeconds(2)).until(() -> rig.controlPlane().heldRequests() == 1);
    rig.replica("r0").setState(MODEL, 1, VersionState.AVAILABLE);

    assertThat(patient.answer().ok()).as(patient.answer().toString()).isTrue();
    assertThat(rig.controlPlane().gatewayCounters().orElseThrow().holds().cancelled()).isEqualTo(1);
  }

  @Test
  void aGrpcCallIsAnsweredBeforeItsOwnDeadlineRatherThanHeldPastIt() throws Exception {
    rig = startLoading(10);
    Timed call = send(() -> rig.client().plainGrpc(Method.PREDICT, MODEL, Duration.ofSeconds(1)));

    assertThat(call.answer().grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(call.answer().body()).contains("1 loading").containsPattern("\\(the call's grpc-timeout left [89][0-9]{2} ms\\)$");
    assertThat(call.took()).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void aHoldThatRunsOutIsAnsweredUnavailableSayingHowLongItWaited() throws Exception {
    rig = startLoading(10);
    Timed rest = send(() -> rig.client().restPredict(MODEL));
    Timed grpc = send(() -> rig.client().plainGrpc(Method.PREDICT, MODEL));

    assertThat(rest.answer().httpStatus()).isEqualTo(503);
    assertThat(rest.answer().body()).contains("1 loading").contains("; waited 4").contains("(extproc.holdMs 4000)");
    assertThat(grpc.answer().grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(grpc.answer().body()).contains("; waited 4");
    for (Timed request : List.of(rest, grpc)) {
      assertThat(request.took()).isGreaterThanOrEqualTo(HOLD).isLessThan(HOLD.plusSeconds(1));
    }
  }

  @Test
  void aHeldRequestIsAnsweredAsSoonAsItsModelFailsToLoad() throws Exception {
    rig = startLoading(10);
    Timed held = send(() -> rig.client().restPredict(MODEL));
    await().atMost(Duration.ofSeconds(2)).until(() -> rig.controlPlane().heldRequests() == 1);

    rig.replica("r0").failLoad(MODEL, 1, "no such SavedModel");

    assertThat(held.answer().httpStatus()).isEqualTo(503);
    assertThat(held.answer().body()).contains("1 failed: ").contains("no such SavedModel").contains("; waited ");
    assertThat(held.took()).isLessThan(HOLD.dividedBy(2));
  }

  @Test
  void heldRequestsFailOpenOrGetAClearErrorWhenTheGatewayServiceStops() throws Exception {
    rig = startLoading(100);
    List<Timed> sent = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sent.add(send(() -> rig.client().restPredict(MODEL)));
      sent.add(send(() -> rig.client().plainGrpc(Method.PREDICT, MODEL)));
    }
    await().atMost(Duration.ofSeconds(2)).until(() -> rig.controlPlane().heldRequests() == sent.size());

    rig.stopControlPlane();

    for (Timed request : sent) {
      Answer answer = request.answer();
      assertThat(request.took()).isLessThan(HOLD);
      // Envoy fails open: REST routes by its path to the model's cluster, which has no healthy
      // replica; gRPC lost its routing headers to the filter, so it meets the routes' refusal.
      if (answer.grpcCode() == null) {
        assertThat(answer.httpStatus()).as(answer.toString()).isEqualTo(503);
        assertThat(answer.body()).as(answer.toString()).contains("'" + MODEL + "'");
      } else {
        assertThat(answer.grpcCode()).as(answer.toString()).isIn(Status.Code.UNAVAILABLE, Status.Code.NOT_FOUND);
        assertThat(answer.body()).as(answer.toString()).isNotBlank();
      }
    }
  }

  /** One replica with the model LOADING (until a test makes it AVAILABLE), seen so by the view. */
  private RoutingRig startLoading(int maxHeld) {
    RoutingRig started = start(maxHeld, sim -> sim.replica("r0").setState(MODEL, 1, VersionState.LOADING));
    rig = started;
    awaitState(ReplicaState.LOADING);
    return started;
  }

  private RoutingRig start(int maxHeld, Consumer<Simulator> prepare) {
    return RoutingRig.start(
        SimulatorOptions.defaults().withReplicas(1),
        prepare,
        List.of(ModelConfig.any(MODEL)),
        RoutingRig.FAST_PROBES,
        ExtProcConfig.loopbackEphemeral().holding(HOLD, maxHeld));
  }

  private void awaitState(ReplicaState state) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              var view = rig.controlPlane().view().current();
              var model = view.models().get(MODEL);
              ReplicaHealth r0 = model == null ? null : model.replicas().get("r0");
              return view.complete() && r0 != null && r0.state() == state;
            });
  }

  private Timed send(Supplier<Answer> call) {
    long start = System.nanoTime();
    CompletableFuture<Answer> answer = CompletableFuture.supplyAsync(call, clients);
    CompletableFuture<Duration> took = answer.thenApply(a -> Duration.ofNanos(System.nanoTime() - start));
    return new Timed(answer, took);
  }

  /** A request under way: its answer and how long it took, once it has come. */
  private record Timed(CompletableFuture<Answer> answers, CompletableFuture<Duration> took0) {
    Answer answer() throws Exception {
      return answers.get(15, TimeUnit.SECONDS);
    }

    Duration took() throws Exception {
      return took0.get(15, TimeUnit.SECONDS);
    }

    boolean done() {
      return answers.isDone();
    }
  }
}
