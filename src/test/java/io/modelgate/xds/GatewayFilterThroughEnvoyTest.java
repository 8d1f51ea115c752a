package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.InferenceClient.Answer;
import io.modelgate.xds.InferenceClient.Method;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway filter with a real Envoy configured by modelgate: clients that send no routing
 * header, models loaded nowhere, a replica that loses a model or hangs between probes, and the
 * ext_proc service going away.
 */
class GatewayFilterThroughEnvoyTest {
  private static final String MODEL = "m";
  private static final String OTHER = "other";
  private static final List<ModelConfig> MODELS = List.of(ModelConfig.any(MODEL), ModelConfig.any(OTHER));

  private RoutingRig rig;

  @AfterEach
  void stop() {
    if (rig != null) {
      rig.close();
    }
  }

  @Test
  void everyTfServingMethodWithoutRoutingHeaderReachesOnlyReplicasWithTheModel() {
    rig = start(RoutingRig.FAST_PROBES, sim -> {
      sim.replica("r0").loadModel(MODEL, 1);
      sim.replica("r1").loadModel(OTHER, 1);
    });
    awaitRoutable(MODEL, "r0", true);
    awaitRoutable(OTHER, "r1", true);

    for (Method method : Method.values()) {
      Map<String, Integer> model = new HashMap<>();
      Map<String, Integer> other = new HashMap<>();
      for (int i = 0; i < 10; i++) {
        model.merge(answered(method, MODEL), 1, Integer::sum);
        other.merge(answered(method, OTHER), 1, Integer::sum);
      }
      assertThat(model).as(method + " for " + MODEL).containsOnlyKeys("r0");
      assertThat(other).as(method + " for " + OTHER).containsOnlyKeys("r1");
    }
  }

