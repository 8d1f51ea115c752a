package io.modelgate.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One ADS client of the scale benchmark as {@link XdsScaleBenchmark} sees it, whichever xDS
 * protocol it speaks: it subscribes to everything an Envoy would, ACKs every response, and records
 * each EDS response with the health it gives the endpoint being {@linkplain #watch watched}.
 * Implementations are thread-safe and keep their own channel and node id.
 */
interface ScaleXdsClient extends AutoCloseable {
  String CLUSTERS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  String ENDPOINTS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  String LISTENERS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  String ROUTES = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

  /** Which endpoint (by hostname, the replica id) of which cluster to report on. */
  record Watch(String cluster, String hostname) {}

  /**
   * One EDS response: when it arrived (System.nanoTime), its size, the watched endpoint's health
   * (null when the response does not carry that endpoint's cluster).
   */
  record Receipt(long nanos, int bytes, Watch watch, HealthStatus health) {}

  /** The two ways an Envoy can hold an ADS stream. */
  enum Protocol {
    /** StreamAggregatedResources: every EDS response carries all the load assignments subscribed to. */
    SOTW("SotW"),
    /** DeltaAggregatedResources: an EDS response carries the load assignments that changed. */
    DELTA("delta");

    private final String label;

    Protocol(String label) {
      this.label = label;
    }

    /** Short name for tables and logs. */
    String label() {
      return label;
    }

    /** Opens a client of this protocol; it subscribes at once and never blocks. */
    ScaleXdsClient connect(int port, String nodeId, String nodeCluster) {
      return switch (this) {
        case SOTW -> new ScaleAdsClient(port, nodeId, nodeCluster);
        case DELTA -> new ScaleDeltaAdsClient(port, nodeId, nodeCluster);
      };
    }
  }

  /** Reports on this endpoint in every EDS response from now on. */
  void watch(Watch endpoint);

  /** Has the whole configuration: clusters, their endpoints, listeners and their routes. */
  boolean configured();

  /** The first EDS response at or after {@code sinceNanos} that gives the watched endpoint this health. */
  OptionalLong firstShowing(long sinceNanos, Watch endpoint, HealthStatus health);

  /** Every EDS response so far, oldest first. */
  List<Receipt> receipts();

  /** Responses received per type URL. */
  Map<String, Integer> responseCounts();

  /** Why the stream broke, or null while it is healthy. */
  Throwable failure();

  @Override
  void close() throws InterruptedException;

  /** A plaintext channel to the control plane on loopback that takes a full EDS response. */
  static ManagedChannel channel(int port) {
    // A full EDS response for 1,000 replicas x 80 clusters is several MB: gRPC's 4 MB default is too small.
    return NettyChannelBuilder.forAddress("127.0.0.1", port)
        .usePlaintext()
        .maxInboundMessageSize(256 << 20)
        .build();
  }

  /** The route configurations a listener's HTTP connection managers load over RDS. */
  static List<String> routeNames(Listener listener) throws InvalidProtocolBufferException {
    List<String> routes = new ArrayList<>();
    for (FilterChain chain : listener.getFilterChainsList()) {
      for (Filter filter : chain.getFiltersList()) {
        if (filter.getTypedConfig().is(HttpConnectionManager.class)) {
          HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
          if (hcm.hasRds()) {
            routes.add(hcm.getRds().getRouteConfigName());
          }
        }
      }
    }
    return routes;
  }
}
