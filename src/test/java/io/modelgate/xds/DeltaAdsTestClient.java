package io.modelgate.xds;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bare incremental ADS client over real gRPC: one DeltaAggregatedResources stream on which the
 * test subscribes by hand; every response is queued for the test and ACKed, or NACKed while
 * {@link #rejectEverything} is on, as Envoy does (nonce, and {@code error_detail} for a NACK).
 */
final class DeltaAdsTestClient implements AutoCloseable {
  static final String ENDPOINT_TYPE = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  static final String CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  private final ManagedChannel channel;
  private final BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
  private final StreamObserver<DeltaDiscoveryRequest> requests;
  private final Node node;
  private volatile boolean rejecting;

  DeltaAdsTestClient(int port, String nodeId) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    node = Node.newBuilder().setId(nodeId).setCluster("test").build();
    requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .deltaAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DeltaDiscoveryResponse response) {
                    responses.add(response);
                    answer(response);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
  }

  /** Asks for these resources of {@code type} (no names: a wildcard subscription). */
  void subscribe(String type, List<String> names) {
    subscribe(type, names, Map.of());
  }

  /** As a reconnecting Envoy does: asks for {@code type}, saying what it already holds. */
  synchronized void subscribe(String type, List<String> names, Map<String, String> held) {
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(type)
            .addAllResourceNamesSubscribe(names)
            .putAllInitialResourceVersions(held)
            .build());
  }

  void rejectEverything() {
    rejecting = true;
  }

  /** The next response, or null if none comes within {@code timeout}. */
  DeltaDiscoveryResponse next(Duration timeout) throws InterruptedException {
    return responses.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void answer(DeltaDiscoveryResponse response) {
    DeltaDiscoveryRequest.Builder reply =
        DeltaDiscoveryRequest.newBuilder().setTypeUrl(response.getTypeUrl()).setResponseNonce(response.getNonce());
    if (rejecting) {
      reply.setErrorDetail(Status.newBuilder().setCode(3).setMessage("rejected by the test"));
    }
    requests.onNext(reply.build());
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
