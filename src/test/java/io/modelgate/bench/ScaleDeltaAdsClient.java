package io.modelgate.bench;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One incremental xDS client of the scale benchmark, speaking delta ADS the way an Envoy with
 * {@code api_type: DELTA_GRPC} does on its own channel: one DeltaAggregatedResources stream; CDS
 * and LDS as wildcards, their first request naming nothing (the legacy wildcard form; modelgate's
 * java-control-plane treats these two types as wildcard whatever a request names); then the load
 * assignments of every EDS cluster and the route configurations the listeners name, subscribed by
 * name, later requests carrying only the names added or dropped. Every response is ACKed with its
 * nonce. The node goes on the first request only, as with {@code set_node_on_first_message_only}
 * (the benchmark's node group is {@code all}, so later requests without it land in the same group).
 *
 * <p>A response carries only the resources that changed, and names the ones removed: the client
 * keeps the names of what it holds of each type, so that it knows when it has every resource it
 * subscribed to, which EDS clusters exist and which routes the listeners name. An EDS receipt has
 * the watched endpoint's health only when its cluster's assignment changed.
 *
 * <p>Thread-safe: gRPC delivers responses one at a time; requests go out under the object's
 * monitor; the held resources are read under it too.
 */
final class ScaleDeltaAdsClient extends AdsStreamClient<DeltaDiscoveryResponse> {
  /** What the client holds of one type: names subscribed to (none for wildcards), names of the resources held. */
  private static final class Held {
    final Set<String> subscribed = new TreeSet<>();
    final Set<String> resources = new TreeSet<>();
    int responses;
  }

  private final StreamObserver<DeltaDiscoveryRequest> requests;
  private final Map<String, Held> held = new HashMap<>();
  /** The EDS clusters among the clusters held, as a CDS response names only those that changed. */
  private final Set<String> edsClusters = new TreeSet<>();
  /** The route configurations each listener held names, for the same reason. */
  private final Map<String, List<String>> routesByListener = new HashMap<>();
  private boolean nodeSent;

  ScaleDeltaAdsClient(int port, String nodeId, String nodeCluster) {
    super(port, nodeId, nodeCluster);
    requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(responses());
    synchronized (this) {
      send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(CLUSTERS));
      send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(LISTENERS));
    }
  }

  /** Holds every cluster and listener sent so far and every load assignment and route subscribed to. */
  @Override
  public synchronized boolean configured() {
    return complete(CLUSTERS) && complete(ENDPOINTS) && complete(LISTENERS) && complete(ROUTES);
  }

  @Override
  public synchronized Map<String, Integer> responseCounts() {
    Map<String, Integer> counts = new HashMap<>();
    held.forEach((type, h) -> counts.put(type, h.responses));
    return counts;
  }

  private boolean complete(String type) {
    Held h = held.get(type);
    return h != null && h.responses > 0 && h.resources.containsAll(h.subscribed);
  }

  private Held held(String type) {
    return held.computeIfAbsent(type, t -> new Held());
  }

  @Override
  synchronized void handle(DeltaDiscoveryResponse response, long arrived) throws IOException {
    String type = response.getTypeUrl();
    Held h = held(type);
    h.responses++;
    List<String> removed = response.getRemovedResourcesList();
    h.resources.removeAll(removed);
    response.getResourcesList().forEach(resource -> h.resources.add(resource.getName()));
    switch (type) {
      case CLUSTERS -> {
        edsClusters.removeAll(removed);
        for (Resource resource : response.getResourcesList()) {
          if (resource.getResource().unpack(Cluster.class).getType() == Cluster.DiscoveryType.EDS) {
            edsClusters.add(resource.getName());
          } else {
            edsClusters.remove(resource.getName());
          }
        }
        // As Envoy does: subscribe to the clusters' endpoints, then ACK the clusters.
        follow(ENDPOINTS, edsClusters);
      }
      case LISTENERS -> {
        removed.forEach(routesByListener::remove);
        for (Resource resource : response.getResourcesList()) {
          Listener listener = resource.getResource().unpack(Listener.class);
          routesByListener.put(resource.getName(), ScaleXdsClient.routeNames(listener));
        }
        Set<String> routes = new TreeSet<>();
        routesByListener.values().forEach(routes::addAll);
        follow(ROUTES, routes);
      }
      case ENDPOINTS -> {
        List<Any> assignments = response.getResourcesList().stream().map(Resource::getResource).toList();
        eds.add(arrived, response.getSerializedSize(), assignments);
      }
      default -> {}
    }
    send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(response.getNonce()));
  }

  /**
   * Subscribes to the names of {@code wanted} not subscribed yet and unsubscribes from those no
   * longer wanted; sends nothing when there is no difference. No nonce: java-control-plane would
   * take the request for the ACK of that response.
   */
  private void follow(String type, Set<String> wanted) {
    Held h = held(type);
    Set<String> added = new TreeSet<>(wanted);
    added.removeAll(h.subscribed);
    Set<String> dropped = new TreeSet<>(h.subscribed);
    dropped.removeAll(wanted);
    if (added.isEmpty() && dropped.isEmpty()) {
      return;
    }
    h.subscribed.addAll(added);
    h.subscribed.removeAll(dropped);
    h.resources.removeAll(dropped);
    send(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(type)
            .addAllResourceNamesSubscribe(added)
            .addAllResourceNamesUnsubscribe(dropped));
  }

  private void send(DeltaDiscoveryRequest.Builder request) {
    if (!nodeSent) {
      request.setNode(node);
      nodeSent = true;
    }
    requests.onNext(request.build());
  }
}
