package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.AdsTestClient;
import io.modelgate.xds.RoutingRig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An xDS client modelgate has never heard of (node id and cluster made up on the spot) is served,
 * not refused: with {@code nodeGroup: all} it shares the fleet's snapshot, with {@code cluster}
 * its cluster becomes a new group at its first request. Either way it gets every model cluster.
 */
class UnknownXdsNodeTest {
  private static final String MODEL = "m";

  private Simulator simulator;
  private ModelgateServer modelgate;

  @AfterEach
  void stop() {
    if (modelgate != null) {
      modelgate.close();
    }
    simulator.close();
  }

  @ParameterizedTest
  @EnumSource(XdsConfig.NodeGroup.class)
  void unknownNodeGetsTheFullConfiguration(XdsConfig.NodeGroup nodeGroup) throws Exception {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1).withModel(MODEL, 1));
    SimulatedReplica r0 = simulator.replica("r0");
    int xdsPort = EnvoyProcess.freePort();
    modelgate =
        ModelgateServer.start(
            new ModelgateConfig(
                List.of(new ReplicaConfig("r0", r0.host(), r0.grpcPort(), r0.restPort(), Protocol.GRPC)),
                List.of(ModelConfig.any(MODEL)),
                RoutingRig.FAST_PROBES,
                ListenConfig.loopbackEphemeral(),
                new XdsConfig(
                    new InetSocketAddress("127.0.0.1", xdsPort),
                    new InetSocketAddress("127.0.0.1", EnvoyProcess.freePort()),
                    Duration.ofMillis(250),
                    XdsConfig.DEFAULT_PER_TRY_TIMEOUT,
                    2,
                    XdsConfig.RetryBudget.DEFAULT,
                    /* hedgeOnPerTryTimeout= */ false,
                    nodeGroup),
                ExtProcConfig.disabled()),
            ModelgateServer.Mode.CONTROL_PLANE);
    await().atMost(Duration.ofSeconds(10)).until(() -> modelgate.view().current().complete());

    try (AdsTestClient stranger = new AdsTestClient(xdsPort, "stranger-7f3a", "fleet-nobody-configured")) {
      // The per-version clusters may come in a later push than the first answer.
      Set<String> names = new HashSet<>();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                DiscoveryResponse clusters = stranger.next(Duration.ofMillis(200));
                if (clusters != null) {
                  assertThat(clusters.getTypeUrl()).isEqualTo(AdsTestClient.CLUSTER_TYPE);
                  names.clear();
                  clusters.getResourcesList().forEach(any -> names.add(unpack(any).getName()));
                }
                return names.containsAll(
                    List.of("modelgate/m/grpc", "modelgate/m/rest", "modelgate/m/v1/grpc", "modelgate/m/v1/rest"));
              });
      assertThat(modelgate.xdsStatus().groups())
          .containsExactly(nodeGroup == XdsConfig.NodeGroup.ALL ? "modelgate" : "cluster:fleet-nobody-configured");
      assertThat(modelgate.xdsStatus().nacks()).isZero();
    }
  }

  private static Cluster unpack(com.google.protobuf.Any any) {
    try {
      return any.unpack(Cluster.class);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("not a Cluster: " + any.getTypeUrl(), e);
    }
  }
}
