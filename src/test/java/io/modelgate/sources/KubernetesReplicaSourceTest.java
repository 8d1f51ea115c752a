package io.modelgate.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.modelgate.config.KubernetesSourceConfig;
import io.modelgate.config.KubernetesSourceConfig.PortRef;
import io.modelgate.config.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes source against a real kube-apiserver and etcd ({@link KubeApiServer}): the test
 * writes a Service's EndpointSlices itself (no controller runs) in a namespace of its own, with
 * 198.18.0.0/15 addresses since the API server refuses loopback ones, and reads the reports.
 */
class KubernetesReplicaSourceTest {
  private static final String SERVICE = "tfserving";
  private static final Duration REPORT_TIMEOUT = Duration.ofSeconds(20);
  /** fabric8 retries a lost watch with backoff up to 32 s; the outage here lasts a few seconds. */
  private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(60);

  private static KubeApiServer server;
  private static KubernetesClient admin;

  private final Reports reports = new Reports();
  private String namespace;
  private KubernetesReplicaSource source;

  @BeforeAll
  static void startApiServer() throws IOException {
    server = KubeApiServer.start();
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.kubeconfig().toFile())).build();
  }

  @AfterAll
  static void stopApiServer() {
    if (admin != null) {
      admin.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void createService() {
    namespace = "t" + Long.toHexString(System.nanoTime());
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    admin
        .services()
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
                .withName("rest")
                .withPort(8501)
                .endPort()
                .endSpec()
                .build())
        .create();
  }

  @AfterEach
  void closeSource() {
    if (source != null) {
      source.close();
    }
  }

  @Test
  void everyEndpointIsAReplicaWhateverItsReadiness() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11"), notReady("tfs-2", "198.18.0.12")));

    start(PortRef.named("grpc"), PortRef.named("rest"));

    SourceReport report = reports.latest(r -> r.replicas().size() == 3);
    assertThat(report.stale()).isFalse();
    assertThat(report.source()).isEqualTo("kubernetes " + namespace + "/" + SERVICE);
    assertThat(report.replicas())
        .containsExactly(
            new Replica("tfs-0", "198.18.0.10", "198.18.0.10", 9500, 9501, Protocol.GRPC, "zone-a", false),
            new Replica("tfs-1", "198.18.0.11", "198.18.0.11", 9500, 9501, Protocol.GRPC, "zone-a", false),
            new Replica("tfs-2", "198.18.0.12", "198.18.0.12", 9500, 9501, Protocol.GRPC, "zone-a", false));
  }

  @Test
  void portsGivenByNumberAreTakenAsGiven() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10")));

    start(PortRef.numbered(8500), PortRef.numbered(8501));

    assertThat(reports.latest(r -> !r.replicas().isEmpty()).replicas())
        .extracting(Replica::grpcPort, Replica::restPort)
        .containsExactly(tuple(8500, 8501));
  }

  @Test
  void scalingToFiveAddsTheSecondSlicesEndpoints() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11"), endpoint("tfs-2", "198.18.0.12")));
    start(PortRef.named("grpc"), PortRef.named("rest"));
    reports.latest(r -> r.replicas().size() == 3);

    apply(slice("b", endpoint("tfs-3", "198.18.0.13"), notReady("tfs-4", "198.18.0.14")));

    assertThat(ids(reports.latest(r -> r.replicas().size() == 5))).containsExactly("tfs-0", "tfs-1", "tfs-2", "tfs-3", "tfs-4");
  }

  @Test
  void terminatingEndpointIsReportedTerminating() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11")));
    start(PortRef.named("grpc"), PortRef.named("rest"));
    reports.latest(r -> r.replicas().size() == 2);

    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), terminating("tfs-1", "198.18.0.11")));

    SourceReport report = reports.latest(r -> r.replicas().stream().anyMatch(Replica::terminating));
    assertThat(report.replicas()).extracting(Replica::id, Replica::terminating)
        .containsExactly(tuple("tfs-0", false), tuple("tfs-1", true));
  }

  @Test
  void removedEndpointsLeaveTheSet() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11")));
    apply(slice("b", endpoint("tfs-2", "198.18.0.12")));
    start(PortRef.named("grpc"), PortRef.named("rest"));
    reports.latest(r -> r.replicas().size() == 3);

    apply(slice("a", endpoint("tfs-0", "198.18.0.10")));
    assertThat(ids(reports.latest(r -> r.replicas().size() == 2))).containsExactly("tfs-0", "tfs-2");

    admin.discovery().v1().endpointSlices().inNamespace(namespace).withName(SERVICE + "-b").delete();
    assertThat(ids(reports.latest(r -> r.replicas().size() == 1))).containsExactly("tfs-0");
  }

  @Test
  void podAtANewAddressIsReportedAtIt() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11")));
    start(PortRef.named("grpc"), PortRef.named("rest"));
    reports.latest(r -> r.replicas().size() == 2);

    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.21")));

    SourceReport report = reports.latest(r -> r.replicas().stream().anyMatch(x -> x.address().equals("198.18.0.21")));
    assertThat(report.replicas()).extracting(Replica::id, Replica::address)
        .containsExactly(
            tuple("tfs-0", "198.18.0.10"),
            tuple("tfs-1", "198.18.0.21"));
  }

  @Test
  void endpointListedInTwoSlicesIsOneReplica() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11")));
    apply(slice("b", endpoint("tfs-1", "198.18.0.11"), endpoint("tfs-2", "198.18.0.12")));

    start(PortRef.named("grpc"), PortRef.named("rest"));

    assertThat(ids(reports.latest(r -> r.replicas().size() >= 3))).containsExactly("tfs-0", "tfs-1", "tfs-2");
  }

  @Test
  void sliceWithoutTheNamedPortIsSkipped() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10")));
    EndpointSlice withoutRest =
        new EndpointSliceBuilder(slice("b", endpoint("tfs-1", "198.18.0.11"))).withPorts(List.of()).addNewPort().withName("grpc").withPort(9500).endPort().build();
    apply(withoutRest);

    start(PortRef.named("grpc"), PortRef.named("rest"));

    assertThat(ids(reports.latest(r -> !r.replicas().isEmpty()))).containsExactly("tfs-0");
  }

  @Test
  void endpointWithoutAPodIsNamedByItsAddress() {
    Endpoint external = new EndpointBuilder().withAddresses("198.18.0.30").build();
    apply(slice("a", external));

    start(PortRef.named("grpc"), PortRef.named("rest"));

    assertThat(ids(reports.latest(r -> !r.replicas().isEmpty()))).containsExactly("198.18.0.30");
  }

  @Test
  void endpointWithTwoAddressesIsTakenAtItsFirst() {
    Endpoint twoAddresses = new EndpointBuilder(endpoint("tfs-0", "198.18.0.10")).withAddresses("198.18.0.10", "198.18.0.40").build();
    apply(slice("a", twoAddresses));

    start(PortRef.named("grpc"), PortRef.named("rest"));

    assertThat(reports.latest(r -> !r.replicas().isEmpty()).replicas()).extracting(Replica::address).containsExactly("198.18.0.10");
  }

  @Test
  void secondEndpointClaimingTheSamePodIsSkipped() {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10")));
    apply(slice("b", endpoint("tfs-0", "198.18.0.50"), endpoint("tfs-1", "198.18.0.11")));

    start(PortRef.named("grpc"), PortRef.named("rest"));

    assertThat(reports.latest(r -> r.replicas().size() >= 2).replicas())
        .extracting(Replica::id, Replica::address)
        .containsExactly(tuple("tfs-0", "198.18.0.10"), tuple("tfs-1", "198.18.0.11"));
  }

  @Test
  void unreachableApiServerAtStartIsAStaleEmptyList(@TempDir Path dir) throws IOException {
    String kubeconfig = Files.readString(server.kubeconfig()).replace(server.url(), "https://127.0.0.1:" + closedPort());
    Path file = dir.resolve("kubeconfig");
    Files.writeString(file, kubeconfig);
    source = new KubernetesReplicaSource(config(PortRef.named("grpc"), PortRef.named("rest"), file), Clock.systemUTC());

    source.start(reports);

    SourceReport report = reports.latest(SourceReport::stale);
    assertThat(report.replicas()).isEmpty();
    assertThat(report.problem().orElseThrow())
        .matches("cannot list or watch EndpointSlices: API server https://127\\.0\\.0\\.1:[0-9]+ unreachable: connection refused");
  }

  @Test
  void missingKubeconfigIsAStaleEmptyListNamingTheFile(@TempDir Path dir) {
    Path missing = dir.resolve("no-such-kubeconfig");
    source = new KubernetesReplicaSource(config(PortRef.named("grpc"), PortRef.named("rest"), missing), Clock.systemUTC());

    source.start(reports);

    SourceReport report = reports.latest(SourceReport::stale);
    assertThat(report.replicas()).isEmpty();
    assertThat(report.problem()).contains("cannot load kubeconfig " + missing + ": no such file");
  }

  @Test
  void apiServerOutageKeepsTheLastSetUntilItIsBackAndFollowsTheNextChange() throws IOException {
    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11")));
    start(PortRef.named("grpc"), PortRef.named("rest"));
    List<Replica> before = reports.latest(r -> r.replicas().size() == 2).replicas();

    server.stopApiServer();
    SourceReport stale;
    try {
      stale = reports.latest(SourceReport::stale);
    } finally {
      server.startApiServer();
    }

    assertThat(stale.replicas()).isEqualTo(before);
    // Whether the watch or the re-list noticed first, the problem names the server and the cause.
    assertThat(stale.problem().orElseThrow()).contains("API server " + server.url() + " unreachable: connection refused");
    assertThat(reports.all()).noneMatch(r -> r.replicas().size() < 2);
    SourceReport fresh = reports.latest(r -> !r.stale(), RECOVERY_TIMEOUT);
    assertThat(fresh.replicas()).isEqualTo(before);

    apply(slice("a", endpoint("tfs-0", "198.18.0.10"), endpoint("tfs-1", "198.18.0.11"), endpoint("tfs-2", "198.18.0.12")));
    assertThat(ids(reports.latest(r -> r.replicas().size() == 3 && !r.stale()))).containsExactly("tfs-0", "tfs-1", "tfs-2");
  }

  private void start(PortRef grpc, PortRef rest) {
    source = new KubernetesReplicaSource(config(grpc, rest, server.kubeconfig()), Clock.systemUTC());
    source.start(reports);
  }

  private KubernetesSourceConfig config(PortRef grpc, PortRef rest, Path kubeconfig) {
    return new KubernetesSourceConfig(
        namespace, SERVICE, grpc, rest, Protocol.GRPC, Duration.ofMinutes(5), Optional.of(kubeconfig), Duration.ofSeconds(10));
  }

  /** Creates or replaces a slice of the Service. */
  private void apply(EndpointSlice slice) {
    admin.discovery().v1().endpointSlices().inNamespace(namespace).resource(slice).serverSideApply();
  }

  /** A slice as the EndpointSlice controller writes one, with ports 9500 (grpc) and 9501 (rest). */
  private static EndpointSlice slice(String suffix, Endpoint... endpoints) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(SERVICE + "-" + suffix)
        .addToLabels(KubernetesReplicaSource.SERVICE_LABEL, SERVICE)
        .addToLabels("endpointslice.kubernetes.io/managed-by", "modelgate-test")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName("grpc")
        .withPort(9500)
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withName("rest")
        .withPort(9501)
        .withProtocol("TCP")
        .endPort()
        .withEndpoints(Arrays.asList(endpoints))
        .build();
  }

  private static Endpoint endpoint(String pod, String address) {
    return pod(pod, address, true, false);
  }

  private static Endpoint notReady(String pod, String address) {
    return pod(pod, address, false, false);
  }

  private static Endpoint terminating(String pod, String address) {
    return pod(pod, address, false, true);
  }

  private static Endpoint pod(String pod, String address, boolean ready, boolean terminating) {
    return new EndpointBuilder()
        .withAddresses(address)
        .withNewConditions()
        .withReady(ready)
        .withServing(ready)
        .withTerminating(terminating)
        .endConditions()
        .withNewTargetRef()
        .withKind("Pod")
        .withName(pod)
        .endTargetRef()
        .withZone("zone-a")
        .build();
  }

  private static List<String> ids(SourceReport report) {
    return report.replicas().stream().map(Replica::id).toList();
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Every report the source published, in order. */
  private static final class Reports implements Consumer<SourceReport> {
    private final List<SourceReport> received = new CopyOnWriteArrayList<>();

    @Override
    public void accept(SourceReport report) {
      received.add(report);
    }

    List<SourceReport> all() {
      return new ArrayList<>(received);
    }

    /** Waits until the latest report matches, and returns it. */
    SourceReport latest(Predicate<SourceReport> matching) {
      return latest(matching, REPORT_TIMEOUT);
    }

    SourceReport latest(Predicate<SourceReport> matching, Duration timeout) {
      return await()
          .atMost(timeout)
          .until(() -> received.isEmpty() ? null : received.get(received.size() - 1), r -> r != null && matching.test(r));
    }
  }
}
