package io.modelgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.demo.EnvoyLauncher;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Envoy bootstrap of {@code deploy/kubernetes} run by a real Envoy against a real modelgate
 * control plane, on loopback with its addresses and ports rewritten: kubelet's readiness probe
 * (the probes listener's {@code /ready}) gets no answer before modelgate has configured Envoy, then
 * LIVE, and reaches nothing else of the admin; inference then flows through the configured
 * listener.
 */
class KubernetesEnvoyBootstrapTest {
  private static final String MODEL = "half_plus_two";
  private static final ProbeConfig FAST_PROBES =
      new ProbeConfig(Duration.ofMillis(200), Duration.ofMillis(150), 1, 2, Duration.ofSeconds(1), 16, 0.1, Duration.ofSeconds(3), Duration.ofMillis(100));
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void envoyIsReadyOnlyOnceModelgateConfiguredItAndThenServesInference() throws Exception {
    // The simulator binds port 0 first; every port after is chosen here, none by a bind of 0.
    try (Simulator simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1).withModel(MODEL, 1))) {
      int[] ports = distinctFreePorts(6);
      int xdsPort = ports[0];
      int adminPort = ports[1];
      int probePort = ports[2];
      int listenerPort = ports[3];
      ListenConfig listen =
          new ListenConfig(new InetSocketAddress("127.0.0.1", ports[4]), new InetSocketAddress("127.0.0.1", ports[5]));
      String bootstrap =
          onLoopback(
              Manifests.read().get("ConfigMap", "envoy-bootstrap").path("data").path("bootstrap.yaml").asText(),
              xdsPort,
              adminPort,
              probePort);
      Path binary = EnvoyLauncher.findBinary(Optional.empty(), System.getenv().getOrDefault("PATH", ""));

      try (EnvoyLauncher envoy = EnvoyLauncher.startWithConfig(binary, bootstrap, adminPort)) {
        // With no control plane Envoy does not finish initialising, and its listeners, the probe
        // listener included, accept nothing.
        await().atMost(Duration.ofSeconds(10)).until(() -> adminReady(adminPort).equals("PRE_INITIALIZING"));
        assertThat(probe(probePort, "/ready")).isEmpty();

        try (ModelgateServer modelgate =
            ModelgateServer.start(config(simulator, listen, xdsPort, listenerPort), ModelgateServer.Mode.CONTROL_PLANE)) {
          await().atMost(Duration.ofSeconds(20)).until(() -> probe(probePort, "/ready").equals(Optional.of("200 LIVE")));

          assertThat(probe(probePort, "/clusters")).contains("404 ");
          assertThat(probe(probePort, "/quitquitquit", "POST")).contains("404 ");
          assertThat(adminReady(adminPort)).isEqualTo("LIVE");
          HttpResponse<String> predict =
              HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listenerPort + "/v1/models/" + MODEL + ":predict"))
                      .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [1.0, 2.0, 5.0]}"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(predict.statusCode()).as(predict.body()).isEqualTo(200);
          assertThat(predict.body().replace(" ", "")).contains("[2.5,3.0,4.5]");
        }
      }
    }
  }

  private static ModelgateConfig config(Simulator simulator, ListenConfig listen, int xdsPort, int listenerPort) {
    List<ReplicaConfig> replicas =
        simulator.replicas().stream()
            .map(r -> new ReplicaConfig(r.id(), r.host(), r.grpcPort(), r.restPort(), Protocol.GRPC))
            .toList();
    XdsConfig xds =
        new XdsConfig(
            new InetSocketAddress("127.0.0.1", xdsPort), new InetSocketAddress("127.0.0.1", listenerPort), Duration.ofMillis(250), 2);
    return new ModelgateConfig(
        replicas, List.of(ModelConfig.any(MODEL)), FAST_PROBES, listen, xds, ExtProcConfig.disabled());
  }

  /**
   * Free loopback ports, held open together so that they differ, and all chosen before anything
   * binds port 0 (a port handed out to a later bind of 0 could be one of these).
   */
  private static int[] distinctFreePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /** The bootstrap with every address on 127.0.0.1 and free ports; each rewrite must apply. */
  private static String onLoopback(String bootstrap, int xdsPort, int adminPort, int probePort) {
    String text = bootstrap;
    text = replace(text, "{address: 0.0.0.0, port_value: 9902}", "{address: 127.0.0.1, port_value: " + probePort + "}", 1);
    text = replace(text, "{address: modelgate, port_value: 18000}", "{address: 127.0.0.1, port_value: " + xdsPort + "}", 1);
    text = replace(text, "{address: 127.0.0.1, port_value: 9901}", "{address: 127.0.0.1, port_value: " + adminPort + "}", 2);
    return text;
  }

  private static String replace(String text, String from, String to, int times) {
    int found = text.split(Pattern.quote(from), -1).length - 1;
    assertThat(found).as("occurrences of %s in the bootstrap", from).isEqualTo(times);
    return text.replace(from, to);
  }

  /** Status and body of a GET on the probe listener; empty when nothing accepts the connection. */
  private static Optional<String> probe(int port, String path) throws IOException, InterruptedException {
    return probe(port, path, "GET");
  }

  private static Optional<String> probe(int port, String path, String method) throws IOException, InterruptedException {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return Optional.of(response.statusCode() + " " + response.body().trim());
    } catch (ConnectException refused) {
      return Optional.empty();
    }
  }

  private static String adminReady(int adminPort) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready")).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body()
          .trim();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
