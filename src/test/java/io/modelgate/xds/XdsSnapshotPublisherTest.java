package io.modelgate.xds;

import io.modelgate.view.HealthViews;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Publishing over a real ADS stream: node groups, monotonic versions, nothing before ready. */
class XdsSnapshotPublisherTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final ModelgateConfig CONFIG =
      new ModelgateConfig(
          List.of(
              new ReplicaConfig("a", "127.0.0.1", 18500, 18501, Protocol.GRPC),
              new ReplicaConfig("b", "127.0.0.1", 18510, 18511, Protocol.GRPC)),
          List.of(ModelConfig.any("m")),
          ProbeConfig.defaults(),
          ListenConfig.loopbackEphemeral(),
          XdsConfig.defaults());

  private final SettableViews views = new SettableViews();

  @Test
  void eachNodeClusterIsItsOwnGroupAndALateGroupGetsTheCurrentSnapshot() throws Exception {
    views.set(view(1, true, ReplicaState.READY, ReplicaState.LOADING));
    try (XdsServer server = new XdsServer(loopback(), XdsConfig.NodeGroup.CLUSTER);
        XdsSnapshotPublisher publisher =
            new XdsSnapshotPublisher(new EnvoyResources(CONFIG), server, views);
        AdsTestClient edge = new AdsTestClient(server.port(), "envoy-1", "edge")) {
      assertThat(clusterNames(edge.next(Duration.ofSeconds(5)))).contains("modelgate/m/grpc");
      await().until(() -> publisher.publishedSnapshots() == 1);
      // No view change after this: the new group is served from the last snapshot.
      try (AdsTestClient internal = new AdsTestClient(server.port(), "envoy-2", "internal")) {
        assertThat(clusterNames(internal.next(Duration.ofSeconds(5)))).contains("modelgate/m/grpc");
      }
      assertThat(server.groups()).containsExactly("cluster:edge", "cluster:internal");
      assertThat(server.nacks()).isZero();
    }
  }

  @Test
  void versionsOnlyGrowAndMoveOnlyForTheTypesThatChanged() throws Exception {
    views.set(view(1, true, ReplicaState.READY, ReplicaState.LOADING));
    try (XdsServer server = new XdsServer(loopback());
        XdsSnapshotPublisher publisher =
            new XdsSnapshotPublisher(new EnvoyResources(CONFIG), server, views)) {
      await().until(() -> publisher.publishedSnapshots() == 1);
      Map<String, String> first = publisher.versions();
      assertThat(first).containsOnlyKeys("clusters", "endpoints", "listeners", "routes");

      views.set(view(2, true, ReplicaState.READY, ReplicaState.READY));
      await().until(() -> publisher.publishedSnapshots() == 2);
      Map<String, String> second = publisher.versions();
      assertThat(Long.parseLong(second.get("endpoints"))).isGreaterThan(Long.parseLong(first.get("endpoints")));
      assertThat(second).containsEntry("clusters", first.get("clusters"))
          .containsEntry("listeners", first.get("listeners"))
          .containsEntry("routes", first.get("routes"));

      // A new view with the same routing (only its version number moved) publishes nothing.
      views.set(view(3, true, ReplicaState.READY, ReplicaState.READY));
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(2))
          .until(() -> publisher.publishedSnapshots() == 2);
      assertThat(publisher.versions()).isEqualTo(second);
    }
  }

  @Test
  void aRestartedPublisherNeverReusesAVersionEnvoyHolds() {
    // Wall clock stuck: generations still grow, and a restart (new instance) starts above them.
    SnapshotVersions before = new SnapshotVersions(() -> 1_000);
    before.next(Map.of("endpoints", List.of(cluster("x"))));
    String held = before.next(Map.of("endpoints", List.of(cluster("y")))).of("endpoints");
    assertThat(held).isEqualTo("1001");

    SnapshotVersions restarted = new SnapshotVersions(() -> 5_000);
    assertThat(restarted.next(Map.of("endpoints", List.of(cluster("x")))).of("endpoints")).isEqualTo("5000");
  }

  @Test
  void eachResourceKeepsItsVersionUntilItsOwnContentChanges() {
    SnapshotVersions versions = new SnapshotVersions(() -> 1_000);
    versions.next(Map.of("clusters", List.of(cluster("a"), cluster("b"))));

    // "a" is rebuilt with the same content, "b" changes: only "b" gets the new generation.
    SnapshotVersions.Next next =
        versions.next(Map.of("clusters", List.of(cluster("a"), cluster("b").toBuilder().setAltStatName("x").build())));

    assertThat(next.resources().get("clusters"))
        .extracting(r -> r.version())
        .containsExactly("1000", "1001");
    assertThat(next.of("clusters")).isEqualTo("1001");
  }

  private static io.envoyproxy.envoy.config.cluster.v3.Cluster cluster(String name) {
    return io.envoyproxy.envoy.config.cluster.v3.Cluster.newBuilder().setName(name).build();
  }

  @Test
  void anIncrementalEnvoyThatReconnectsBeforeTheFirstSnapshotHasWhatIsGoneRemoved() throws Exception {
    views.set(view(1, false, ReplicaState.READY, ReplicaState.LOADING));
    try (XdsServer server = new XdsServer(loopback());
        XdsSnapshotPublisher publisher =
            new XdsSnapshotPublisher(new EnvoyResources(CONFIG), server, views);
        DeltaAdsTestClient envoy = new DeltaAdsTestClient(server.port(), "envoy-1")) {
      // It held a version's cluster from before the restart; nothing is published yet.
      envoy.subscribe(
          DeltaAdsTestClient.CLUSTER_TYPE, List.of(), Map.of("modelgate/m/v9/grpc", "1", "modelgate/m/grpc", "1"));
      assertThat(envoy.next(Duration.ofMillis(300))).isNull();

      views.set(view(2, true, ReplicaState.READY, ReplicaState.LOADING));

      var first = envoy.next(Duration.ofSeconds(5));
      assertThat(first.getRemovedResourcesList()).containsExactly("modelgate/m/v9/grpc");
      assertThat(first.getResourcesList()).extracting(r -> r.getName()).contains("modelgate/m/grpc");
    }
  }

  @Test
  void aRejectedIncrementalUpdateIsNotResentUntilTheResourcesChange() throws Exception {
    views.set(view(1, true, ReplicaState.READY, ReplicaState.LOADING));
    try (XdsServer server = new XdsServer(loopback());
        XdsSnapshotPublisher publisher =
            new XdsSnapshotPublisher(new EnvoyResources(CONFIG), server, views);
        DeltaAdsTestClient envoy = new DeltaAdsTestClient(server.port(), "envoy-1")) {
      await().until(() -> publisher.publishedSnapshots() == 1);
      envoy.rejectEverything();
      envoy.subscribe(DeltaAdsTestClient.ENDPOINT_TYPE, List.of("modelgate/m/grpc"));

      assertThat(envoy.next(Duration.ofSeconds(5)).getResources(0).getName()).isEqualTo("modelgate/m/grpc");
      assertThat(envoy.next(Duration.ofMillis(700))).as("the same endpoints sent again").isNull();
      assertThat(server.nacks()).isEqualTo(1);

      // b turns READY: the endpoints change and are sent once more.
      views.set(view(2, true, ReplicaState.READY, ReplicaState.READY));
      assertThat(envoy.next(Duration.ofSeconds(5)).getResources(0).getName()).isEqualTo("modelgate/m/grpc");
      assertThat(envoy.next(Duration.ofMillis(700))).isNull();
      assertThat(server.nacks()).isEqualTo(2);
    }
  }

  @Test
  void aRejectedSnapshotIsNotResentUntilTheResourcesChange() throws Exception {
    views.set(view(1, true, ReplicaState.READY, ReplicaState.LOADING));
    try (XdsServer server = new XdsServer(loopback());
        XdsSnapshotPublisher publisher =
            new XdsSnapshotPublisher(new EnvoyResources(CONFIG), server, views);
        AdsTestClient envoy = new AdsTestClient(server.port(), "envoy-1", "edge")) {
      envoy.rejectEverything();
      assertThat(clusterNames(envoy.next(Duration.ofSeconds(5)))).contains("modelgate/m/grpc");
      assertThat(envoy.next(Duration.ofMillis(700))).as("the same clusters sent again").isNull();
      assertThat(server.nacks()).isEqualTo(1);

      // Version 2 appears: new clusters, a new CDS version, sent once.
      views.set(
          HealthViews.of(
              2,
              T0,
              true,
              Map.of(
                  "m",
                  new ModelHealth(
                      "m",
                      Map.of(
                          "a", new ReplicaHealth("a", ReplicaState.READY, new TreeSet<>(Set.of(1L, 2L)), "", T0),
                          "b", replica("b", ReplicaState.LOADING))))));
      assertThat(clusterNames(envoy.next(Duration.ofSeconds(5)))).contains("modelgate/m/v2/grpc");
      assertThat(envoy.next(Duration.ofMillis(700))).isNull();
      assertThat(server.nacks()).isEqualTo(2);
    }
  }

  @Test
  void nothingIsPublishedBeforeTheFirstFullProbeRound() throws Exception {
    views.set(view(1, false, ReplicaState.UNKNOWN, ReplicaState.UNKNOWN));
    try (XdsServer server = new XdsServer(loopback());
        XdsSnapshotPublisher publisher =
            new XdsSnapshotPublisher(new EnvoyResources(CONFIG), server, views);
        AdsTestClient envoy = new AdsTestClient(server.port(), "envoy-1", "edge")) {
      assertThat(envoy.next(Duration.ofMillis(500))).isNull();
      views.set(view(2, true, ReplicaState.READY, ReplicaState.UNKNOWN));
      assertThat(clusterNames(envoy.next(Duration.ofSeconds(5)))).contains("modelgate/m/rest");
      assertThat(publisher.publishedSnapshots()).isEqualTo(1);
    }
  }

  private static List<String> clusterNames(DiscoveryResponse response) throws Exception {
    assertThat(response).as("a CDS response").isNotNull();
    List<String> names = new java.util.ArrayList<>();
    for (com.google.protobuf.Any any : response.getResourcesList()) {
      names.add(any.unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName());
    }
    return names;
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress("127.0.0.1", 0);
  }

  private static HealthView view(long version, boolean complete, ReplicaState a, ReplicaState b) {
    return HealthViews.of(
        version,
        T0,
        complete,
        Map.of("m", new ModelHealth("m", Map.of("a", replica("a", a), "b", replica("b", b)))));
  }

  private static ReplicaHealth replica(String id, ReplicaState state) {
    Set<Long> versions = state == ReplicaState.READY ? Set.of(1L) : Set.of();
    return new ReplicaHealth(id, state, new TreeSet<>(versions), "", T0);
  }

  /** A view source the test moves by hand, telling subscribers synchronously. */
  private static final class SettableViews implements HealthViewSource {
    private final List<Consumer<HealthView>> listeners = new CopyOnWriteArrayList<>();
    private volatile HealthView current;

    void set(HealthView view) {
      current = view;
      listeners.forEach(l -> l.accept(view));
    }

    @Override
    public HealthView current() {
      return current;
    }

    @Override
    public AutoCloseable subscribe(Consumer<HealthView> listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }
  }
}