  @Test
  void aModelLoadedNowhereIsAnsweredAtOnceAndNoRequestGoesUpstream() {
    // Failed on r0, absent from r1: no replica is loading it, so nothing is worth waiting for.
    rig = start(RoutingRig.FAST_PROBES, sim -> sim.replica("r0").failLoad(MODEL, 1, "out of memory"));
    await().until(() -> rig.controlPlane().view().current().complete());
    long sent = System.nanoTime();
    long upstreamBefore =
        rig.counter("cluster.modelgate/m/rest.upstream_rq_total") + rig.counter("cluster.modelgate/m/grpc.upstream_rq_total");

    Answer rest = rig.client().restPredict(MODEL);
    assertThat(rest.httpStatus()).isEqualTo(503);
    assertThat(rest.contentType()).isEqualTo("application/json");
    assertThat(rest.body()).contains("\"error\"").contains("model 'm' is not loaded on any replica (2 failed: ");

    Answer grpc = rig.client().plainGrpc(Method.PREDICT, MODEL);
    assertThat(grpc.grpcCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(grpc.body()).contains("model 'm' is not loaded on any replica (2 failed: ");
    assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(1));

    Answer unknown = rig.client().plainGrpc(Method.CLASSIFY, "nope");
    assertThat(unknown.grpcCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(unknown.body()).contains("model 'nope' is not served here");
    assertThat(rig.client().restPredict("nope").httpStatus()).isEqualTo(404);

    long upstreamAfter =
        rig.counter("cluster.modelgate/m/rest.upstream_rq_total") + rig.counter("cluster.modelgate/m/grpc.upstream_rq_total");
    assertThat(upstreamAfter).as("requests Envoy sent upstream for m").isEqualTo(upstreamBefore);
  }

  @Test
  void aReplicaThatLosesTheModelBetweenProbesIsReprobedOnItsFirstFailure() throws Exception {
    try (TrafficLoop traffic = trafficThroughBothReplicasProbedRarely()) {
      long retriesBefore = retries();
      long dropped = System.nanoTime();
      rig.replica("r0").dropModel(MODEL);

      awaitRoutable(MODEL, "r0", false);
      long outMillis = (System.nanoTime() - dropped) / 1_000_000;
      long failedTries = retries() - retriesBefore;
      int countAtOut = traffic.count();
      await().until(() -> traffic.count() > countAtOut + 100);
      traffic.close();

      System.out.printf(
          "passive detection: r0 out of routing %d ms after the drop, %d failed tries (retried), 0 expected failures%n",
          outMillis, failedTries);
      assertThat(traffic.failures()).isEmpty();
      assertThat(outMillis).as("well before the next probe round").isLessThan(3_000);
      assertThat(failedTries).as("tries that hit r0 after the drop").isBetween(1L, 40L);
      assertThat(retries() - retriesBefore).as("no try hits r0 once it is out").isEqualTo(failedTries);
    }
  }

  @Test
  void aReplicaThatHangsLeavesAfterOneTimedOutTryAndOneProbeTimeout() throws Exception {
    try (TrafficLoop traffic = trafficThroughBothReplicasProbedRarely()) {
      long hung = System.nanoTime();
      rig.replica("r0").hang(true);

      awaitRoutable(MODEL, "r0", false);
      long outMillis = (System.nanoTime() - hung) / 1_000_000;
      int countAtOut = traffic.count();
      await().until(() -> traffic.count() > countAtOut + 100);
      traffic.close();

      System.out.printf("passive detection: hung r0 out of routing %d ms after the hang%n", outMillis);
      assertThat(traffic.failures()).as("timed-out tries are retried on r1").isEmpty();
      // A 500 ms per-try timeout, the observer's 100 ms close delay, one 500 ms probe timeout.
      assertThat(outMillis).as("well before the next probe round").isLessThan(2_500);
      assertThat(rig.controlPlane().view().current().models().get(MODEL).replicas().get("r0").reason())
          .startsWith("TIMEOUT: ");
    }
  }

  @Test
  void withTheExtProcServiceDownTrafficFlowsAndRoutingResumesWhenItIsBack() throws Exception {
    rig = start(RoutingRig.FAST_PROBES, sim -> sim.replicas().forEach(r -> r.loadModel(MODEL, 1)));
    awaitRoutable(MODEL, "r0", true);
    assertThat(rig.client().plainGrpc(Method.PREDICT, MODEL).ok()).isTrue();

    rig.stopControlPlane();
    await().until(() -> !rig.envoyConnectedToControlPlane());
    // Fail-open: REST routes by path, gRPC by the client's header; a header-less gRPC call can no
    // longer be routed, and says so.
    for (int i = 0; i < 20; i++) {
      assertThat(rig.client().restPredict(MODEL).ok()).isTrue();
      assertThat(rig.client().grpcPredict(MODEL).ok()).isTrue();
    }
    Answer unrouted = rig.client().plainGrpc(Method.PREDICT, MODEL);
    assertThat(unrouted.grpcCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(unrouted.body()).contains("cannot tell which model this call is for");

    rig.startControlPlane(RoutingRig.FAST_PROBES);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> rig.client().plainGrpc(Method.PREDICT, MODEL).ok());
    assertThat(rig.client().restPredict(MODEL).ok()).isTrue();
  }

  @Test
  void aRequestOverTheSizeLimitFailsFastNamingTheLimitAndOneUnderItIsRouted() {
    ExtProcConfig small = withMaxRequestBytes(ExtProcConfig.loopbackEphemeral(), 256 * 1024);
    rig =
        RoutingRig.start(
            SimulatorOptions.defaults().withReplicas(2),
            sim -> sim.replica("r1").loadModel(MODEL, 1),
            MODELS,
            RoutingRig.FAST_PROBES,
            small);
    awaitRoutable(MODEL, "r1", true);

    // 160 KiB: within the limit.
    Answer underLimit = rig.client().plainPredict(MODEL, 40_000);
    assertThat(underLimit.ok()).as(underLimit.toString()).isTrue();
    assertThat(underLimit.replica()).isEqualTo("r1");

    // 4 MB: more than modelgate accepts, so the filter fails open and the call has no model.
    long started = System.nanoTime();
    Answer overLimit = rig.client().plainPredict(MODEL, 1_000_000);
    assertThat(overLimit.grpcCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(overLimit.body()).contains("extproc.maxRequestBytes, 262144 bytes");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void observerMessagesOnTheExtProcPortCountOnlyWithEnvoysToken() throws Exception {
    ProbeConfig slow =
        new ProbeConfig(
            Duration.ofSeconds(30), Duration.ofMillis(500), 1, 2, Duration.ofSeconds(60), 16, 0.0, Duration.ofSeconds(5), Duration.ofMillis(100));
    rig = start(slow, sim -> sim.replicas().forEach(r -> r.loadModel(MODEL, 1)));
    awaitRoutable(MODEL, "r0", true);
    ManagedChannel extProc =
        NettyChannelBuilder.forAddress("127.0.0.1", rig.controlPlane().extProcPort()).usePlaintext().build();
    try {
      long before = statusCalls("r0");
      forgeServableNotFound(extProc, null);
      forgeServableNotFound(extProc, "guessed-token");
      Thread.sleep(500); // a reprobe would start within milliseconds
      assertThat(statusCalls("r0")).as("probes of r0 after forged observer messages").isEqualTo(before);

      // The same message with the token Envoy's observer filter carries does bring a probe forward.
      forgeServableNotFound(extProc, io.modelgate.routing.ObserverAuth.token());
      await().atMost(Duration.ofSeconds(5)).until(() -> statusCalls("r0") > before);
    } finally {
      extProc.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  private long statusCalls(String replica) {
    return rig.replica(replica).statusCallCounts().getOrDefault(MODEL, 0L);
  }

  /** One observer try on r0's REST port answered 404, sent with {@code token} (none if null). */
  private void forgeServableNotFound(ManagedChannel extProc, String token) throws InterruptedException {
    Metadata metadata = new Metadata();
    if (token != null) {
      metadata.put(Metadata.Key.of(io.modelgate.routing.ObserverAuth.HEADER, Metadata.ASCII_STRING_MARSHALLER), token);
    }
    java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
    StreamObserver<ProcessingRequest> stream =
        ExternalProcessorGrpc.newStub(extProc)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
            .withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
            .process(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProcessingResponse response) {}

                  @Override
                  public void onError(Throwable t) {
                    ended.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    ended.countDown();
                  }
                });
    Struct attributes =
        Struct.newBuilder()
            .putFields("xds.cluster_name", Value.newBuilder().setStringValue("modelgate/m/rest").build())
            .putFields(
                "upstream.address",
                Value.newBuilder().setStringValue("127.0.0.1:" + rig.replica("r0").restPort()).build())
            .build();
    stream.onNext(
        ProcessingRequest.newBuilder()
            .setObservabilityMode(true)
            .setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(true))
            .putAttributes("envoy.filters.http.ext_proc", attributes)
            .build());
    stream.onNext(
        ProcessingRequest.newBuilder()
            .setObservabilityMode(true)
            .setResponseHeaders(
                HttpHeaders.newBuilder()
                    .setHeaders(
                        HeaderMap.newBuilder()
                            .addHeaders(HeaderValue.newBuilder().setKey(":status").setRawValue(ByteString.copyFromUtf8("404")))))
            .build());
    stream.onCompleted();
    ended.await(5, java.util.concurrent.TimeUnit.SECONDS);
  }

  private static ExtProcConfig withMaxRequestBytes(ExtProcConfig c, int bytes) {
    return new ExtProcConfig(
        c.enabled(), c.listen(), c.envoyAddress(), c.failureModeAllow(), c.messageTimeout(), bytes, c.passive(), c.hold(), c.maxHeld());
  }

  /**
   * Two replicas with the model, probed every 10 s (so within a test's bounds only passive
   * detection can take one out), and REST and gRPC traffic that has reached r0.
   */
  private TrafficLoop trafficThroughBothReplicasProbedRarely() throws InterruptedException {
    ProbeConfig slow =
        new ProbeConfig(
            Duration.ofSeconds(10), Duration.ofMillis(500), 1, 2, Duration.ofSeconds(30), 16, 0.0, Duration.ofSeconds(5), Duration.ofMillis(100));
    rig = start(slow, sim -> sim.replicas().forEach(r -> r.loadModel(MODEL, 1)));
    awaitRoutable(MODEL, "r0", true);
    awaitRoutable(MODEL, "r1", true);
    TrafficLoop traffic =
        new TrafficLoop(
            100_000,
            Duration.ofSeconds(30),
            () -> rig.client().restPredict(MODEL),
            () -> rig.client().plainGrpc(Method.PREDICT, MODEL));
    try {
      await().until(() -> traffic.answeredBy().getOrDefault("r0", 0L) > 20);
    } catch (RuntimeException e) {
      traffic.close();
      throw e;
    }
    return traffic;
  }

  private long retries() {
    return rig.counter("cluster.modelgate/m/rest.upstream_rq_retry")
        + rig.counter("cluster.modelgate/m/grpc.upstream_rq_retry");
  }

  private String answered(Method method, String model) {
    Answer answer = rig.client().plainGrpc(method, model);
    assertThat(answer.ok()).as(method + " for " + model + ": " + answer).isTrue();
    return answer.replica();
  }

  private RoutingRig start(ProbeConfig probes, java.util.function.Consumer<Simulator> prepare) {
    return RoutingRig.start(
        SimulatorOptions.defaults().withReplicas(2), prepare, MODELS, probes, ExtProcConfig.loopbackEphemeral());
  }

  private void awaitRoutable(String model, String replica, boolean routable) {
    rig.awaitRoutable("modelgate/" + model + "/rest", replica, routable);
    rig.awaitRoutable("modelgate/" + model + "/grpc", replica, routable);
  }
}
