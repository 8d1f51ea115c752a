package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.health.HealthService;
import io.modelgate.health.v1.HealthCheckResponse.ServingStatus;
import io.modelgate.view.ReplicaState;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.xds.InferenceClient;
import io.modelgate.xds.InferenceClient.Answer;
import io.modelgate.xds.RoutingRig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replicas that cannot be reached at all, as configured: a host name that does not resolve and a
 * port where nothing listens. Each is a state (UNREACHABLE, with the reason, on {@code /status}
 * and behind the health services), never a failed start, while the healthy replica serves.
 */
class UnreachableReplicaHostTest {
  private static final String MODEL = "m";
  private static final String GHOST_HOST = "no-such-host.invalid";

  private Simulator simulator;
  private ModelgateServer modelgate;
  private EnvoyProcess envoy;
  private InferenceClient client;
  private int closedPort;
  private int xdsPort;
  private int listenerPort;

  @BeforeEach
  void startReplica() throws Exception {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1).withModel(MODEL, 1));
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    xdsPort = EnvoyProcess.freePort();
    listenerPort = EnvoyProcess.freePort();
  }

  @AfterEach
  void stopAll() throws Exception {
    try {
      if (client != null) {
        client.close();
      }
      if (envoy != null) {
        envoy.close();
      }
    } finally {
      if (modelgate != null) {
        modelgate.close();
      }
      simulator.close();
    }
  }

  @Test
  void unresolvableAndRefusingReplicasAreUnreachableStatesWhileTheHealthyOneServes() throws Exception {
    startModelgate(List.of(healthy(), ghost(), refusing()));
    await().atMost(Duration.ofSeconds(10)).until(() -> modelgate.view().current().complete());

    assertThat(replica("r0").state()).isEqualTo(ReplicaState.READY);
    assertThat(replica("ghost").state()).isEqualTo(ReplicaState.UNREACHABLE);
    assertThat(replica("ghost").reason())
        .startsWith("CONNECTION_FAILED: Unable to resolve host " + GHOST_HOST);
    assertThat(replica("refusing").state()).isEqualTo(ReplicaState.UNREACHABLE);
    assertThat(replica("refusing").reason()).startsWith("CONNECTION_FAILED: ").contains("Connection refused");
    String status = get("/status");
    assertThat(status)
        .contains("{\"id\":\"ghost\",\"state\":\"UNREACHABLE\",\"availableVersions\":[],\"reason\":\"CONNECTION_FAILED: Unable to resolve host " + GHOST_HOST)
        .contains("{\"id\":\"refusing\",\"state\":\"UNREACHABLE\"")
        .contains("{\"id\":\"r0\",\"state\":\"READY\"");
    for (String service : List.of(HealthService.LIVENESS, HealthService.READINESS, MODEL)) {
      assertThat(modelgate.health().statusOf(service).status()).as(service).isEqualTo(ServingStatus.SERVING);
    }
    assertThat(get("/readyz")).doesNotContain("NOT_SERVING");
  }

  @Test
  void replicaRefusingConnectionsIsLeftOutByEnvoyAndTrafficReachesTheHealthyOne() throws Exception {
    startModelgate(List.of(healthy(), refusing()));
    startEnvoy();

    List<Answer> answers = calls();

    assertThat(answers).allSatisfy(a -> assertThat(a.ok() ? a.replica() : a.toString()).isEqualTo("r0"));
    assertThat(rejectedUpdates()).isZero();
    assertThat(modelgate.xdsStatus().nacks()).isZero();
  }

  /**
   * EDS takes only IP addresses, so modelgate resolves replica hosts: a replica given by a name
   * that resolves is routed like any other, and one that does not resolve is left out of EDS (its
   * probes call it UNREACHABLE) instead of making Envoy reject the model's endpoints.
   */
  @Test
  void replicasGivenByNameAreResolvedAndAnUnresolvableOneIsLeftOut() throws Exception {
    SimulatedReplica r0 = simulator.replica("r0");
    ReplicaConfig byName = new ReplicaConfig("named", "localhost", r0.grpcPort(), r0.restPort(), Protocol.GRPC);
    startModelgate(List.of(byName, ghost()));
    startEnvoy();
    await().atMost(Duration.ofSeconds(10)).until(() -> replica("named").state() == ReplicaState.READY);

    List<Answer> answers = calls();

    // The simulated replica names itself r0 in its answers, whatever modelgate calls it.
    assertThat(answers).allSatisfy(a -> assertThat(a.ok() ? a.replica() : a.toString()).isEqualTo("r0"));
    assertThat(rejectedUpdates()).isZero();
    assertThat(modelgate.xdsStatus().nacks()).isZero();
    assertThat(replica("ghost").state()).isEqualTo(ReplicaState.UNREACHABLE);
  }

  private ReplicaConfig healthy() {
    SimulatedReplica r0 = simulator.replica("r0");
    return new ReplicaConfig("r0", r0.host(), r0.grpcPort(), r0.restPort(), Protocol.GRPC);
  }

  private static ReplicaConfig ghost() {
    return new ReplicaConfig("ghost", GHOST_HOST, 8500, 8501, Protocol.GRPC);
  }

  private ReplicaConfig refusing() {
    return new ReplicaConfig("refusing", "127.0.0.1", closedPort, closedPort, Protocol.GRPC);
  }

  private void startModelgate(List<ReplicaConfig> replicas) {
    modelgate =
        ModelgateServer.start(
            new ModelgateConfig(
                replicas,
                List.of(ModelConfig.any(MODEL)),
                RoutingRig.FAST_PROBES,
                ListenConfig.loopbackEphemeral(),
                new XdsConfig(
                    new InetSocketAddress("127.0.0.1", xdsPort),
                    new InetSocketAddress("127.0.0.1", listenerPort),
                    Duration.ofMillis(250),
                    2),
                ExtProcConfig.disabled()),
            ModelgateServer.Mode.CONTROL_PLANE);
  }

  private void startEnvoy() throws Exception {
    envoy = EnvoyProcess.startWithAds(xdsPort);
    await().atMost(Duration.ofSeconds(20)).until(envoy::ready);
    client = new InferenceClient(listenerPort);
    await().atMost(Duration.ofSeconds(10)).until(() -> modelgate.view().current().complete());
  }

  private List<Answer> calls() {
    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      answers.add(client.restPredict(MODEL));
      answers.add(client.grpcPredict(MODEL));
    }
    return answers;
  }

  private ReplicaHealth replica(String id) {
    return modelgate.view().current().models().get(MODEL).replicas().get(id);
  }

  private long rejectedUpdates() throws Exception {
    Matcher matcher =
        Pattern.compile("(?m)^\\S*update_rejected: (\\d+)$").matcher(envoy.admin("/stats?filter=update_rejected"));
    long total = 0;
    while (matcher.find()) {
      total += Long.parseLong(matcher.group(1));
    }
    return total;
  }

  private String get(String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + modelgate.httpPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
