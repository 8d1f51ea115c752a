package io.modelgate.bench;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One state-of-the-world xDS client of the scale benchmark, speaking ADS the way an Envoy does on
 * its own channel: wildcard CDS and LDS, then EDS for every EDS cluster CDS named and RDS for
 * every route configuration the listeners name, each response ACKed with its version and nonce
 * (and the subscribed names). Every EDS response carries all the load assignments subscribed to.
 *
 * <p>Thread-safe: gRPC delivers responses one at a time; requests go out under the object's
 * monitor; subscription state is read under it too.
 */
final class ScaleAdsClient extends AdsStreamClient<DiscoveryResponse> {
  /** What a type's subscription holds: names asked for, last version and nonce to ACK with. */
  private static final class Subscription {
    List<String> names = List.of();
    String version = "";
    String nonce = "";
    int responses;
  }

  private final StreamObserver<DiscoveryRequest> requests;
  private final Map<String, Subscription> subscriptions = new HashMap<>();

  ScaleAdsClient(int port, String nodeId, String nodeCluster) {
    super(port, nodeId, nodeCluster);
    requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(responses());
    synchronized (this) {
      subscribe(CLUSTERS, List.of());
      subscribe(LISTENERS, List.of());
    }
  }

  @Override
  public synchronized boolean configured() {
    return answered(CLUSTERS) && answered(ENDPOINTS) && answered(LISTENERS) && answered(ROUTES);
  }

  @Override
  public synchronized Map<String, Integer> responseCounts() {
    Map<String, Integer> counts = new HashMap<>();
    subscriptions.forEach((type, s) -> counts.put(type, s.responses));
    return counts;
  }

  private boolean answered(String type) {
    Subscription s = subscriptions.get(type);
    return s != null && s.responses > 0;
  }

  @Override
  synchronized void handle(DiscoveryResponse response, long arrived) throws IOException {
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
      }
      case LISTENERS -> {
        List<String> routes = new ArrayList<>();
        for (Any resource : response.getResourcesList()) {
          routes.addAll(ScaleXdsClient.routeNames(resource.unpack(Listener.class)));
        }
        subscribe(ROUTES, sorted(routes));
      }
      case ENDPOINTS -> eds.add(arrived, response.getSerializedSize(), response.getResourcesList());
      default -> {}
    }
    send(type, s);
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
}
