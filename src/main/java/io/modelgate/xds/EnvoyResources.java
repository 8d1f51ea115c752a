package io.modelgate.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.sources.Replica;
import io.modelgate.view.HealthView;
import io.modelgate.view.ReplicaState;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Envoy resources (clusters, load assignments, listener, routes) that steer inference traffic
 * for one health view: a function of the xDS settings and the view (which carries the models'
 * settings and the replicas' IP addresses: EDS takes only IPs), so two modelgate instances given
 * the same view produce byte-identical resources; a model added or removed by a reload is
 * followed with the view. One builder per resource type ({@link ClusterBuilder}, {@link
 * LoadAssignmentBuilder}, {@link ListenerBuilder}, {@link RouteBuilder}); this facade hands them
 * the models' {@link ClusterVersions}, computed once per view. Thread-safe.
 */
public final class EnvoyResources {
  private final ClusterVersions versions = new ClusterVersions();
  private final ClusterBuilder clusters;
  private final LoadAssignmentBuilder loadAssignments;
  private final RouteBuilder routes;
  private final List<Listener> listeners;

  /** Resources without the gateway filter. */
  public EnvoyResources(ModelgateConfig config) {
    this(config, Optional.empty());
  }

  /**
   * @param extProc where Envoy reaches modelgate's ext_proc service when the gateway filter is
   *     on; empty for none
   */
  public EnvoyResources(ModelgateConfig config, Optional<InetSocketAddress> extProc) {
    Optional<GatewayFilters> gateway = extProc.map(address -> new GatewayFilters(config.extProc(), address));
    this.clusters = new ClusterBuilder(config.xds(), gateway);
    this.loadAssignments = new LoadAssignmentBuilder();
    this.routes = new RouteBuilder(config.xds(), gateway);
    this.listeners = List.of(ListenerBuilder.listener(config.xds(), gateway));
  }

  public List<Cluster> clusters(HealthView view) {
    return clusters.clusters(versions.of(view));
  }

  public List<ClusterLoadAssignment> loadAssignments(HealthView view) {
    return loadAssignments.loadAssignments(view, versions.of(view));
  }

  public List<Listener> listeners() {
    return listeners;
  }

  public RouteConfiguration routes(HealthView view) {
    return routes.routes(versions.of(view));
  }

  /**
   * A complete view in which every model is in {@code state} on every replica (version 1 when
   * READY): for warming the build path up before real views exist.
   */
  HealthView uniformView(ReplicaState state, List<ModelConfig> models, List<Replica> replicas) {
    return HealthView.uniform(
        models,
        replicas,
        state,
        state == ReplicaState.READY ? Set.of(1L) : Set.of(),
        Instant.now());
  }
}
