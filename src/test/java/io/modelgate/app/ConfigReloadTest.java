package io.modelgate.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.modelgate.config.ConfigLoader;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.grpcserver.LogCapture;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.InferenceClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration file reloaded while the control plane runs: models and static replicas added
 * or removed take effect without a restart; a bad file changes nothing and says why.
 */
class ConfigReloadTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  private Path file;
  private Simulator simulator;
  private ModelgateServer server;
  private ConfigReloader reloader;
  private ManagedChannel channel;
  private int xdsPort;
  private int listenerPort;
  private EnvoyProcess envoy;
  private InferenceClient client;

  @BeforeEach
  void start() throws Exception {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(2));
    for (SimulatedReplica replica : simulator.replicas()) {
      replica.loadModel("resnet", 1);
      replica.loadModel("bert", 1);
    }
    xdsPort = EnvoyProcess.freePort();
    listenerPort = EnvoyProcess.freePort();
    file = dir.resolve("modelgate.yaml");
    write(List.of("resnet"), List.of("r0"));
    ModelgateConfig config = ConfigLoader.load(file);
    server = ModelgateServer.start(config, ModelgateServer.Mode.CONTROL_PLANE);
    reloader = new ConfigReloader(file, config, server::reconfigure);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    await().atMost(WAIT).until(() -> check("resnet") == ServingStatus.SERVING);
    envoy = EnvoyProcess.startWithAds(xdsPort);
    await().atMost(Duration.ofSeconds(20)).until(envoy::ready);
    client = new InferenceClient(listenerPort);
  }

  @AfterEach
  void stop() throws Exception {
    if (envoy != null) {
      envoy.close();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    reloader.close();
    server.close();
    simulator.close();
  }

  @Test
  void aModelAddedToTheFileGetsItsHealthServiceClustersAndRoutesWithoutARestart() throws Exception {
    assertThat(client.restPredict("bert").httpStatus()).as("before the reload").isEqualTo(404);
    write(List.of("resnet", "bert"), List.of("r0"));

    reloader.reloadNow();

    await().atMost(WAIT).until(() -> check("bert") == ServingStatus.SERVING);
    assertThat(server.view().current().models().keySet()).containsExactly("resnet", "bert");
    assertThat(server.view().current().complete()).isTrue();
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(client.restPredict("bert").ok()).isTrue();
      assertThat(client.grpcPredict("bert").ok()).isTrue();
    });
    assertThat(client.restPredict("resnet").ok()).isTrue();
  }

  @Test
  void aModelRemovedFromTheFileLeavesTheViewAndItsHealthService() throws Exception {
    write(List.of("resnet", "bert"), List.of("r0"));
    reloader.reloadNow();
    await().atMost(WAIT).until(() -> check("bert") == ServingStatus.SERVING);

    write(List.of("bert"), List.of("r0"));
    reloader.reloadNow();

    await().atMost(WAIT).until(() -> !server.view().current().models().containsKey("resnet"));
    await().atMost(WAIT).until(() -> !server.health().statuses().containsKey("resnet"));
    await().atMost(WAIT).untilAsserted(() -> {
      InferenceClient.Answer answer = client.restPredict("resnet");
      assertThat(answer.httpStatus()).isEqualTo(404);
      assertThat(answer.body()).contains("modelgate serves no such model");
    });
    assertThat(client.restPredict("bert").ok()).isTrue();
  }

  @Test
  void aStaticReplicaAddedIsProbedAndOneRemovedDrainsThenLeaves() throws Exception {
    write(List.of("resnet"), List.of("r0", "r1"));
    reloader.reloadNow();

    await().atMost(WAIT).until(() -> server.view().current().models().get("resnet").replicas().containsKey("r1")
        && server.view().current().models().get("resnet").replicas().get("r1").ready());

    write(List.of("resnet"), List.of("r1"));
    reloader.reloadNow();

    await().atMost(WAIT).until(() -> server.view().current().replicas().get("r0") != null
        && server.view().current().replicas().get("r0").terminating());
    await().atMost(Duration.ofSeconds(20)).until(() -> !server.view().current().replicas().containsKey("r0"));
    assertThat(server.pipeline().prober().keys()).isEqualTo(1);
  }

  @Test
  void aBadFileChangesNothingAndLogsTheExactError() throws Exception {
    long version = server.view().current().version();
    Files.writeString(file, Files.readString(file).replace("intervalMs: 100", "intervalMs: soon"));

    try (LogCapture logs = new LogCapture()) {
      reloader.reloadNow();
      reloader.reloadNow();

      assertThat(logs.linesWith("configuration not reloaded"))
          .singleElement()
          .satisfies(line -> assertThat(line).endsWith(
              "configuration not reloaded, the running one stays: " + file
                  + ": probe.intervalMs: expected an integer (milliseconds), got \"soon\""));
    }
    assertThat(server.view().current().version()).isEqualTo(version);
    assertThat(check("resnet")).isEqualTo(ServingStatus.SERVING);
  }

  private ServingStatus check(String service) {
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
    } catch (io.grpc.StatusRuntimeException e) {
      return ServingStatus.UNKNOWN;
    }
  }

  private void write(List<String> models, List<String> replicas) throws Exception {
    StringBuilder yaml = new StringBuilder("replicas:\n");
    for (String id : replicas) {
      SimulatedReplica replica = simulator.replica(id);
      yaml.append("  - id: ").append(id).append("\n    host: 127.0.0.1\n")
          .append("    grpcPort: ").append(replica.grpcPort()).append("\n")
          .append("    restPort: ").append(replica.restPort()).append("\n");
    }
    yaml.append("models:\n");
    models.forEach(model -> yaml.append("  - name: ").append(model).append("\n"));
    yaml.append("probe:\n  intervalMs: 100\n  timeoutMs: 100\n  stalenessMs: 1000\n")
        .append("listen:\n  grpc: 127.0.0.1:0\n  http: 127.0.0.1:0\n")
        .append("xds:\n  listen: 127.0.0.1:").append(xdsPort).append("\n")
        .append("  envoyListener: 127.0.0.1:").append(listenerPort).append("\n")
        .append("extproc:\n  enabled: false\n");
    Files.writeString(file, yaml);
  }
}
