package io.modelgate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.config.ReplicaConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code modelgate control-plane} in its own JVM ({@code -Xmx512m}), so that its CPU and heap can
 * be measured apart from everything else: generates its YAML (replicas, models, probe settings,
 * loopback ports), starts it, waits for its first xDS snapshot, and reads {@code GET /xds}.
 *
 * <p>For the benchmark's main thread. A start that does not reach a first snapshot in time, or
 * a process that exits, throws with a pointer to the log file.
 */
final class ScaleControlPlane implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Probe settings written to the YAML; see XdsScaleBenchmark for why these values. */
  record Probes(long intervalMs, long timeoutMs, double jitter, int maxConcurrency, long stalenessMs) {}

  private final Process process;
  private final int httpPort;
  private final int xdsPort;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ScaleControlPlane(Process process, int httpPort, int xdsPort, Path log) {
    this.process = process;
    this.httpPort = httpPort;
    this.xdsPort = xdsPort;
    this.log = log;
  }

  static ScaleControlPlane start(
      List<ReplicaConfig> replicas, List<String> models, Probes probes, String heap, Path dir)
      throws IOException {
    int httpPort = freePort();
    int xdsPort = freePort();
    Path config = dir.resolve("xds-scale-modelgate.yaml");
    Files.writeString(config, yaml(replicas, models, probes, httpPort, xdsPort));
    Path log = dir.resolve("xds-scale-modelgate.log");
    Process process =
        new ProcessBuilder(
                XdsScaleBenchmark.javaBinary(), "-Xmx" + heap, "-jar", "target/modelgate.jar",
                "control-plane", "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    return new ScaleControlPlane(process, httpPort, xdsPort, log);
  }

  private static String yaml(
      List<ReplicaConfig> replicas, List<String> models, Probes probes, int httpPort, int xdsPort) {
    StringBuilder yaml = new StringBuilder("replicas:\n");
    for (ReplicaConfig r : replicas) {
      yaml.append("  - {id: ").append(r.id()).append(", host: ").append(r.host())
          .append(", grpcPort: ").append(r.grpcPort()).append(", restPort: ").append(r.restPort())
          .append(", protocol: grpc}\n");
    }
    yaml.append("models:\n");
    models.forEach(m -> yaml.append("  - name: ").append(m).append('\n'));
    yaml.append("probe:\n")
        .append("  intervalMs: ").append(probes.intervalMs()).append('\n')
        .append("  timeoutMs: ").append(probes.timeoutMs()).append('\n')
        .append("  jitter: ").append(probes.jitter()).append('\n')
        .append("  maxConcurrency: ").append(probes.maxConcurrency()).append('\n')
        .append("  stalenessMs: ").append(probes.stalenessMs()).append('\n')
        // The first full round of 20,000 probes must finish before anything is published.
        .append("  startupTimeoutMs: ").append(3 * probes.intervalMs()).append('\n');
    yaml.append("listen:\n")
        .append("  grpc: 127.0.0.1:0\n")
        .append("  http: 127.0.0.1:").append(httpPort).append('\n');
    yaml.append("xds:\n")
        .append("  listen: 127.0.0.1:").append(xdsPort).append('\n')
        // Only named in the generated listener: no Envoy binds it in this benchmark.
        .append("  envoyListener: 127.0.0.1:10000\n");
    // The default gateway filter stays on, as in production: one more cluster and listener filter.
    yaml.append("extproc:\n")
        .append("  enabled: true\n")
        .append("  listen: 127.0.0.1:0\n");
    return yaml.toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Polls {@code /xds} until the first snapshot is published. */
  void awaitFirstSnapshot(Duration limit) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("modelgate exited with " + process.exitValue() + " (see " + log + ")");
      }
      try {
        if (xds().path("snapshots").asLong() > 0) {
          return;
        }
      } catch (IOException notListeningYet) {
        // Still starting.
      }
      Thread.sleep(200);
    }
    throw new IOException("no xDS snapshot within " + limit + " (see " + log + ")");
  }

  /** {@code GET /xds}: openStreams, nacks, snapshots, versions, buildTimes. */
  JsonNode xds() throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/xds"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("/xds answered " + response.statusCode());
    }
    return JSON.readTree(response.body());
  }

  int xdsPort() {
    return xdsPort;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
