package io.modelgate.xds;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.List;
import java.util.Map;

/**
 * A v3 snapshot whose resources carry the versions {@link SnapshotVersions} gave them, per type for
 * state-of-the-world streams and per resource for incremental ones. java-control-plane's own
 * {@code Snapshot.create} offers per-type versions only and versions each resource by a hash of
 * its {@code hashCode}. Immutable.
 */
final class VersionedSnapshot extends Snapshot {
  static final String CLUSTERS = "clusters";
  static final String ENDPOINTS = "endpoints";
  static final String LISTENERS = "listeners";
  static final String ROUTES = "routes";

  private static final SnapshotResources<Secret> NO_SECRETS = SnapshotResources.create(List.of(), "none");

  private final SnapshotResources<Cluster> clusters;
  private final SnapshotResources<ClusterLoadAssignment> endpoints;
  private final SnapshotResources<Listener> listeners;
  private final SnapshotResources<RouteConfiguration> routes;

  VersionedSnapshot(SnapshotVersions.Next next) {
    clusters = resources(next, CLUSTERS);
    endpoints = resources(next, ENDPOINTS);
    listeners = resources(next, LISTENERS);
    routes = resources(next, ROUTES);
  }

  private static <T extends Message> SnapshotResources<T> resources(
      SnapshotVersions.Next next, String type) {
    return SnapshotResources.create(next.resources().getOrDefault(type, List.of()), next.of(type));
  }

  @Override
  public SnapshotResources<Cluster> clusters() {
    return clusters;
  }

  @Override
  public SnapshotResources<ClusterLoadAssignment> endpoints() {
    return endpoints;
  }

  @Override
  public SnapshotResources<Listener> listeners() {
    return listeners;
  }

  @Override
  public SnapshotResources<RouteConfiguration> routes() {
    return routes;
  }

  @Override
  public SnapshotResources<Secret> secrets() {
    return NO_SECRETS;
  }

  /**
   * The superclass's own, restated with a raw type: java-control-plane 1.0.49's v3 snapshot and its
   * parent declare it with two wildcards javac holds to be different types in a subclass, and a raw
   * {@code Map} is the one return type that overrides both.
   */
  @Override
  @SuppressWarnings("rawtypes")
  public Map versionedResources(ResourceType type) {
    return super.versionedResources(type);
  }
}
