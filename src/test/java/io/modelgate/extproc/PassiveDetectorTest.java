package io.modelgate.extproc;

import io.modelgate.view.HealthViews;
import static io.modelgate.extproc.Views.complete;
import static io.modelgate.extproc.Views.model;
import static io.modelgate.extproc.Views.replica;
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
import io.grpc.stub.MetadataUtils;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.probing.OutOfBandProbes;
import io.modelgate.routing.ObserverAuth;
import io.modelgate.view.ReplicaState;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Passive detection over a real gRPC channel, the test playing Envoy's upstream observer: one
 * stream per try, with its request headers and then its response headers (or an end without
 * them) in observability mode, and the cluster name and upstream address with the request headers
 * as Envoy sends them.
 */
class PassiveDetectorTest {
  private static final String R0_GRPC = "127.0.0.1:18500";
  private static final String R0_REST = "127.0.0.1:18501";
  private static final String R1_REST = "127.0.0.1:18511";
  private static final List<ReplicaConfig> REPLICAS =
      List.of(
          new ReplicaConfig("r0", "127.0.0.1", 18500, 18501, Protocol.GRPC),
          new ReplicaConfig("r1", "localhost", 18510, 18511, Protocol.GRPC));

  private final Views views =
      new Views(
          HealthViews.ofConfigured(
              1,
              Views.T0,
              true,
              complete(
                      model(
                          "resnet",
                          replica("r0", ReplicaState.READY, "version 1 AVAILABLE", 1L),
                          replica("r1", ReplicaState.LOADING, "version 1 LOADING")))
                  .models(),
              REPLICAS));
  private final List<String> reprobed = new CopyOnWriteArrayList<>();
  private final List<String> failedInTraffic = new CopyOnWriteArrayList<>();
  private boolean probePending;
  private PassiveDetector detector;
  private ExternalProcessorService service;
  private ExtProcServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    start(Duration.ZERO);
  }

  private void start(Duration minGap) {
    OutOfBandProbes probes =
        new OutOfBandProbes() {
          @Override
          public boolean reprobe(String replicaId, String model) {
            reprobed.add(replicaId + "/" + model);
            return !probePending;
          }

          @Override
          public boolean failedInTraffic(String replicaId, String model, String reason) {
            failedInTraffic.add(replicaId + "/" + model + ": " + reason);
            return reprobe(replicaId, model);
          }
        };
    detector = new PassiveDetector(views, probes, minGap);
    service = new ExternalProcessorService(views, 1024, Optional.of(detector));
    server = ExtProcServer.start(new InetSocketAddress("127.0.0.1", 0), service);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  @Test
  void restServableNotFoundFromAReadyReplicaTriggersAReprobe() throws Exception {
    observe("modelgate/resnet/rest", R0_REST, ":status", "404");
    assertThat(reprobed).containsExactly("r0/resnet");
    assertThat(detector.reprobes()).isEqualTo(1);
  }

  @Test
  void grpcNotFoundInTrailersOnlyHeadersTriggersAReprobeForAVersionCluster() throws Exception {
    observe("modelgate/resnet/v1/grpc", R0_GRPC, ":status", "200", "grpc-status", "5");
    assertThat(reprobed).containsExactly("r0/resnet");
  }

  @Test
  void successfulAnswersAndOtherErrorsTriggerNothing() throws Exception {
    observe("modelgate/resnet/rest", R0_REST, ":status", "200");
    observe("modelgate/resnet/grpc", R0_GRPC, ":status", "200", "grpc-status", "3");
    observe("modelgate/resnet/rest", R0_REST, ":status", "503");
    assertThat(reprobed).isEmpty();
    assertThat(detector.observed()).isEqualTo(3);
  }

  @Test
  void aReplicaTheViewAlreadyTakesOutIsNotReprobed() throws Exception {
    // r1 is configured by name; its address is found all the same.
    observe("modelgate/resnet/rest", R1_REST, ":status", "404");
    assertThat(reprobed).isEmpty();
  }

  @Test
  void unreadableAttributesAreIgnored() throws Exception {
    observe("someone-elses-cluster", R0_REST, ":status", "404");
    observe("modelgate/resnet/rest", "10.9.9.9:18501", ":status", "404");
    observe("modelgate/resnet/rest", "", ":status", "404");
    assertThat(reprobed).isEmpty();
  }

  @Test
  void aTryThatEndsWithoutAnswerCountsAsAFailureInTrafficAndIsReprobed() throws Exception {
    giveUp("modelgate/resnet/grpc", R0_GRPC, Duration.ofMillis(150), /* reset= */ true);
    assertThat(failedInTraffic).singleElement().asString()
        .startsWith("r0/resnet: a request ended without an answer after ")
        .endsWith(" ms");
    assertThat(reprobed).containsExactly("r0/resnet");
    assertThat(detector.reprobes()).isEqualTo(1);
  }

  @Test
  void aTryHalfClosedWithoutAnswerCountsTooButNotOnAReplicaAlreadyOut() throws Exception {
    giveUp("modelgate/resnet/rest", R0_REST, Duration.ZERO, /* reset= */ false);
    giveUp("modelgate/resnet/rest", R1_REST, Duration.ZERO, /* reset= */ false);
    assertThat(failedInTraffic).singleElement().asString().startsWith("r0/resnet: ");
  }

  @Test
  void trafficBringsAKeysProbeForwardAtMostOncePerInterval() throws Exception {
    stop();
    start(Duration.ofMinutes(1));
    observe("modelgate/resnet/rest", R0_REST, ":status", "404");
    giveUp("modelgate/resnet/rest", R0_REST, Duration.ofMillis(100), /* reset= */ true);
    observe("modelgate/resnet/grpc", R0_GRPC, ":status", "200", "grpc-status", "5");
    assertThat(reprobed).containsExactly("r0/resnet");
    assertThat(failedInTraffic).isEmpty();
    assertThat(detector.observed()).isEqualTo(3);
  }

  @Test
  void aClosedDetectorTakesStreamsCutByShutdownForNothing() throws Exception {
    detector.close();
    giveUp("modelgate/resnet/rest", R0_REST, Duration.ofMillis(100), /* reset= */ true);
    observe("modelgate/resnet/rest", R0_REST, ":status", "404");
    assertThat(failedInTraffic).isEmpty();
    assertThat(reprobed).isEmpty();
  }

  @Test
  void aBurstWhileAProbeIsPendingCountsOneReprobe() throws Exception {
    observe("modelgate/resnet/rest", R0_REST, ":status", "404");
    probePending = true;
    observe("modelgate/resnet/rest", R0_REST, ":status", "404");
    observe("modelgate/resnet/grpc", R0_GRPC, ":status", "200", "grpc-status", "5");
    assertThat(detector.reprobes()).isEqualTo(1);
  }

  @Test
  void observerMessagesWithoutTheObserverTokenAreIgnoredAndCounted() throws Exception {
    ExtProcCounters counters = service.counters();
    Try forged = new Try("modelgate/resnet/rest", R0_REST, /* token= */ "not-the-token");
    forged.stream.onNext(
        ProcessingRequest.newBuilder()
            .setObservabilityMode(true)
            .setResponseHeaders(
                HttpHeaders.newBuilder()
                    .setHeaders(
                        HeaderMap.newBuilder()
                            .addHeaders(HeaderValue.newBuilder().setKey(":status").setRawValue(ByteString.copyFromUtf8("404")))))
            .build());
    forged.stream.onCompleted();
    assertThat(forged.ended.await(5, TimeUnit.SECONDS)).isTrue();
    giveUpWithout("modelgate/resnet/grpc", R0_GRPC);

    assertThat(reprobed).isEmpty();
    assertThat(failedInTraffic).isEmpty();
    assertThat(detector.observed()).isZero();
    await().atMost(Duration.ofSeconds(5)).until(() -> counters.forgedObserverMessages() == 3);
  }

  /** A try reported without any token, whose stream then ends with no answer. */
  private void giveUpWithout(String cluster, String upstreamAddress) throws InterruptedException {
    Try attempt = new Try(cluster, upstreamAddress, null);
    attempt.stream.onCompleted();
    assertThat(attempt.ended.await(5, TimeUnit.SECONDS)).isTrue();
  }

  /** One try as Envoy's observer reports it: request headers, then response headers. */
  private void observe(String cluster, String upstreamAddress, String... headers) throws Exception {
    Try attempt = new Try(cluster, upstreamAddress);
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < headers.length; i += 2) {
      map.addHeaders(
          HeaderValue.newBuilder().setKey(headers[i]).setRawValue(ByteString.copyFromUtf8(headers[i + 1])));
    }
    attempt.stream.onNext(
        ProcessingRequest.newBuilder()
            .setObservabilityMode(true)
            .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(map))
            .build());
    assertThat(attempt.ended.await(5, TimeUnit.SECONDS)).as("the service ends an observer's stream").isTrue();
    assertThat(attempt.answers).as("Envoy reads no answer in observability mode").isEmpty();
    attempt.stream.onCompleted();
  }

  /**
   * One try Envoy gave up on: request headers, then {@code after} later the end of the observer
   * stream with no response headers, as a half-close or a reset.
   */
  private void giveUp(String cluster, String upstreamAddress, Duration after, boolean reset)
      throws Exception {
    long observedBefore = detector.observed();
    Try attempt = new Try(cluster, upstreamAddress);
    Thread.sleep(after.toMillis());
    if (reset) {
      attempt.stream.onError(Status.CANCELLED.asRuntimeException());
    } else {
      attempt.stream.onCompleted();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> detector.observed() > observedBefore);
    assertThat(attempt.answers).as("Envoy reads no answer in observability mode").isEmpty();
  }

  /** An observer stream that has sent its request headers. */
  private final class Try {
    final CountDownLatch ended = new CountDownLatch(1);
    final List<ProcessingResponse> answers = new CopyOnWriteArrayList<>();
    final StreamObserver<ProcessingRequest> stream;

    /** With the observer token, as Envoy's observer filter sends it. */
    Try(String cluster, String upstreamAddress) {
      this(cluster, upstreamAddress, ObserverAuth.token());
    }

    /** With {@code token} as the observer token header (none if null). */
    Try(String cluster, String upstreamAddress, String token) {
      Metadata metadata = new Metadata();
      if (token != null) {
        metadata.put(Metadata.Key.of(ObserverAuth.HEADER, Metadata.ASCII_STRING_MARSHALLER), token);
      }
      Struct attributes =
          Struct.newBuilder()
              .putFields("xds.cluster_name", Value.newBuilder().setStringValue(cluster).build())
              .putFields("upstream.address", Value.newBuilder().setStringValue(upstreamAddress).build())
              .build();
      stream =
          ExternalProcessorGrpc.newStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .process(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ProcessingResponse response) {
                      answers.add(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                      ended.countDown();
                    }

                    @Override
                    public void onCompleted() {
                      ended.countDown();
                    }
                  });
      stream.onNext(
          ProcessingRequest.newBuilder()
              .setObservabilityMode(true)
              .setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(true))
              .putAttributes("envoy.filters.http.ext_proc", attributes)
              .build());
    }
  }
}
