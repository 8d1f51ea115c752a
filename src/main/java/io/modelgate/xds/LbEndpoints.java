package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.modelgate.sources.Replica;
import io.modelgate.routing.ClusterNames.Upstream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The EDS endpoint of every replica, upstream and health status for one set of replicas, each
 * built once and shared by every load assignment that lists it: with 20 models, 20 clusters list
 * the same 1,000 endpoints, and a shared message computes its size and hash only once. Replicas
 * are grouped by zone into Envoy localities; one whose host does not resolve has no endpoint. Not
 * thread-safe: used by one build at a time.
 */
final class LbEndpoints {
  private static final int STATUSES = HealthStatus.values().length;

  private final Map<String, Replica> replicas;
  private final List<Replica> ordered;
  private final List<Zone> zones;
  /** [replica][upstream][health status number], filled on first use. */
  private final LbEndpoint[][][] built;

  /** The resolved replicas of one zone, by index, in set order. */
  record Zone(String name, List<Integer> indexes) {
    LocalityLbEndpoints.Builder locality() {
      LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
      if (!name.isEmpty()) {
        locality.setLocality(Locality.newBuilder().setZone(name));
      }
      return locality;
    }
  }

  LbEndpoints(Map<String, Replica> replicas) {
    this.replicas = replicas;
    this.ordered = List.copyOf(replicas.values());
    Map<String, List<Integer>> byZone = new LinkedHashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      Replica replica = ordered.get(i);
      if (replica.resolved()) {
        byZone.computeIfAbsent(replica.zone(), zone -> new ArrayList<>()).add(i);
      }
    }
    List<Zone> zones = new ArrayList<>();
    byZone.forEach((zone, indexes) -> zones.add(new Zone(zone, List.copyOf(indexes))));
    // A cluster with no endpoint still lists one empty locality, as before zones existed.
    this.zones = zones.isEmpty() ? List.of(new Zone("", List.of())) : List.copyOf(zones);
    this.built = new LbEndpoint[ordered.size()][Upstream.values().length][STATUSES];
  }

  Map<String, Replica> replicas() {
    return replicas;
  }

  List<Zone> zones() {
    return zones;
  }

  Replica replica(int index) {
    return ordered.get(index);
  }

  LbEndpoint get(int index, Upstream upstream, HealthStatus health) {
    LbEndpoint[] byStatus = built[index][upstream.ordinal()];
    LbEndpoint endpoint = byStatus[health.getNumber()];
    if (endpoint == null) {
      Replica replica = ordered.get(index);
      int port = upstream == Upstream.GRPC ? replica.grpcPort() : replica.restPort();
      endpoint =
          LbEndpoint.newBuilder()
              .setEndpoint(
                  Endpoint.newBuilder()
                      .setAddress(EnvoyValues.socketAddress(replica.address(), port))
                      .setHostname(replica.id()))
              .setHealthStatus(health)
              .build();
      byStatus[health.getNumber()] = endpoint;
    }
    return endpoint;
  }
}
