package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.modelgate.config.ModelConfig;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.ClusterNames.Upstream;
import io.modelgate.view.HealthView;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.function.Function;

/**
 * The EDS resources: one load assignment per model cluster (see {@link ClusterBuilder}), listing
 * every replica of the view with the health status its state gives for that cluster ({@link
 * EndpointHealth}), grouped by zone. Only the models whose EDS content changed are rebuilt, and
 * every assignment takes its endpoint messages from one shared {@link LbEndpoints}.
 *
 * <p>Thread-safe: builds are synchronized, one at a time filling the shared endpoint table. A view
 * in which a model has no entry for a listed replica is a bug upstream: the build throws {@link
 * IllegalStateException}.
 */
final class LoadAssignmentBuilder {
  /** The last load assignments built per model, and what they were built from. Guarded by this. */
  private final Map<String, Built> built = new HashMap<>();
  /** Guarded by this. */
  private LbEndpoints endpoints;

  /**
   * One model's load assignments and what they were built from. A change elsewhere (one model on
   * one replica) then rebuilds one model's assignments, and the others are the same objects as
   * before, which java-control-plane and {@link SnapshotVersions} compare and serialize cheaply.
   */
  private record Built(
      ModelHealth health, SortedSet<Long> versions, LbEndpoints endpoints, List<ClusterLoadAssignment> assignments) {}

  /**
   * @param versions every model's {@link ClusterVersions} in {@code view}
   */
  synchronized List<ClusterLoadAssignment> loadAssignments(HealthView view, CatalogVersions versions) {
    List<ClusterLoadAssignment> assignments = new ArrayList<>();
    // Kept while the replicas stay the same, so a rebuilt assignment shares its endpoint messages
    // with the one it replaces and comparing the two is mostly comparing references.
    if (endpoints == null || !endpoints.replicas().equals(view.replicas())) {
      endpoints = new LbEndpoints(view.replicas());
    }
    for (ModelConfig model : versions.models()) {
      ModelHealth health = view.models().get(model.name());
      SortedSet<Long> modelVersions = versions.of(model);
      Built last = built.get(model.name());
      if (last == null || last.endpoints() != endpoints || !sameForEds(last, health, modelVersions)) {
        last = new Built(health, modelVersions, endpoints, modelAssignments(model, health, modelVersions, endpoints));
        built.put(model.name(), last);
      } else if (last.health() != health) {
        // Remembered with the newest health, so the next build settles it by identity.
        last = new Built(health, modelVersions, endpoints, last.assignments());
        built.put(model.name(), last);
      }
      assignments.addAll(last.assignments());
    }
    // A model no longer in the catalog leaves nothing behind.
    built.keySet().retainAll(versions.byModel().keySet());
    return assignments;
  }

  /**
   * Whether {@code health} gives every replica the state and versions the assignments were built
   * from (EDS carries nothing else of it, not the reason, not the time). The view replaces only the
   * models that changed, so the same object settles it at once; compared without allocating, as
   * the first build after a start compares 20,000 entries on a busy host.
   */
  private static boolean sameForEds(Built last, ModelHealth health, SortedSet<Long> versions) {
    if (last.health() == health) {
      return true;
    }
    if (!last.versions().equals(versions)) {
      return false;
    }
    for (String replica : last.endpoints().replicas().keySet()) {
      ReplicaHealth before = replicaHealth(last.health(), replica);
      ReplicaHealth now = replicaHealth(health, replica);
      if (before.state() != now.state() || !before.availableVersions().equals(now.availableVersions())) {
        return false;
      }
    }
    return true;
  }

  private static List<ClusterLoadAssignment> modelAssignments(
      ModelConfig model, ModelHealth health, SortedSet<Long> versions, LbEndpoints endpoints) {
    List<ClusterLoadAssignment> assignments = new ArrayList<>();
    for (Upstream upstream : Upstream.values()) {
      assignments.add(
          assignment(
              ClusterNames.model(model.name(), upstream),
              upstream,
              endpoints,
              replica -> EndpointHealth.forModel(replicaHealth(health, replica))));
      for (long version : versions) {
        assignments.add(
            assignment(
                ClusterNames.version(model.name(), version, upstream),
                upstream,
                endpoints,
                replica -> EndpointHealth.forVersion(replicaHealth(health, replica), version)));
      }
    }
    return List.copyOf(assignments);
  }

  private static ClusterLoadAssignment assignment(
      String cluster,
      Upstream upstream,
      LbEndpoints endpoints,
      Function<String, HealthStatus> health) {
    ClusterLoadAssignment.Builder assignment = ClusterLoadAssignment.newBuilder().setClusterName(cluster);
    for (LbEndpoints.Zone zone : endpoints.zones()) {
      LocalityLbEndpoints.Builder locality = zone.locality();
      for (int i : zone.indexes()) {
        locality.addLbEndpoints(endpoints.get(i, upstream, health.apply(endpoints.replica(i).id())));
      }
      assignment.addEndpoints(locality);
    }
    return assignment.build();
  }

  private static ReplicaHealth replicaHealth(ModelHealth health, String replica) {
    ReplicaHealth found = health == null ? null : health.replicas().get(replica);
    if (found == null) {
      throw new IllegalStateException("health view has no entry for replica " + replica);
    }
    return found;
  }
}
