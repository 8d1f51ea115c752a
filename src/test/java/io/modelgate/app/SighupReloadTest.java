package io.modelgate.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.bench.ModelgateProcess;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -HUP} reloads a running control plane's file at once, and does not stop the JVM
 * (whose default for SIGHUP is to exit). The file is rewritten in place with the same size and
 * modification time, so the periodic check cannot be what reloads it.
 */
class SighupReloadTest {
  @TempDir Path dir;

  @Test
  void sighupReloadsTheFileAndTheProcessKeepsRunning() throws Exception {
    try (Simulator simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1))) {
      SimulatedReplica replica = simulator.replica("r0");
      replica.loadModel("alpha1", 1);
      replica.loadModel("alpha2", 1);
      int httpPort = EnvoyProcess.freePort();
      Path file = dir.resolve("modelgate.yaml");
      Files.writeString(file, config(replica, httpPort, "alpha1"));
      try (ModelgateProcess modelgate =
          ModelgateProcess.start(List.of("-Xmx256m"), List.of("control-plane", "--config", file.toString()), httpPort)) {
        await().atMost(Duration.ofSeconds(10)).until(() -> status(httpPort).contains("\"name\":\"alpha1\""));
        FileTime modified = Files.getLastModifiedTime(file);
        Files.writeString(file, config(replica, httpPort, "alpha2"));
        Files.setLastModifiedTime(file, modified);

        new ProcessBuilder("kill", "-HUP", Long.toString(modelgate.pid())).start().waitFor(5, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(5)).until(() -> status(httpPort).contains("\"name\":\"alpha2\""));
        assertThat(status(httpPort)).doesNotContain("\"name\":\"alpha1\"");
        assertThat(modelgate.alive()).isTrue();
        assertThat(modelgate.output()).contains("configuration reloaded from " + file + ": models +alpha2 -alpha1");
      }
    }
  }

  private static String status(int httpPort) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/status"))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static String config(SimulatedReplica replica, int httpPort, String model) {
    return "replicas:\n"
        + "  - id: r0\n    host: 127.0.0.1\n    grpcPort: " + replica.grpcPort() + "\n    restPort: " + replica.restPort() + "\n"
        + "models:\n  - name: " + model + "\n"
        + "probe:\n  intervalMs: 200\n  timeoutMs: 200\n  stalenessMs: 2000\n"
        + "listen:\n  grpc: 127.0.0.1:0\n  http: 127.0.0.1:" + httpPort + "\n"
        + "xds:\n  listen: 127.0.0.1:0\n"
        + "extproc:\n  enabled: false\n";
  }
}
