package io.modelgate.sources;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every replica modelgate knows now, from all its sources merged (ids unique, in source order and
 * then in each source's order), and how each source is doing. Immutable; the unit the sources
 * hand to probing, and probing on to readiness and the health view.
 */
public record ReplicaSet(List<Replica> replicas, List<SourceStatus> sources) {
  public ReplicaSet {
    replicas = List.copyOf(replicas);
    sources = List.copyOf(sources);
    Map<String, Replica> byId = new LinkedHashMap<>();
    for (Replica replica : replicas) {
      if (byId.put(replica.id(), replica) != null) {
        throw new IllegalArgumentException("replica id listed twice: " + replica.id());
      }
    }
  }

  public static ReplicaSet of(List<Replica> replicas) {
    return new ReplicaSet(replicas, List.of());
  }

  /** The replicas by id, in set order. */
  public Map<String, Replica> byId() {
    Map<String, Replica> byId = new LinkedHashMap<>();
    replicas.forEach(replica -> byId.put(replica.id(), replica));
    return byId;
  }
}
