package io.modelgate.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import java.net.InetSocketAddress;
import io.modelgate.health.v1.HealthListRequest;
import io.modelgate.probing.VersionState;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * modelgate as an operator runs it, against simulated TF Serving replicas: the control plane
 * over several replicas and the sidecar over one, asked with the official grpc.health.v1 client
 * (grpc-services' stubs) and over HTTP.
 */
class ModelgateServerHealthTest {
  private static final String MODEL = "half_plus_two";
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Fast, but a replica is out only after two failed probes: one slow answer on a busy host is not a state. */
  private static final ProbeConfig FAST_PROBES =
      new ProbeConfig(
          Duration.ofMillis(200), Duration.ofMillis(200), 1, 2, Duration.ofMillis(1000), 16, 0.1, Duration.ofSeconds(5), Duration.ofMillis(100));

  private final HttpClient http = HttpClient.newHttpClient();
  private Simulator simulator;
  private ModelgateServer server;
  private ManagedChannel channel;

  @BeforeEach
  void startReplicas() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(2));
  }

  @AfterEach
  void stopEverything() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
    simulator.close();
  }

  private void startControlPlane(String... models) {
    List<ReplicaConfig> replicas = new ArrayList<>();
    for (SimulatedReplica replica : simulator.replicas()) {
      replicas.add(new ReplicaConfig(replica.id(), "127.0.0.1", replica.grpcPort(), replica.restPort(), Protocol.GRPC));
    }
    start(
        new ModelgateConfig(
            replicas,
            java.util.Arrays.stream(models).map(ModelConfig::any).toList(),
            FAST_PROBES,
            ListenConfig.loopbackEphemeral(),
            new XdsConfig(
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 10000),
                Duration.ofSeconds(1),
                2)),
        ModelgateServer.Mode.CONTROL_PLANE);
  }

  private void start(ModelgateConfig config, ModelgateServer.Mode mode) {
    server = ModelgateServer.start(config, mode);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  private ServingStatus check(String service) {
    return HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void controlPlaneReportsAModelServingOnceOneReplicaHasItLoaded() throws Exception {
    simulator.replica("r0").setState(MODEL, 1, VersionState.LOADING);
    startControlPlane(MODEL);

    await().atMost(WAIT).until(() -> server.view().current().complete());
    assertThat(check(MODEL)).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(get("/readyz/" + MODEL).statusCode()).isEqualTo(503);

    simulator.replica("r0").setState(MODEL, 1, VersionState.AVAILABLE);

    await().atMost(WAIT).until(() -> check(MODEL) == ServingStatus.SERVING);
    assertThat(check("")).isEqualTo(ServingStatus.SERVING);
    assertThat(check("modelgate.readiness")).isEqualTo(ServingStatus.SERVING);
    HttpResponse<String> ready = get("/readyz/" + MODEL);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"status\":\"SERVING\"").contains("ready on 1 of 2 replicas");
  }

  @Test
  void watchFollowsAModelThroughLoadAndUnload() throws Exception {
    startControlPlane(MODEL);
    BlockingQueue<ServingStatus> statuses = new LinkedBlockingQueue<>();
    HealthGrpc.newStub(channel)
        .watch(
            HealthCheckRequest.newBuilder().setService(MODEL).build(),
            new StreamObserver<>() {
              public void onNext(HealthCheckResponse response) {
                statuses.add(response.getStatus());
              }

              public void onError(Throwable t) {}

              public void onCompleted() {}
            });
    assertThat(statuses.poll(5, TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);

    simulator.replica("r1").loadModel(MODEL, 1);
    assertThat(statuses.poll(5, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);

    simulator.replica("r1").unloadModel(MODEL, 1);
    assertThat(statuses.poll(5, TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(statuses.poll(300, TimeUnit.MILLISECONDS)).as("no duplicate").isNull();
  }

  @Test
  void xdsEndpointShowsPublishedSnapshotsAndNoNacks() throws Exception {
    simulator.replica("r0").loadModel(MODEL, 1);
    startControlPlane(MODEL);
    await().atMost(WAIT).until(() -> server.xdsStatus().snapshots() >= 1);

    HttpResponse<String> xds = get("/xds");
    assertThat(xds.statusCode()).isEqualTo(200);
    assertThat(xds.body())
        .contains("\"nodeGroup\":\"all\"")
        .contains("\"groups\":[\"modelgate\"]")
        .contains("\"nacks\":0")
        .contains("\"endpoints\":\"");
  }

  @Test
  void unknownServiceIsNotFoundOverGrpcAnd404OverHttp() throws Exception {
    startControlPlane(MODEL);

    assertThatThrownBy(() -> check("no_such_model"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(get("/readyz/no_such_model").statusCode()).isEqualTo(404);
  }

  @Test
  void listAndHttpTwinsAgreeWithCheckForEveryService() throws Exception {
    simulator.replica("r0").loadModel(MODEL, 1);
    startControlPlane(MODEL, "other");
    await().atMost(WAIT).until(() -> check(MODEL) == ServingStatus.SERVING);

    Map<String, String> listed =
        io.modelgate.health.v1.HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .list(HealthListRequest.getDefaultInstance())
            .getStatusesMap()
            .entrySet()
            .stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getStatus().name()));

    assertThat(listed)
        .containsOnlyKeys("", "modelgate.liveness", "modelgate.readiness", MODEL, "other")
        .containsEntry(MODEL, "SERVING")
        .containsEntry("other", "NOT_SERVING")
        .containsEntry("modelgate.readiness", "NOT_SERVING");
    for (Map.Entry<String, String> entry : listed.entrySet()) {
      assertThat(check(entry.getKey()).name()).as(entry.getKey()).isEqualTo(entry.getValue());
      String path =
          switch (entry.getKey()) {
            case "", "modelgate.liveness" -> "/healthz";
            case "modelgate.readiness" -> "/readyz";
            default -> "/readyz/" + entry.getKey();
          };
      HttpResponse<String> response = get(path);
      assertThat(response.statusCode()).as(path).isEqualTo(entry.getValue().equals("SERVING") ? 200 : 503);
    }
  }

  @Test
  void sidecarReportsTheLocalReplicaOnly() throws Exception {
    SimulatedReplica local = simulator.replica("r1");
    local.setState(MODEL, 1, VersionState.LOADING);
    simulator.replica("r0").loadModel(MODEL, 1);
    start(
        ModelgateConfig.forSidecar(
            "127.0.0.1:" + local.grpcPort(), List.of(MODEL), Protocol.GRPC, FAST_PROBES, ListenConfig.loopbackEphemeral()),
        ModelgateServer.Mode.SIDECAR);

    await().atMost(WAIT).until(() -> server.view().current().complete());
    // r0 has the model, but the sidecar only speaks for its own replica.
    assertThat(check(MODEL)).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check("")).isEqualTo(ServingStatus.SERVING);

    local.setState(MODEL, 1, VersionState.AVAILABLE);
    await().atMost(WAIT).until(() -> check(MODEL) == ServingStatus.SERVING);
    assertThat(get("/readyz/" + MODEL).statusCode()).isEqualTo(200);

    local.stop();
    await().atMost(WAIT).until(() -> check(MODEL) == ServingStatus.NOT_SERVING);
    assertThat(get("/readyz/" + MODEL).body()).contains("UNREACHABLE");
    assertThat(get("/xds").statusCode()).as("a sidecar serves no xDS").isEqualTo(404);
  }

  @Test
  void restProbingSidecarWorksAgainstTheRestPort() throws Exception {
    SimulatedReplica local = simulator.replica("r0");
    local.loadModel(MODEL, 1);
    start(
        ModelgateConfig.forSidecar(
            "127.0.0.1:" + local.restPort(), List.of(MODEL), Protocol.REST, FAST_PROBES, ListenConfig.loopbackEphemeral()),
        ModelgateServer.Mode.SIDECAR);

    await().atMost(WAIT).until(() -> check(MODEL) == ServingStatus.SERVING);
  }
}
