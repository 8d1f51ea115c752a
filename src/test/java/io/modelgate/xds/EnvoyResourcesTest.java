package io.modelgate.xds;

import io.modelgate.view.HealthViews;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class EnvoyResourcesTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final List<ReplicaConfig> REPLICAS =
      List.of(
          new ReplicaConfig("a", "127.0.0.1", 18500, 18501, Protocol.GRPC),
          new ReplicaConfig("b", "localhost", 18510, 18511, Protocol.GRPC));
  private final EnvoyResources resources = resources(XdsConfig.defaults());

  @Test
  void anUnchangedModelKeepsItsVeryLoadAssignmentsAndAChangedOneIsRebuilt() {
    List<ClusterLoadAssignment> first = resources.loadAssignments(view(ReplicaState.READY, "reason 1"));
    // n's replica b changes state; m only changes its reason, which EDS does not carry.
    List<ClusterLoadAssignment> second = resources.loadAssignments(view(ReplicaState.LOADING, "reason 2"));

    for (int i = 0; i < first.size(); i++) {
      boolean ofM = first.get(i).getClusterName().startsWith("modelgate/m/");
      if (ofM) {
        assertThat(second.get(i)).isSameAs(first.get(i));
      } else {
        assertThat(second.get(i)).isNotSameAs(first.get(i));
      }
    }
    assertThat(second).filteredOn(a -> a.getClusterName().equals("modelgate/n/grpc")).singleElement()
        .satisfies(a -> assertThat(a.getEndpoints(0).getLbEndpoints(1).getHealthStatus().name()).isEqualTo("UNHEALTHY"));
  }

  @Test
  void clustersAndRoutesAreRebuiltOnlyWhenTheSetOfVersionsChanges() {
    HealthView first = view(ReplicaState.READY, "");
    HealthView sameVersions = view(ReplicaState.LOADING, "other reason");

    assertThat(resources.clusters(sameVersions)).isSameAs(resources.clusters(first));
    assertThat(resources.routes(sameVersions)).isSameAs(resources.routes(first));

    HealthView version2 = withVersionOnA("m", 2L);
    assertThat(resources.clusters(version2)).isNotSameAs(resources.clusters(first))
        .extracting(c -> c.getName()).contains("modelgate/m/v2/grpc");
    assertThat(resources.routes(version2)).isNotSameAs(resources.routes(first));
  }

  @Test
  void everyModelListsAReplicaThroughOneSharedEndpointMessage() {
    List<ClusterLoadAssignment> assignments = resources.loadAssignments(view(ReplicaState.READY, ""));
    ClusterLoadAssignment m = byName(assignments, "modelgate/m/grpc");
    ClusterLoadAssignment n = byName(assignments, "modelgate/n/grpc");

    assertThat(n.getEndpoints(0).getLbEndpoints(0)).isSameAs(m.getEndpoints(0).getLbEndpoints(0));
    assertThat(byName(assignments, "modelgate/m/rest").getEndpoints(0).getLbEndpoints(0))
        .isNotEqualTo(m.getEndpoints(0).getLbEndpoints(0));
  }

  @Test
  void aRebuiltAssignmentSharesItsUnchangedEndpointsWithTheOneItReplaces() {
    ClusterLoadAssignment before = byName(resources.loadAssignments(view(ReplicaState.READY, "")), "modelgate/n/grpc");
    ClusterLoadAssignment after = byName(resources.loadAssignments(view(ReplicaState.LOADING, "")), "modelgate/n/grpc");

    assertThat(after).isNotSameAs(before);
    assertThat(after.getEndpoints(0).getLbEndpoints(0)).isSameAs(before.getEndpoints(0).getLbEndpoints(0));
    assertThat(after.getEndpoints(0).getLbEndpoints(1)).isNotEqualTo(before.getEndpoints(0).getLbEndpoints(1));
  }

  @Test
  void replicaHostsAppearInEdsAsIpAddresses() {
    List<ClusterLoadAssignment> assignments = resources.loadAssignments(view(ReplicaState.READY, ""));
    assertThat(assignments.get(0).getEndpoints(0).getLbEndpointsList())
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress())
        .containsExactly("127.0.0.1", "127.0.0.1");
  }

  @Test
  void everyModelClusterCarriesTheConfiguredRetryBudgetInsteadOfEnvoysThreeRetries() {
    EnvoyResources budgeted = resources(XdsConfig.defaults().withRetryBudget(new XdsConfig.RetryBudget(42.5, 77)));

    assertThat(budgeted.clusters(withVersionOnA("m", 2L)))
        .extracting(Cluster::getName)
        .contains("modelgate/m/grpc", "modelgate/m/rest", "modelgate/m/v2/grpc", "modelgate/n/rest");
    assertThat(budgeted.clusters(withVersionOnA("m", 2L)))
        .allSatisfy(
            cluster -> {
              CircuitBreakers.Thresholds thresholds = cluster.getCircuitBreakers().getThresholds(0);
              assertThat(cluster.getCircuitBreakers().getThresholdsCount()).isOne();
              assertThat(thresholds.getPriority()).isEqualTo(RoutingPriority.DEFAULT);
              assertThat(thresholds.getRetryBudget().getBudgetPercent().getValue()).isEqualTo(42.5);
              assertThat(thresholds.getRetryBudget().getMinRetryConcurrency().getValue()).isEqualTo(77);
              // The budget replaces max_retries; the request limits keep Envoy's defaults.
              assertThat(thresholds.hasMaxRetries()).isFalse();
              assertThat(thresholds.hasMaxRequests()).isFalse();
              assertThat(thresholds.hasMaxPendingRequests()).isFalse();
            });
  }

  @Test
  void routesHedgeOnPerTryTimeoutOnlyWhenAsked() {
    HealthView view = withVersionOnA("m", 2L);
    List<RouteAction> plain = upstreamActions(resources.routes(view));
    List<RouteAction> hedged = upstreamActions(resources(XdsConfig.defaults().withHedgeOnPerTryTimeout(true)).routes(view));

    assertThat(plain).hasSameSizeAs(hedged).hasSizeGreaterThan(4).noneSatisfy(a -> assertThat(a.hasHedgePolicy()).isTrue());
    assertThat(hedged)
        .allSatisfy(
            action -> {
              assertThat(action.getHedgePolicy().getHedgeOnPerTryTimeout()).isTrue();
              // Hedging acts only with a per-try timeout and retries left.
              assertThat(action.getRetryPolicy().getPerTryTimeout().getNanos())
                  .isEqualTo(XdsConfig.DEFAULT_PER_TRY_TIMEOUT.toNanos());
              assertThat(action.getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
            });
  }

  private static List<RouteAction> upstreamActions(RouteConfiguration routes) {
    return routes.getVirtualHostsList().stream()
        .flatMap(host -> host.getRoutesList().stream())
        .filter(Route::hasRoute)
        .map(Route::getRoute)
        .toList();
  }

  private static EnvoyResources resources(XdsConfig xds) {
    return new EnvoyResources(
        new ModelgateConfig(
            REPLICAS,
            List.of(ModelConfig.any("m"), ModelConfig.any("n")),
            ProbeConfig.defaults(),
            ListenConfig.loopbackEphemeral(),
            xds));
  }

  private static ClusterLoadAssignment byName(List<ClusterLoadAssignment> assignments, String cluster) {
    return assignments.stream().filter(a -> a.getClusterName().equals(cluster)).findFirst().orElseThrow();
  }

  private static HealthView withVersionOnA(String model, long version) {
    HealthView base = view(ReplicaState.READY, "");
    Map<String, ModelHealth> models = new java.util.HashMap<>(base.models());
    Map<String, ReplicaHealth> replicas = new java.util.HashMap<>(models.get(model).replicas());
    replicas.put("a", new ReplicaHealth("a", ReplicaState.READY, new TreeSet<>(Set.of(1L, version)), "", T0));
    models.put(model, new ModelHealth(model, replicas));
    return HealthViews.ofConfigured(2, T0, true, models, REPLICAS);
  }

  private static HealthView view(ReplicaState nOnB, String mReason) {
    return HealthViews.ofConfigured(
        1,
        T0,
        true,
        Map.of(
            "m", new ModelHealth("m", Map.of("a", ready("a", mReason), "b", ready("b", mReason))),
            "n",
            new ModelHealth(
                "n",
                Map.of(
                    "a", ready("a", ""),
                    "b", new ReplicaHealth("b", nOnB, new TreeSet<>(nOnB == ReplicaState.READY ? Set.of(1L) : Set.of()), "", T0)))), REPLICAS);
  }

  private static ReplicaHealth ready(String id, String reason) {
    return new ReplicaHealth(id, ReplicaState.READY, new TreeSet<>(Set.of(1L)), reason, T0);
  }
}
