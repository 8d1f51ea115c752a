package io.modelgate.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Percent;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.ClusterNames.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CDS resources: the ext_proc service's cluster when the gateway filter is on, then per model
 * one EDS cluster per upstream protocol and one per protocol and version of {@link
 * ClusterVersions}, named by {@link ClusterNames}. Model clusters have no panic mode, a retry
 * budget instead of Envoy's 3 concurrent retries, and carry the passive observer when it is on.
 * They depend on a view only through its versions, so they are rebuilt only when those change
 * ({@link VersionsMemo}). Thread-safe.
 */
final class ClusterBuilder {
  private static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private final XdsConfig settings;
  private final Optional<GatewayFilters> gateway;
  private final CircuitBreakers circuitBreakers;
  private final VersionsMemo<List<Cluster>> memo = new VersionsMemo<>(this::build);

  ClusterBuilder(XdsConfig settings, Optional<GatewayFilters> gateway) {
    this.settings = settings;
    this.gateway = gateway;
    this.circuitBreakers = retryBudget(settings.retryBudget());
  }

  /** The clusters for {@code versions}, by model (from {@link ClusterVersions#of}). */
  List<Cluster> clusters(CatalogVersions versions) {
    return memo.get(versions);
  }

  private List<Cluster> build(CatalogVersions versions) {
    List<Cluster> clusters = new ArrayList<>();
    gateway.ifPresent(g -> clusters.add(g.serviceCluster(EnvoyValues.durationOf(settings.connectTimeout()))));
    for (ModelConfig model : versions.models()) {
      for (Upstream upstream : Upstream.values()) {
        clusters.add(cluster(ClusterNames.model(model.name(), upstream), upstream));
        for (long version : versions.of(model)) {
          clusters.add(cluster(ClusterNames.version(model.name(), version, upstream), upstream));
        }
      }
    }
    return List.copyOf(clusters);
  }

  private Cluster cluster(String name, Upstream upstream) {
    Cluster.Builder cluster =
        Cluster.newBuilder()
            .setName(name)
            .setType(Cluster.DiscoveryType.EDS)
            .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(EnvoyValues.adsConfigSource()))
            .setConnectTimeout(EnvoyValues.durationOf(settings.connectTimeout()))
            .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
            .setCommonLbConfig(
                Cluster.CommonLbConfig.newBuilder()
                    // Below the panic threshold Envoy routes to unhealthy hosts too: an unloaded
                    // model must never receive traffic, so there is no panic mode.
                    .setHealthyPanicThreshold(Percent.newBuilder().setValue(0))
                    // The 1 s default merge window would delay health flips.
                    .setUpdateMergeWindow(com.google.protobuf.Duration.getDefaultInstance()))
            .setCircuitBreakers(circuitBreakers);
    HttpProtocolOptions.ExplicitHttpConfig.Builder protocol =
        HttpProtocolOptions.ExplicitHttpConfig.newBuilder();
    if (upstream == Upstream.GRPC) {
      protocol.setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance());
    } else {
      protocol.setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance());
    }
    HttpProtocolOptions.Builder options = HttpProtocolOptions.newBuilder().setExplicitHttpConfig(protocol);
    gateway.filter(GatewayFilters::passive).ifPresent(g -> options.addAllHttpFilters(g.upstreamFilters()));
    cluster.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(options.build()));
    return cluster.build();
  }

  /**
   * Envoy's default allows 3 retries at once per cluster: a hung replica under a few hundred
   * requests a second has more, and each dropped retry is a failed request another replica could
   * have served. A budget replaces max_retries altogether; the other limits keep their defaults.
   */
  private static CircuitBreakers retryBudget(XdsConfig.RetryBudget budget) {
    return CircuitBreakers.newBuilder()
        .addThresholds(
            CircuitBreakers.Thresholds.newBuilder()
                .setPriority(RoutingPriority.DEFAULT)
                .setRetryBudget(
                    CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                        .setBudgetPercent(Percent.newBuilder().setValue(budget.percent()))
                        .setMinRetryConcurrency(UInt32Value.of(budget.minConcurrency()))))
        .build();
  }
}
