package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.modelgate.grpcserver.LogCapture;
import io.modelgate.grpcserver.RawCalls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ADS server's bookkeeping against clients that misbehave: streams are counted open until they
 * end however they end (a malformed message, a cancel), a NACK counts as Envoy rejecting config
 * only for a nonce sent on its stream, and NACK lines are bounded in size and number.
 */
class XdsStreamBookkeepingTest {
  private static final String CLUSTER_TYPE = AdsTestClient.CLUSTER_TYPE;
  private static final Node NODE = Node.newBuilder().setId("envoy-1").setCluster("edge").build();

  private XdsServer server;
  private XdsSnapshotPublisher publisher;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    server = new XdsServer(new InetSocketAddress("127.0.0.1", 0));
    publisher = new XdsSnapshotPublisher(new EnvoyResources(FixedView.CONFIG), server, new FixedView());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    publisher.close();
    server.close();
  }

  @Test
  void streamsThatEndOnAMalformedMessageAreNoLongerCountedOpen() throws Exception {
    byte[] request = DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CLUSTER_TYPE).build().toByteArray();
    byte[] deltaRequest =
        DeltaDiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CLUSTER_TYPE).build().toByteArray();
    List<CompletableFuture<Status>> streams = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      streams.add(
          RawCalls.send(
              channel,
              AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod(),
              List.of(request, RawCalls.MALFORMED)));
      streams.add(
          RawCalls.send(
              channel,
              AggregatedDiscoveryServiceGrpc.getDeltaAggregatedResourcesMethod(),
              List.of(deltaRequest, RawCalls.MALFORMED)));
    }

    for (CompletableFuture<Status> stream : streams) {
      assertThat(stream.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> server.openStreams() == 0);
    assertThat(server.openDeltaStreams()).isZero();
  }

  @Test
  void cancelledStreamsAreNoLongerCountedOpen() throws Exception {
    AdsStream sotw = new AdsStream(channel);
    sotw.send(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CLUSTER_TYPE).build());
    sotw.next();
    assertThat(server.openStreams()).isEqualTo(1);

    sotw.requests.onError(new RuntimeException("the client gives up"));

    await().atMost(Duration.ofSeconds(5)).until(() -> server.openStreams() == 0);
  }

  @Test
  void aNackForANonceNeverSentIsStrayNotEnvoyRejectingConfig() throws Exception {
    AdsStream envoy = new AdsStream(channel);
    envoy.send(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CLUSTER_TYPE).build());
    DiscoveryResponse response = envoy.next();

    envoy.send(nack("a-nonce-never-sent", "forged"));
    await().atMost(Duration.ofSeconds(5)).until(() -> server.strayNacks() == 1);
    assertThat(server.nacks()).isZero();

    envoy.send(nack(response.getNonce(), "cluster rejected"));
    await().atMost(Duration.ofSeconds(5)).until(() -> server.nacks() == 1);
    assertThat(server.strayNacks()).isEqualTo(1);
    assertThat(XdsStatus.of(server, publisher).strayNacks()).isEqualTo(1);
  }

  @Test
  void aMegabyteNackDetailIsLoggedOnceCutToAKilobyteWithItsLength() throws Exception {
    AdsStream envoy = new AdsStream(channel);
    envoy.send(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CLUSTER_TYPE).build());
    DiscoveryResponse response = envoy.next();
    try (LogCapture logs = new LogCapture()) {
      envoy.send(nack(response.getNonce(), "e".repeat(1 << 20)));
      await().atMost(Duration.ofSeconds(5)).until(() -> server.nacks() == 1);

      List<String> lines = logs.linesWith("Envoy node 'envoy-1' rejected " + CLUSTER_TYPE);
      assertThat(lines).singleElement().satisfies(line -> {
        assertThat(line).contains("e".repeat(XdsCallbacks.MAX_DETAIL_CHARS) + "... (1048576 chars)");
        assertThat(line.length()).isLessThan(XdsCallbacks.MAX_DETAIL_CHARS + 300);
      });
    }
  }

  @Test
  void aFloodOfNacksLogsABoundedNumberOfLines() throws Exception {
    AdsStream client = new AdsStream(channel);
    client.send(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CLUSTER_TYPE).build());
    client.next();
    try (LogCapture logs = new LogCapture()) {
      for (int i = 0; i < 500; i++) {
        client.send(nack("forged-" + i, "detail " + i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> server.strayNacks() == 500);

      // Ten at once, then one per 6 s: the flood takes well under 6 s here.
      assertThat(logs.linesWith("sent a NACK for nonce")).hasSizeBetween(10, 11);
    }
  }

  private static DiscoveryRequest nack(String nonce, String detail) {
    return DiscoveryRequest.newBuilder()
        .setNode(NODE)
        .setTypeUrl(CLUSTER_TYPE)
        .setResponseNonce(nonce)
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage(detail))
        .build();
  }

  /** One state-of-the-world ADS stream driven by hand. */
  private static final class AdsStream {
    private final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    final StreamObserver<DiscoveryRequest> requests;

    AdsStream(ManagedChannel channel) {
      requests =
          AggregatedDiscoveryServiceGrpc.newStub(channel)
              .streamAggregatedResources(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(DiscoveryResponse response) {
                      responses.add(response);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                  });
    }

    synchronized void send(DiscoveryRequest request) {
      requests.onNext(request);
    }

    DiscoveryResponse next() throws InterruptedException {
      DiscoveryResponse response = responses.poll(5, TimeUnit.SECONDS);
      assertThat(response).as("a response within 5 s").isNotNull();
      return response;
    }
  }

}
