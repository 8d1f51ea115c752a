package io.modelgate.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.modelgate.app.ModelgateServer;
import io.modelgate.config.KubernetesSourceConfig;
import io.modelgate.config.KubernetesSourceConfig.PortRef;
import io.modelgate.config.Protocol;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.netns.NetworkNamespace;
import io.modelgate.probing.VersionState;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.ClusterNames.Upstream;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.view.HealthView;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.view.ReplicaState;
import io.modelgate.xds.EnvoyHosts;
import io.modelgate.xds.InferenceClient;
import io.modelgate.xds.RoutingRig;
import io.modelgate.xds.TrafficLoop;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's Kubernetes story end to end: TF Serving pods behind a Service, whose EndpointSlices
 * live in a real kube-apiserver ({@link KubeApiServer}); a modelgate control plane following them;
 * a real Envoy routing by what it publishes; and steady gRPC and REST traffic through Envoy. No
 * controller runs: the test writes the slices as the EndpointSlice controller would (its own
 * {@code managed-by}), with the pod names as {@code targetRef} and Kubernetes' ready, serving and
 * terminating conditions. Each pod is a simulated TF Serving replica on its own 198.18.0.0/15
 * address, all on the same ports, as pods are: the test runs in a network namespace of its own
 * ({@link NetworkNamespace}), since the API server refuses loopback addresses in a slice.
 *
 * <p>Every test starts from the same Service: three pods, {@code tfs-2} not ready in Kubernetes'
 * terms but with its model AVAILABLE. The API server and etcd are started once for the class
 * (a start takes seconds) and each test has a namespace of its own; everything else is started
 * and stopped per test.
 */
@Tag(NetworkNamespace.TAG)
class KubernetesDiscoveryThroughEnvoyTest {
  private static final String SERVICE = "tfserving";
  private static final String MODEL = "half_plus_two";
  private static final String MANAGED_BY = "modelgate-e2e-test";
  private static final String GRPC_CLUSTER = ClusterNames.model(MODEL, Upstream.GRPC);
  private static final String REST_CLUSTER = ClusterNames.model(MODEL, Upstream.REST);
  /** A pod that leaves stays DRAINING in EDS this long; short, so the test sees it go. */
  private static final Duration DRAIN = Duration.ofSeconds(2);
  private static final Duration PROBE_INTERVAL = RoutingRig.FAST_PROBES.interval();
  /** The bound: a new pod gets traffic within two probe intervals and this margin. */
  private static final Duration MARGIN = Duration.ofSeconds(1);
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  /** Requests the traffic sends while a claim ("no request reaches it") is watched. */
  private static final int WATCHED_REQUESTS = 200;
  private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static KubeApiServer apiServer;
  private static KubernetesClient kube;

  private final List<Simulator> simulators = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private String namespace;
  private int grpcPort;
  private ModelgateServer modelgate;
  private EnvoyProcess envoy;
  private InferenceClient client;
  private Pod tfs0;
  private Pod tfs1;
  private Pod tfs2;

  /** A pod of the Deployment: its name, its address, and the TF Serving replica serving there. */
  private record Pod(String name, String address, SimulatedReplica replica) {
    long requests() {
      return replica.requestCount(MODEL);
    }
  }

