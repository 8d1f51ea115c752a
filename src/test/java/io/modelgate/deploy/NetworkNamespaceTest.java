package io.modelgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.modelgate.netns.NetworkNamespace;
import io.modelgate.sources.KubeApiServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The runner for end-to-end tests against a real API server: the pom's {@code netns} execution
 * starts this JVM through {@code src/test/kube/netns/bin/java} in a network namespace of its own, where
 * servers bind 198.18.0.0/15 addresses, a real API server runs and takes them in EndpointSlices,
 * children inherit the namespace, and nothing gets out.
 */
@Tag(NetworkNamespace.TAG)
class NetworkNamespaceTest {
  private static final int CONNECT_TIMEOUT_MS = 2_000;

  @BeforeAll
  static void runsInItsOwnNamespace() {
    NetworkNamespace.require();
  }

  @Test
  void theJvmSeesOnlyLoopback() {
    assertThat(NetworkNamespace.interfaceNames()).containsExactly("lo");
  }

  @Test
  void theJvmIsInAnotherNamespaceThanTheMavenProcessThatForkedIt() throws IOException {
    long self = ProcessHandle.current().pid();
    long maven = ProcessHandle.current().parent().orElseThrow().pid();

    assertThat(NetworkNamespace.namespaceOf(self)).isNotEqualTo(NetworkNamespace.namespaceOf(maven));
  }

  @Test
  void aServerBoundOn198_18_0_2IsReachableAtThatAddress() throws IOException {
    InetAddress address = NetworkNamespace.address(2);
    assertThat(address.getHostAddress()).isEqualTo("198.18.0.2");
    try (ServerSocket server = new ServerSocket(0, 1, address);
        Socket client = new Socket()) {
      client.connect(new InetSocketAddress(address, server.getLocalPort()), CONNECT_TIMEOUT_MS);
      try (Socket accepted = server.accept()) {
        client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().flush();
        byte[] read = accepted.getInputStream().readNBytes(5);
        assertThat(new String(read, StandardCharsets.US_ASCII)).isEqualTo("ping\n");
        assertThat(accepted.getLocalAddress()).isEqualTo(address);
      }
    }
  }

  @Test
  void everyAddressOfTheBenchmarkRangeCanBeBoundAndNoOther() throws IOException {
    for (int n : new int[] {1, 3, 70_000, (1 << 17) - 2}) {
      try (ServerSocket server = new ServerSocket(0, 1, NetworkNamespace.address(n))) {
        assertThat(server.getLocalPort()).isPositive();
      }
    }
    InetAddress outside = InetAddress.getByName("198.20.0.1");
    assertThatThrownBy(() -> new ServerSocket(0, 1, outside).close()).isInstanceOf(BindException.class);
  }

  @Test
  void aProcessTheTestStartsSharesTheNamespace() throws Exception {
    Process child = new ProcessBuilder("readlink", "/proc/self/ns/net").redirectErrorStream(true).start();
    String childNamespace;
    try (InputStream out = child.getInputStream()) {
      childNamespace = new String(out.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();

    assertThat(childNamespace).isEqualTo(NetworkNamespace.namespaceOf(ProcessHandle.current().pid()));
  }

  @Test
  void aRealApiServerRunsInsideAndTakesAnEndpointSliceAddressBoundThere() throws Exception {
    InetAddress replica = NetworkNamespace.address(2);
    try (KubeApiServer server = KubeApiServer.start();
        KubernetesClient client =
            new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(server.kubeconfig()))).build();
        ServerSocket bound = new ServerSocket(0, 1, replica)) {
      EndpointSlice slice =
          new EndpointSliceBuilder()
              .withNewMetadata()
              .withName("tfserving-netns")
              .addToLabels("kubernetes.io/service-name", "tfserving")
              .endMetadata()
              .withAddressType("IPv4")
              .addNewEndpoint()
              .withAddresses(replica.getHostAddress())
              .endEndpoint()
              .addNewPort()
              .withName("grpc")
              .withPort(bound.getLocalPort())
              .endPort()
              .build();

      EndpointSlice stored = client.discovery().v1().endpointSlices().inNamespace("default").resource(slice).create();

      assertThat(stored.getEndpoints().get(0).getAddresses()).containsExactly("198.18.0.2");
      // Why the namespace: the same slice with a loopback address is refused.
      slice.getMetadata().setName("tfserving-loopback");
      slice.getEndpoints().get(0).setAddresses(List.of("127.0.0.1"));
      assertThatThrownBy(() -> client.discovery().v1().endpointSlices().inNamespace("default").resource(slice).create())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422))
          .hasMessageContaining("loopback");
    }
  }

  @Test
  void nothingLeavesTheNamespace() {
    // 192.0.2.1 (TEST-NET-1) is never routed anywhere; here there is no route at all, so the
    // kernel refuses at once and no packet is sent.
    assertThatThrownBy(() -> {
          try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("192.0.2.1", 80), CONNECT_TIMEOUT_MS);
            OutputStream unused = socket.getOutputStream();
          }
        })
        .isInstanceOf(SocketException.class)
        .hasMessageContaining("unreachable");
  }
}
