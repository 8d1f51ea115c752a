package io.modelgate.bench;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * What both scale clients share, whichever ADS stream they hold: the channel, the node, the EDS
 * receipts, and how a broken stream is recorded. Subclasses open their stream with {@link
 * #responses} and handle each response.
 *
 * @param <R> the stream's response type
 */
abstract class AdsStreamClient<R> implements ScaleXdsClient {
  final ManagedChannel channel;
  final Node node;
  final EdsReceipts eds = new EdsReceipts();
  private volatile Throwable failure;

  AdsStreamClient(int port, String nodeId, String nodeCluster) {
    channel = ScaleXdsClient.channel(port);
    node = Node.newBuilder().setId(nodeId).setCluster(nodeCluster).build();
  }

  /** One response, with when it arrived (System.nanoTime); gRPC delivers them one at a time. */
  abstract void handle(R response, long arrivedNanos) throws IOException;

  /** The observer to open the stream with: responses go to {@link #handle}, failures are kept. */
  StreamObserver<R> responses() {
    return new StreamObserver<>() {
      @Override
      public void onNext(R response) {
        long arrived = System.nanoTime();
        try {
          handle(response, arrived);
        } catch (IOException | RuntimeException e) {
          failure = e;
        }
      }

      @Override
      public void onError(Throwable t) {
        failure = t;
      }

      @Override
      public void onCompleted() {
        failure = new IllegalStateException("the control plane ended the stream");
      }
    };
  }

  @Override
  public void watch(Watch endpoint) {
    eds.watch(endpoint);
  }

  @Override
  public OptionalLong firstShowing(long sinceNanos, Watch endpoint, HealthStatus health) {
    return eds.firstShowing(sinceNanos, endpoint, health);
  }

  @Override
  public List<Receipt> receipts() {
    return eds.all();
  }

  @Override
  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
