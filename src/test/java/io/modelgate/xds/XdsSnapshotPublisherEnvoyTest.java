package io.modelgate.xds;

import io.modelgate.view.HealthViews;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.envoy.EnvoyProcess;
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
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class XdsSnapshotPublisherEnvoyTest {

  /** Incremental as the shipped bootstraps ask, and state of the world, which is served too. */
  @ParameterizedTest
  @EnumSource(EnvoyProcess.Ads.class)
  void envoyAcceptsGeneratedResourcesAndSeesReplicaHealth(EnvoyProcess.Ads ads) throws Exception {
    ModelgateConfig config =
        new ModelgateConfig(
            List.of(
                new ReplicaConfig("r0", "127.0.0.1", 18500, 18501, Protocol.GRPC),
                new ReplicaConfig("r1", "127.0.0.1", 18510, 18511, Protocol.GRPC)),
            List.of(ModelConfig.any("half_plus_two")),
            ProbeConfig.defaults(),
            ListenConfig.loopbackEphemeral(),
            new XdsConfig(
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", EnvoyProcess.freePort()),
                Duration.ofSeconds(1),
                2));
    Instant now = Instant.now();
    HealthView view =
        HealthViews.ofConfigured(
            1,
            now,
            true,
            Map.of(
                "half_plus_two",
                new ModelHealth(
                    "half_plus_two",
                    Map.of(
                        "r0", new ReplicaHealth("r0", ReplicaState.READY, new java.util.TreeSet<>(Set.of(1L)), "", now),
                        "r1", new ReplicaHealth("r1", ReplicaState.LOADING, new java.util.TreeSet<>(), "", now)))), config.replicas());
    HealthViewSource source =
        new HealthViewSource() {
          public HealthView current() {
            return view;
          }

          public AutoCloseable subscribe(Consumer<HealthView> listener) {
            return () -> {};
          }
        };
    EnvoyResources resources = new EnvoyResources(config);
    try (XdsServer xds = new XdsServer(new InetSocketAddress("127.0.0.1", 0));
        XdsSnapshotPublisher publisher = new XdsSnapshotPublisher(resources, xds, source);
        EnvoyProcess envoy = EnvoyProcess.startWithAds(xds.port(), ads)) {
      await().atMost(Duration.ofSeconds(20)).until(envoy::ready);
      String clusters = envoy.admin("/clusters");
      assertThat(clusters).contains("modelgate/half_plus_two/grpc::127.0.0.1:18510::health_flags::/failed_eds_health");
      assertThat(xds.nacks()).isZero();
      assertThat(xds.openDeltaStreams()).isEqualTo(ads == EnvoyProcess.Ads.DELTA ? 1 : 0);
    }
  }
}
