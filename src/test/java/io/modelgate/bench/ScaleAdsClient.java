package io.modelgate.bench;

import com.google.protobuf.Any;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * One xDS client of the scale benchmark, speaking ADS the way an Envoy does on its own channel:
 * wildcard CDS and LDS, then EDS for every EDS cluster CDS named and RDS for every route
 * configuration the listeners name, each response ACKed with its version and nonce (and the
 * subscribed names). It records the arrival of every EDS response and, for the endpoint being
 * {@linkplain #watch watched}, the health that response gives it.
 *
 * <p>Responses are kept as bytes as far as possible: an EDS response's load assignments are
 * scanned for their cluster name and only the watched cluster's is parsed, so 50 clients in one
 * JVM cost little next to the control plane they measure. Thread-safe: gRPC delivers responses
 * one at a time; requests go out under the object's monitor; receipts are read under it too.
 */
final class ScaleAdsClient implements AutoCloseable {
  static final String CLUSTERS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String ENDPOINTS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  static final String LISTENERS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final String ROUTES = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  /** A full EDS response for 1,000 replicas x 80 clusters is several MB: gRPC's 4 MB default is too small. */
  private static final int MAX_RESPONSE_BYTES = 256 << 20;

  /** Which endpoint (by hostname, the replica id) of which cluster to report on. */
  record Watch(String cluster, String hostname) {}

  /** One EDS response: when it arrived (System.nanoTime), its size, the watched endpoint's health. */
  record Receipt(long nanos, int bytes, Watch watch, HealthStatus health) {}

  /** What a type's subscription holds: names asked for, last version and nonce to ACK with. */
  private static final class Subscription {
    List<String> names = List.of();
    String version = "";
    String nonce = "";
    int responses;
  }

  private final ManagedChannel channel;
  private final Node node;
  private final StreamObserver<DiscoveryRequest> requests;
  private final Map<String, Subscription> subscriptions = new HashMap<>();
  private final List<Receipt> receipts = new ArrayList<>();
  private volatile Watch watch;
  private volatile Throwable failure;

  ScaleAdsClient(int port, String nodeId, String nodeCluster) {
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port)
            .usePlaintext()
            .maxInboundMessageSize(MAX_RESPONSE_BYTES)
            .build();
    node = Node.newBuilder().setId(nodeId).setCluster(nodeCluster).build();
    requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse response) {
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
                });
    synchronized (this) {
      subscribe(CLUSTERS, List.of());
      subscribe(LISTENERS, List.of());
    }
  }

  /** Reports on this endpoint in every EDS response from now on. */
  void watch(Watch endpoint) {
    this.watch = endpoint;
  }

  /** Has the whole configuration: clusters, their endpoints, listeners and their routes. */
  synchronized boolean configured() {
    return answered(CLUSTERS) && answered(ENDPOINTS) && answered(LISTENERS) && answered(ROUTES);
  }

  /** The first EDS response at or after {@code sinceNanos} that gives the watched endpoint this health. */
  synchronized OptionalLong firstShowing(long sinceNanos, Watch endpoint, HealthStatus health) {
    for (Receipt receipt : receipts) {
      if (receipt.nanos() >= sinceNanos && endpoint.equals(receipt.watch()) && receipt.health() == health) {
        return OptionalLong.of(receipt.nanos());
      }
    }
    return OptionalLong.empty();
  }

  synchronized List<Receipt> receipts() {
    return List.copyOf(receipts);
  }

  /** Responses received per type URL. */
  synchronized Map<String, Integer> responseCounts() {
    Map<String, Integer> counts = new HashMap<>();
    subscriptions.forEach((type, s) -> counts.put(type, s.responses));
    return counts;
  }

  /** Why the stream broke, or null while it is healthy. */
  Throwable failure() {
    return failure;
  }

  private boolean answered(String type) {
    Subscription s = subscriptions.get(type);
    return s != null && s.responses > 0;
  }

  private synchronized void handle(DiscoveryResponse response, long arrived) throws IOException {
    String type = response.getTypeUrl();
    Subscription s = subscriptions.computeIfAbsent(type, t -> new Subscription());
    s.version = response.getVersionInfo();
    s.nonce = response.getNonce();
    s.responses++;
    switch (type) {
      case CLUSTERS -> {
        List<String> edsClusters = new ArrayList<>();
        for (Any resource : response.getResourcesList()) {
          Cluster cluster = resource.unpack(Cluster.class);
          if (cluster.getType() == Cluster.DiscoveryType.EDS) {
            edsClusters.add(cluster.getName());
          }
        }
        // As Envoy does: subscribe to the clusters' endpoints, then ACK the clusters.
        subscribe(ENDPOINTS, sorted(edsClusters));
        ack(CLUSTERS);
      }
      case LISTENERS -> {
        List<String> routes = new ArrayList<>();
        for (Any resource : response.getResourcesList()) {
          for (FilterChain chain : resource.unpack(Listener.class).getFilterChainsList()) {
            for (Filter filter : chain.getFiltersList()) {
              if (filter.getTypedConfig().is(HttpConnectionManager.class)) {
                HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
                if (hcm.hasRds()) {
                  routes.add(hcm.getRds().getRouteConfigName());
                }
              }
            }
          }
        }
        subscribe(ROUTES, sorted(routes));
        ack(LISTENERS);
      }
      case ENDPOINTS -> {
        Watch current = watch;
        receipts.add(new Receipt(arrived, response.getSerializedSize(), current, healthOf(response, current)));
        ack(ENDPOINTS);
      }
      default -> ack(type);
    }
  }

  /** The watched endpoint's health in this EDS response; null when it is not in it. */
  private static HealthStatus healthOf(DiscoveryResponse response, Watch endpoint)
      throws InvalidProtocolBufferException, IOException {
    if (endpoint == null) {
      return null;
    }
    for (Any resource : response.getResourcesList()) {
      if (!endpoint.cluster().equals(clusterName(resource))) {
        continue;
      }
      ClusterLoadAssignment assignment = ClusterLoadAssignment.parseFrom(resource.getValue());
      for (LocalityLbEndpoints locality : assignment.getEndpointsList()) {
        for (LbEndpoint lb : locality.getLbEndpointsList()) {
          if (lb.getEndpoint().getHostname().equals(endpoint.hostname())) {
            return lb.getHealthStatus();
          }
        }
      }
    }
    return null;
  }

  /** A load assignment's cluster_name (field 1), read without parsing its endpoints. */
  private static String clusterName(Any resource) throws IOException {
    CodedInputStream in = resource.getValue().newCodedInput();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag >>> 3 == ClusterLoadAssignment.CLUSTER_NAME_FIELD_NUMBER) {
        return in.readString();
      }
      in.skipField(tag);
    }
    return "";
  }

  private static List<String> sorted(List<String> names) {
    return List.copyOf(new TreeSet<>(names));
  }

  /** A request for new names (or the first one of a type), carrying the last ACKed version. */
  private void subscribe(String type, List<String> names) {
    Subscription s = subscriptions.computeIfAbsent(type, t -> new Subscription());
    if (s.responses > 0 && s.names.equals(names)) {
      return;
    }
    s.names = names;
    send(type, s);
  }

  private void ack(String type) {
    send(type, subscriptions.get(type));
  }

  private void send(String type, Subscription s) {
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(type)
            .addAllResourceNames(s.names)
            .setVersionInfo(s.version)
            .setResponseNonce(s.nonce)
            .build());
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
