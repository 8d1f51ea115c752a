package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.health.HealthService;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * 1,000 grpc.health.v1 Watch streams (grpc-java's official client) opened at once against a
 * running modelgate and dropped abruptly, round after round: half by killing their channels
 * (shutdownNow: the connections go away), half by cancelling the calls on a live channel. The
 * server keeps answering Check within a deadline throughout, forgets every dropped watcher, and
 * ends each round with the same threads as the first (no thread per stream or per connection).
 * The watcher count is what would hold dropped streams in memory. Then the hostile versions: a
 * thousand Watch streams for ~1 MB unknown names (once 1.7 GB of heap) are refused and hold
 * nothing, and one connection gets no more Watch streams than its limit.
 */
class HealthWatchStormTest {
  private static final int STREAMS = 1_000;
  private static final int CHANNELS = 20;
  private static final int ROUNDS = 4;
  private static final String MODEL = "m";
  private static final String GRPC_EXECUTOR = "grpc-default-executor";

  private Simulator simulator;
  private ModelgateServer modelgate;
  private ManagedChannel checker;

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1).withModel(MODEL, 1));
    SimulatedReplica r0 = simulator.replica("r0");
    modelgate =
        ModelgateServer.start(
            new ModelgateConfig(
                List.of(new ReplicaConfig("r0", r0.host(), r0.grpcPort(), r0.restPort(), Protocol.GRPC)),
                List.of(ModelConfig.any(MODEL)),
                ProbeConfig.defaults(),
                ListenConfig.loopbackEphemeral(),
                XdsConfig.defaults(),
                ExtProcConfig.disabled()),
            ModelgateServer.Mode.SIDECAR);
    checker = channel();
  }

  @AfterEach
  void stop() throws Exception {
    checker.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    modelgate.close();
    simulator.close();
  }

  @Test
  void thousandWatchStreamsDroppedAbruptlyLeaveNoWatcherNoThreadAndCheckKeepsAnswering() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> check().equals(HealthCheckResponse.ServingStatus.SERVING));
    long executorThreadsBefore = threadsByName().getOrDefault(GRPC_EXECUTOR, 0L);
    Map<String, Long> threadsAfterFirstRound = Map.of();
    for (int round = 0; round < ROUNDS; round++) {
      List<ManagedChannel> channels = new ArrayList<>();
      List<Context.CancellableContext> calls = new ArrayList<>();
      CountDownLatch firstAnswers = new CountDownLatch(STREAMS);
      for (int c = 0; c < CHANNELS; c++) {
        channels.add(channel());
      }
      for (int i = 0; i < STREAMS; i++) {
        HealthGrpc.HealthStub stub = HealthGrpc.newStub(channels.get(i % CHANNELS));
        Context.CancellableContext call = Context.current().withCancellation();
        calls.add(call);
        String service = i % 2 == 0 ? MODEL : HealthService.READINESS;
        call.run(() -> stub.watch(HealthCheckRequest.newBuilder().setService(service).build(), firstAnswer(firstAnswers)));
      }
      assertThat(firstAnswers.await(20, TimeUnit.SECONDS)).as("every stream got its first status").isTrue();
      assertThat(modelgate.health().watcherCount()).isEqualTo(STREAMS);
      assertThat(check()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

      // Even channels die with their streams open; on odd ones the calls are cancelled.
      for (int c = 0; c < CHANNELS; c += 2) {
        channels.get(c).shutdownNow();
      }
      for (int i = 0; i < STREAMS; i++) {
        if (i % CHANNELS % 2 == 1) {
          calls.get(i).cancel(null);
        }
      }
      assertThat(check()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      await().atMost(Duration.ofSeconds(10)).until(() -> modelgate.health().watcherCount() == 0);
      for (ManagedChannel channel : channels) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      Map<String, Long> threads = threadsByName();
      // grpc-java's shared cached executor keeps idle threads for 60 s, so its size follows the
      // busiest burst (116 seen on a busy 2-core host); a thread per stream would show as about a
      // thousand. Every other pool is fixed.
      // The pool is the JVM's: count only what this test added to what earlier tests left idle.
      assertThat(threads.getOrDefault(GRPC_EXECUTOR, 0L)).isLessThan(executorThreadsBefore + STREAMS / 3);
      threads.remove(GRPC_EXECUTOR);
      // The test's own waits poll on a thread that may still be ending: not modelgate's.
      threads.remove("awaitility-thread");
      if (round == 0) {
        threadsAfterFirstRound = threads;
      } else {
        // No kind of thread grows (one may end: an idle JDK HttpClient's selector, for one).
        for (Map.Entry<String, Long> kind : threads.entrySet()) {
          assertThat(kind.getValue())
              .as("%s threads, round %d", kind.getKey(), round)
              .isLessThanOrEqualTo(threadsAfterFirstRound.getOrDefault(kind.getKey(), 0L));
        }
      }
    }
    assertThat(check()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void thousandWatchStreamsForMegabyteNamesAreRefusedAndHoldNoMemory() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> check().equals(HealthCheckResponse.ServingStatus.SERVING));
    HealthCheckRequest megabyteName =
        HealthCheckRequest.newBuilder().setService("x".repeat(1 << 20)).build();
    long heapBefore = usedHeapAfterGc();
    List<WatchEnd> watches = new ArrayList<>();
    // Answers on the transport's thread: a thousand at once would otherwise grow grpc-java's
    // shared executor, which another test here measures.
    ManagedChannel flood =
        NettyChannelBuilder.forAddress("127.0.0.1", modelgate.grpcPort()).usePlaintext().directExecutor().build();
    try {
      for (int i = 0; i < STREAMS; i++) {
        WatchEnd watch = new WatchEnd();
        HealthGrpc.newStub(flood).withDeadlineAfter(30, TimeUnit.SECONDS).watch(megabyteName, watch);
        watches.add(watch);
      }
      for (WatchEnd watch : watches) {
        watch.end.get(30, TimeUnit.SECONDS);
      }
    } finally {
      flood.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    for (WatchEnd watch : watches) {
      Status end = watch.end.get(30, TimeUnit.SECONDS);
      assertThat(end.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(end.getDescription()).startsWith("gRPC message exceeds maximum size 65536");
    }
    assertThat(modelgate.health().watcherCount()).isZero();
    assertThat(check()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    // Held, the names alone would take a gigabyte.
    assertThat(usedHeapAfterGc() - heapBefore).isLessThan(200L << 20);
  }

  @Test
  void watchStreamsBeyondOneConnectionsLimitAreResourceExhausted() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> modelgate.health().statusOf(MODEL).serving());
    List<WatchEnd> watches = new ArrayList<>();
    CountDownLatch firstAnswers = new CountDownLatch(100);
    for (int i = 0; i < 100; i++) {
      WatchEnd watch = new WatchEnd(firstAnswers);
      HealthGrpc.newStub(checker).watch(HealthCheckRequest.newBuilder().setService(MODEL).build(), watch);
      watches.add(watch);
    }
    assertThat(firstAnswers.await(20, TimeUnit.SECONDS)).isTrue();

    WatchEnd refused = new WatchEnd();
    HealthGrpc.newStub(checker).watch(HealthCheckRequest.newBuilder().setService(MODEL).build(), refused);

    Status end = refused.end.get(10, TimeUnit.SECONDS);
    assertThat(end.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(end.getDescription()).isEqualTo("too many Watch streams on one connection (100); close some or use Check");
    assertThat(modelgate.health().watcherCount()).isEqualTo(100);
    ManagedChannel another = channel();
    try {
      assertThat(HealthGrpc.newBlockingStub(another)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .watch(HealthCheckRequest.newBuilder().setService(MODEL).build())
              .next()
              .getStatus())
          .as("another connection still gets its Watch")
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      another.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static long usedHeapAfterGc() {
    Runtime runtime = Runtime.getRuntime();
    System.gc();
    return runtime.totalMemory() - runtime.freeMemory();
  }

  /** How one Watch stream ended, and optionally a latch counted down at its first status. */
  private static final class WatchEnd implements StreamObserver<HealthCheckResponse> {
    final CompletableFuture<Status> end = new CompletableFuture<>();
    private final CountDownLatch firstAnswer;
    private boolean counted;

    WatchEnd() {
      this(new CountDownLatch(1));
    }

    WatchEnd(CountDownLatch firstAnswer) {
      this.firstAnswer = firstAnswer;
    }

    @Override
    public void onNext(HealthCheckResponse response) {
      if (!counted) {
        counted = true;
        firstAnswer.countDown();
      }
    }

    @Override
    public void onError(Throwable t) {
      end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }
  }

  /** Live threads counted by name without their numeric suffix ("grpc-default-executor-12"). */
  private static Map<String, Long> threadsByName() {
    return Thread.getAllStackTraces().keySet().stream()
        .map(thread -> thread.getName().replaceAll("[-0-9]+$", ""))
        .collect(Collectors.groupingBy(name -> name, TreeMap::new, Collectors.counting()));
  }

  /** Liveness by Check, with a 1 s deadline: whether the server answers at all. */
  private HealthCheckResponse.ServingStatus check() {
    return HealthGrpc.newBlockingStub(checker)
        .withDeadlineAfter(1, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(HealthService.LIVENESS).build())
        .getStatus();
  }

  private ManagedChannel channel() {
    return NettyChannelBuilder.forAddress("127.0.0.1", modelgate.grpcPort()).usePlaintext().build();
  }

  private static StreamObserver<HealthCheckResponse> firstAnswer(CountDownLatch firstAnswers) {
    return new StreamObserver<>() {
      private boolean counted;

      @Override
      public void onNext(HealthCheckResponse response) {
        if (!counted) {
          counted = true;
          firstAnswers.countDown();
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
