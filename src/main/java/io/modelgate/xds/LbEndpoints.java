package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.xds.ClusterNames.Upstream;
import java.util.List;
import java.util.Map;

/**
 * The EDS endpoint of every replica, upstream and health status for a set of replica addresses,
 * each built once and shared by every load assignment that lists it: with 20 models, 20 clusters
 * list the same 1,000 endpoints, and a shared message computes its size and hash only once. Not
 * thread-safe: used by one build at a time.
 */
final class LbEndpoints {
  private static final int STATUSES = HealthStatus.values().length;

  private final List<ReplicaConfig> replicas;
  private final Map<String, String> ips;
  /** [replica][upstream][health status number], filled on first use. */
  private final LbEndpoint[][][] built;

  /** @param ips replica id to IP address, "" for a host that does not resolve */
  LbEndpoints(List<ReplicaConfig> replicas, Map<String, String> ips) {
    this.replicas = replicas;
    this.ips = ips;
    this.built = new LbEndpoint[replicas.size()][Upstream.values().length][STATUSES];
  }

  Map<String, String> ips() {
    return ips;
  }

  int size() {
    return replicas.size();
  }

  ReplicaConfig replica(int index) {
    return replicas.get(index);
  }

  /** False for a replica whose host does not resolve: it has no endpoint. */
  boolean resolved(int index) {
    return !ips.get(replicas.get(index).id()).isEmpty();
  }

  LbEndpoint get(int index, Upstream upstream, HealthStatus health) {
    LbEndpoint[] byStatus = built[index][upstream.ordinal()];
    LbEndpoint endpoint = byStatus[health.getNumber()];
    if (endpoint == null) {
      ReplicaConfig replica = replicas.get(index);
      int port = upstream == Upstream.GRPC ? replica.grpcPort() : replica.restPort();
      endpoint =
          LbEndpoint.newBuilder()
              .setEndpoint(
                  Endpoint.newBuilder()
                      .setAddress(EnvoyResources.socketAddress(ips.get(replica.id()), port))
                      .setHostname(replica.id()))
              .setHealthStatus(health)
              .build();
      byStatus[health.getNumber()] = endpoint;
    }
    return endpoint;
  }
}