  @BeforeAll
  static void startApiServer() throws IOException {
    NetworkNamespace.require();
    apiServer = KubeApiServer.start();
    kube = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(apiServer.kubeconfig().toFile())).build();
  }

  @AfterAll
  static void stopApiServer() {
    if (kube != null) {
      kube.close();
    }
    if (apiServer != null) {
      apiServer.close();
    }
  }

  @BeforeEach
  void startTheStory() throws Exception {
    namespace = "ml-" + Long.toHexString(System.nanoTime());
    grpcPort = EnvoyProcess.freePort();
    createService();
    tfs0 = pod("tfs-0", 10, VersionState.AVAILABLE);
    tfs1 = pod("tfs-1", 11, VersionState.AVAILABLE);
    tfs2 = pod("tfs-2", 12, VersionState.AVAILABLE);
    apply(slice("a", ready(tfs0), ready(tfs1), notReady(tfs2)));

    int xdsPort = EnvoyProcess.freePort();
    int listenerPort = EnvoyProcess.freePort();
    KubernetesSourceConfig source =
        new KubernetesSourceConfig(
            namespace,
            SERVICE,
            PortRef.named("grpc"),
            PortRef.named("http"),
            Protocol.GRPC,
            Duration.ofMinutes(5),
            Optional.of(apiServer.kubeconfig()),
            DRAIN);
    modelgate =
        DiscoveryControlPlane.start(MODEL, xdsPort, listenerPort, source);
    envoy = EnvoyProcess.startWithAds(xdsPort);
    await().atMost(Duration.ofSeconds(20)).until(envoy::ready);
    client = new InferenceClient(listenerPort);
    await().atMost(CHANGE_TIMEOUT).until(() -> routable(tfs0) && routable(tfs1) && routable(tfs2));
  }

  @AfterEach
  void stopTheStory() throws Exception {
    if (client != null) {
      client.close();
    }
    if (envoy != null) {
      envoy.close();
    }
    if (modelgate != null) {
      modelgate.close();
    }
    simulators.forEach(Simulator::close);
    if (namespace != null) {
      kube.namespaces().withName(namespace).delete();
    }
  }

  @Test
  void threePodsOneNotReadyInKubernetesAreAllProbedAndServe() throws Exception {
    HealthView view = modelgate.view().current();
    assertThat(view.replicas().values())
        .extracting(Replica::id, Replica::address, Replica::terminating)
        .containsExactly(
            tuple("tfs-0", tfs0.address(), false),
            tuple("tfs-1", tfs1.address(), false),
            tuple("tfs-2", tfs2.address(), false));
    assertThat(view.models().get(MODEL).replicas().values())
        .extracting(ReplicaHealth::replicaId, ReplicaHealth::state)
        .containsExactly(
            tuple("tfs-0", ReplicaState.READY),
            tuple("tfs-1", ReplicaState.READY),
            tuple("tfs-2", ReplicaState.READY));

    try (TrafficLoop traffic = traffic(Duration.ofSeconds(30))) {
      await()
          .atMost(CHANGE_TIMEOUT)
          .until(
              () -> {
                EnvoyHosts hosts = EnvoyHosts.parse(envoy.admin("/clusters"));
                return List.of(tfs0, tfs1, tfs2).stream()
                    .allMatch(
                        pod -> hosts.requests(GRPC_CLUSTER, pod.name()) > 0
                            && hosts.requests(REST_CLUSTER, pod.name()) > 0);
              });
      traffic.close();
      System.out.println(
          "requests served by tfs-0, tfs-1, tfs-2 (not ready in Kubernetes): "
              + tfs0.requests() + ", " + tfs1.requests() + ", " + tfs2.requests());
      assertThat(traffic.failures()).isEmpty();
    }
  }

  @Test
  void aPodAddedByScalingGetsTrafficOnlyOnceItsModelIsAvailable() throws Exception {
    try (TrafficLoop traffic = traffic(Duration.ofSeconds(60))) {
      Pod tfs3 = pod("tfs-3", 13, VersionState.LOADING);
      Pod tfs4 = pod("tfs-4", 14, VersionState.LOADING);
      // Kubernetes may call a pod ready whose model is still loading: modelgate's probe decides.
      apply(slice("b", ready(tfs3), notReady(tfs4)));

      await().atMost(CHANGE_TIMEOUT).until(() -> stateOf(tfs3) == ReplicaState.LOADING && inEds(tfs3));
      await().atMost(CHANGE_TIMEOUT).until(() -> stateOf(tfs4) == ReplicaState.LOADING && inEds(tfs4));
      assertThat(envoyFlags(tfs3)).isNotEqualTo("healthy");
      awaitRequests(traffic, WATCHED_REQUESTS);
      assertThat(tfs3.requests()).as("requests to tfs-3 while its model loads").isZero();

      long available = System.nanoTime();
      tfs3.replica().setState(MODEL, 1, VersionState.AVAILABLE);
      await().atMost(CHANGE_TIMEOUT).pollInterval(Duration.ofMillis(10)).until(() -> tfs3.requests() > 0);
      Duration followed = Duration.ofNanos(System.nanoTime() - available);
      System.out.println("a pod added by scaling got its first request " + followed.toMillis()
          + " ms after its model turned AVAILABLE (bound: 2 probe intervals + 1 s = "
          + PROBE_INTERVAL.multipliedBy(2).plus(MARGIN).toMillis() + " ms)");
      assertThat(followed).isLessThan(PROBE_INTERVAL.multipliedBy(2).plus(MARGIN));

      awaitRequests(traffic, WATCHED_REQUESTS);
      assertThat(tfs4.requests()).as("requests to tfs-4, whose model still loads").isZero();
      traffic.close();
      assertThat(traffic.failures()).isEmpty();
    }
  }

  @Test
  void scaleDownAndAPodReplacedAtANewAddressLoseNoRequest() throws Exception {
    try (TrafficLoop traffic = traffic(Duration.ofSeconds(60))) {
      awaitRequests(traffic, WATCHED_REQUESTS);

      // Scale down: tfs-2 is terminating first, then leaves the slice.
      apply(slice("a", ready(tfs0), ready(tfs1), terminating(tfs2)));
      await().atMost(CHANGE_TIMEOUT).until(() -> stateOf(tfs2) == ReplicaState.DRAINING && inEds(tfs2)
          && !envoyFlags(tfs2).equals("healthy"));
      System.out.println("a terminating pod in Envoy: health_flags " + envoyFlags(tfs2));
      long servedWhileServing = tfs2.requests();
      awaitRequests(traffic, WATCHED_REQUESTS);
      assertThat(tfs2.requests()).as("new requests to the terminating tfs-2").isEqualTo(servedWhileServing);

      apply(slice("a", ready(tfs0), ready(tfs1)));
      await().atMost(CHANGE_TIMEOUT).until(() -> !modelgate.view().current().replicas().containsKey("tfs-2"));
      await().atMost(CHANGE_TIMEOUT).until(() -> !inEds(tfs2));
      assertThat(tfs2.requests()).as("requests to tfs-2 after it began terminating").isEqualTo(servedWhileServing);
      tfs2.replica().close();

      // A pod replaced by one of the same name at a new address (a StatefulSet's pod rescheduled).
      Pod moved = pod("tfs-1", 21, VersionState.AVAILABLE);
      apply(slice("a", ready(tfs0), ready(moved)));
      await().atMost(CHANGE_TIMEOUT).until(() -> routable(moved) && !inEds(tfs1));
      await().atMost(CHANGE_TIMEOUT).until(() -> moved.requests() > 0);
      long servedAtTheOldAddress = tfs1.requests();
      tfs1.replica().close();
      awaitRequests(traffic, WATCHED_REQUESTS);
      assertThat(tfs1.requests()).isEqualTo(servedAtTheOldAddress);

      traffic.close();
      System.out.println("scale down and replacement: " + traffic.count() + " requests, "
          + traffic.failures().size() + " failed");
      assertThat(traffic.failures()).isEmpty();
    }
  }

  @Test
  void anApiServerOutageKeepsTheLastSetAndResyncsAfter() throws Exception {
    try (TrafficLoop traffic = traffic(OUTAGE.plus(Duration.ofSeconds(90)))) {
      awaitRequests(traffic, WATCHED_REQUESTS);

      long stopped = System.nanoTime();
      apiServer.stopApiServer();
      await().atMost(Duration.ofSeconds(20)).until(() -> source().stale());
      System.out.println("the source was stale " + sinceMillis(stopped) + " ms after the API server stopped: "
          + source().problem().orElseThrow());
      JsonNode status = status().path("sources").path(0);
      assertThat(status.path("name").asText()).isEqualTo("kubernetes " + namespace + "/" + SERVICE);
      assertThat(status.path("stale").asBoolean()).isTrue();
      assertThat(status.path("replicas").asInt()).isEqualTo(3);
      assertThat(status.path("problem").asText()).contains("API server " + apiServer.url());

      // The outage lasts OUTAGE in all; all the while the last set is kept and served.
      Duration rest = OUTAGE.minus(Duration.ofNanos(System.nanoTime() - stopped));
      if (!rest.isNegative()) {
        await()
            .during(rest)
            .atMost(rest.plus(Duration.ofSeconds(5)))
            .until(() -> source().stale() && allRoutable(tfs0, tfs1, tfs2));
      }
      long restarted = System.nanoTime();
      apiServer.startApiServer();
      System.out.println("API server back " + sinceMillis(restarted) + " ms after its start; down "
          + sinceMillis(stopped) + " ms in all");
      await().atMost(Duration.ofSeconds(60)).until(() -> !source().stale());
      System.out.println("the source was fresh again " + sinceMillis(restarted) + " ms after the restart began");
      assertThat(status().path("sources").path(0).path("stale").asBoolean()).isFalse();

      Pod tfs3 = pod("tfs-3", 13, VersionState.AVAILABLE);
      long scaled = System.nanoTime();
      apply(slice("b", ready(tfs3)));
      await().atMost(CHANGE_TIMEOUT).until(() -> tfs3.requests() > 0);
      System.out.println("after the outage, a new pod got traffic " + sinceMillis(scaled) + " ms after its slice");

      traffic.close();
      System.out.println("API server outage: " + traffic.count() + " requests, "
          + traffic.failures().size() + " failed");
      assertThat(traffic.failures()).isEmpty();
    }
  }

  private void createService() {
    kube.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    kube.services()
        .inNamespace(namespace)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(SERVICE)
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("grpc")
                .withPort(8500)
                .endPort()
                .addNewPort()
                .withName("http")
                .withPort(8501)
                .endPort()
                .endSpec()
                .build())
        .create();
  }

  /** Starts TF Serving for a pod at 198.18.0.{@code n}, with the model in {@code state}. */
  private Pod pod(String name, int n, VersionState state) {
    String address = NetworkNamespace.address(n).getHostAddress();
    Simulator simulator =
        Simulator.start(
            SimulatorOptions.defaults()
                .withReplicas(1)
                .withHost(address)
                .withBasePort(grpcPort)
                .withModel(MODEL, 1));
    simulators.add(simulator);
    SimulatedReplica replica = simulator.replicas().get(0);
    replica.setState(MODEL, 1, state);
    return new Pod(name, address, replica);
  }

  /** Creates or replaces a slice of the Service, as the EndpointSlice controller does. */
  private void apply(EndpointSlice slice) {
    kube.discovery().v1().endpointSlices().inNamespace(namespace).resource(slice).serverSideApply();
  }

  /** A slice of the Service: the pods' gRPC port is named grpc, their REST port http. */
  private EndpointSlice slice(String suffix, Endpoint... endpoints) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(SERVICE + "-" + suffix)
        .addToLabels(KubernetesReplicaSource.SERVICE_LABEL, SERVICE)
        .addToLabels("endpointslice.kubernetes.io/managed-by", MANAGED_BY)
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName("grpc")
        .withPort(grpcPort)
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withName("http")
        .withPort(grpcPort + 1) // the simulator's REST port follows its gRPC port
        .withProtocol("TCP")
        .endPort()
        .withEndpoints(Arrays.asList(endpoints))
        .build();
  }

  private Endpoint ready(Pod pod) {
    return endpoint(pod, true, true, false);
  }

  private Endpoint notReady(Pod pod) {
    return endpoint(pod, false, false, false);
  }

  /** As Kubernetes lists a pod being deleted that still serves (within its grace period). */
  private Endpoint terminating(Pod pod) {
    return endpoint(pod, false, true, true);
  }

  private Endpoint endpoint(Pod pod, boolean ready, boolean serving, boolean terminating) {
    return new EndpointBuilder()
        .withAddresses(pod.address())
        .withNewConditions()
        .withReady(ready)
        .withServing(serving)
        .withTerminating(terminating)
        .endConditions()
        .withNewTargetRef()
        .withKind("Pod")
        .withNamespace(namespace)
        .withName(pod.name())
        .endTargetRef()
        .build();
  }

  /** Steady gRPC and REST predicts through Envoy, each on its own thread. */
  private TrafficLoop traffic(Duration atMost) {
    return new TrafficLoop(
        1_000_000, atMost, () -> client.grpcPredict(MODEL), () -> client.restPredict(MODEL));
  }

  /** Waits until the traffic has sent {@code count} more requests. */
  private static void awaitRequests(TrafficLoop traffic, int count) {
    int target = traffic.count() + count;
    await().atMost(CHANGE_TIMEOUT).until(() -> traffic.count() >= target);
  }

  private ReplicaState stateOf(Pod pod) {
    HealthView view = modelgate.view().current();
    Replica replica = view.replicas().get(pod.name());
    ReplicaHealth health = view.models().get(MODEL).replicas().get(pod.name());
    return replica != null && replica.address().equals(pod.address()) ? health.state() : null;
  }

  private SourceStatus source() {
    return modelgate.view().current().sources().get(0);
  }

  private JsonNode status() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + modelgate.httpPort() + "/status"))
            .timeout(Duration.ofSeconds(5))
            .build();
    return JSON.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
  }

  private boolean allRoutable(Pod... pods) throws Exception {
    for (Pod pod : pods) {
      if (!routable(pod)) {
        return false;
      }
    }
    return true;
  }

  /** READY in the view at its address, and healthy in both of the model's clusters in Envoy. */
  private boolean routable(Pod pod) throws Exception {
    return stateOf(pod) == ReplicaState.READY
        && envoyFlags(pod).equals("healthy")
        && envoyFlags(REST_CLUSTER, pod, grpcPort + 1).equals("healthy");
  }

  private boolean inEds(Pod pod) throws Exception {
    return !envoyFlags(pod).equals("absent");
  }

  /** The pod's health flags in the model's gRPC cluster, by address ("absent" if not there). */
  private String envoyFlags(Pod pod) throws Exception {
    return envoyFlags(GRPC_CLUSTER, pod, grpcPort);
  }

  private String envoyFlags(String cluster, Pod pod, int port) throws Exception {
    // By address, not by EDS hostname: a replaced pod keeps its name.
    String prefix = cluster + "::" + pod.address() + ":" + port + "::health_flags::";
    return envoy.admin("/clusters").lines()
        .filter(line -> line.startsWith(prefix))
        .map(line -> line.substring(prefix.length()).strip())
        .findFirst()
        .orElse("absent");
  }

  private static long sinceMillis(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
  }
}
