package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.grpcserver.LogCapture;
import io.modelgate.grpcserver.RawCalls;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * 1,000 malformed protobuf messages on each of modelgate's gRPC ports (health, xDS, ext_proc),
 * each on its own call: every call is answered INVALID_ARGUMENT at once, the log gets a bounded
 * number of single lines (no stack trace, no grpc-java SEVERE record), no xDS stream stays counted
 * open, and the servers keep answering.
 */
class MalformedMessagesOnEveryPortTest {
  private static final int MESSAGES = 1_000;
  /** Ten lines at once, then one per 6 s, per port; a run takes well under a minute. */
  private static final int MAX_LINES_PER_PORT = 20;

  private Simulator simulator;
  private ModelgateServer modelgate;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1).withModel("m", 1));
    SimulatedReplica r0 = simulator.replica("r0");
    modelgate =
        ModelgateServer.start(
            new ModelgateConfig(
                List.of(new ReplicaConfig("r0", r0.host(), r0.grpcPort(), r0.restPort(), Protocol.GRPC)),
                List.of(ModelConfig.any("m")),
                ProbeConfig.defaults(),
                ListenConfig.loopbackEphemeral(),
                new XdsConfig(
                    new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", 10000),
                    Duration.ofSeconds(1),
                    2),
                ExtProcConfig.loopbackEphemeral()),
            ModelgateServer.Mode.CONTROL_PLANE);
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    modelgate.close();
    simulator.close();
  }

  @Test
  void aThousandMalformedMessagesOnEachPortAreRefusedWithBoundedSingleLineLogs() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      List<Status> health = flood(modelgate.grpcPort(), HealthGrpc.getCheckMethod());
      List<Status> xds = flood(modelgate.xdsPort(), AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod());
      List<Status> extProc = flood(modelgate.extProcPort(), ExternalProcessorGrpc.getProcessMethod());

      for (List<Status> port : List.of(health, xds, extProc)) {
        assertThat(port).hasSize(MESSAGES).allSatisfy(status -> {
          assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(status.getDescription()).startsWith("malformed ").contains("request message: ");
        });
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> modelgate.xdsStatus().openStreams() == 0);
      assertThat(logs.linesWith("health server: rejected a malformed")).hasSizeBetween(1, MAX_LINES_PER_PORT);
      assertThat(logs.linesWith("xDS server: rejected a malformed")).hasSizeBetween(1, MAX_LINES_PER_PORT);
      assertThat(logs.linesWith("ext_proc server: rejected a malformed")).hasSizeBetween(1, MAX_LINES_PER_PORT);
      assertThat(logs.lines()).as("no stack trace").noneMatch(line -> line.startsWith("\tat ") || line.startsWith("Caused by"));
      assertThat(logs.records(Level.WARNING)).as("grpc-java's own warnings").isEmpty();
      assertThat(modelgate.health().statusOf("").known()).isTrue();
    }
  }

  /** {@value #MESSAGES} calls of {@code method}, each sending one malformed message; their statuses. */
  private List<Status> flood(int port, MethodDescriptor<?, ?> method) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    channels.add(channel);
    List<CompletableFuture<Status>> calls = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      calls.add(RawCalls.send(channel, method, List.of(RawCalls.MALFORMED)));
    }
    List<Status> statuses = new ArrayList<>();
    for (CompletableFuture<Status> call : calls) {
      statuses.add(call.get(30, TimeUnit.SECONDS));
    }
    return statuses;
  }
}
