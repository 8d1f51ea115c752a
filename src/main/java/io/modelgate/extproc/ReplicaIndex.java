package io.modelgate.extproc;

import io.modelgate.sources.Replica;
import io.modelgate.view.HealthViewSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which replica an upstream address ({@code ip:port}, as Envoy reports it) belongs to: the
 * replicas of the newest health view on their gRPC and REST ports, which are the endpoints EDS
 * lists. Rebuilt when the view's replicas change. Thread-safe.
 */
final class ReplicaIndex {
  private final HealthViewSource views;
  private volatile Indexed indexed = new Indexed(Map.of(), Map.of());

  private record Indexed(Map<String, Replica> replicas, Map<String, String> byAddress) {}

  ReplicaIndex(HealthViewSource views) {
    this.views = views;
  }

  Optional<String> replicaAt(String address) {
    Map<String, Replica> replicas = views.current().replicas();
    Indexed last = indexed;
    if (last.replicas() != replicas && !last.replicas().equals(replicas)) {
      last = index(replicas);
      indexed = last;
    }
    return Optional.ofNullable(last.byAddress().get(address));
  }

  private static Indexed index(Map<String, Replica> replicas) {
    Map<String, String> byAddress = new HashMap<>();
    for (Replica replica : replicas.values()) {
      if (replica.resolved()) {
        String ip = replica.address().contains(":") ? "[" + replica.address() + "]" : replica.address();
        byAddress.put(ip + ":" + replica.grpcPort(), replica.id());
        byAddress.put(ip + ":" + replica.restPort(), replica.id());
      }
    }
    return new Indexed(replicas, Map.copyOf(byAddress));
  }
}
