package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bare ADS client over real gRPC, the way an Envoy speaks it: one stream, a wildcard CDS
 * request, and an ACK (version and nonce echoed) for every response, which it queues for the
 * test to read.
 */
public final class AdsTestClient implements AutoCloseable {
  public static final String CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  private final ManagedChannel channel;
  private final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
  private final StreamObserver<DiscoveryRequest> requests;
  private final Node node;

  private volatile boolean rejecting;
  private String accepted = "";

  public AdsTestClient(int port, String nodeId, String nodeCluster) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    node = Node.newBuilder().setId(nodeId).setCluster(nodeCluster).build();
    requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse response) {
                    responses.add(response);
                    ack(response);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CLUSTER_TYPE).build());
  }

  /** Asks for {@code names} of {@code typeUrl} too, as Envoy asks for EDS once it has clusters. */
  public synchronized void subscribe(String typeUrl, java.util.List<String> names) {
    requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(typeUrl).addAllResourceNames(names).build());
  }

  /** From now on NACK every response, as an Envoy that finds the resources invalid. */
  public void rejectEverything() {
    rejecting = true;
  }

  private synchronized void ack(DiscoveryResponse response) {
    if (rejecting) {
      // A NACK: the last accepted version, the response's nonce, and why.
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl(response.getTypeUrl())
              .setVersionInfo(accepted)
              .setResponseNonce(response.getNonce())
              .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("rejected by the test"))
              .build());
      return;
    }
    accepted = response.getVersionInfo();
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(response.getTypeUrl())
            .setVersionInfo(response.getVersionInfo())
            .setResponseNonce(response.getNonce())
            .build());
  }

  /** The next response, or null if none arrives within {@code timeout}. */
  public DiscoveryResponse next(Duration timeout) throws InterruptedException {
    return responses.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
