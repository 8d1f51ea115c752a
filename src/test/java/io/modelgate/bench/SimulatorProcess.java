package io.modelgate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code modelgate simulate} in its own JVM: R simulated TF Serving replicas with the same models
 * AVAILABLE on each, driven through the simulator's HTTP control endpoint (load, unload, and the
 * per-model GetModelStatus call counts that show what probing costs the replicas).
 *
 * <p>Not thread-safe beyond what {@link HttpClient} is: meant for the benchmark's main thread.
 * A control call that does not answer 200 throws.
 */
final class SimulatorProcess implements AutoCloseable {
  private static final Pattern REPLICA_LINE =
      Pattern.compile("^(r\\d+) grpc=([^:]+):(\\d+) rest=[^:]+:(\\d+)$");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final List<ReplicaConfig> replicas;
  private final String control;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

  private SimulatorProcess(Process process, List<ReplicaConfig> replicas, String control) {
    this.process = process;
    this.replicas = List.copyOf(replicas);
    this.control = control;
  }

  /** Starts the simulator and waits until it has printed every replica and its control URL. */
  static SimulatorProcess start(int replicaCount, List<String> models, String heap, Path log) throws IOException {
    // The replicas stand in for 1,000 machines that are not modelgate's: at a lower CPU priority
    // they yield this machine's two cores whenever modelgate's threads want them.
    List<String> command = new ArrayList<>(List.of(
        "nice", "-n", "10", XdsScaleBenchmark.javaBinary(), "-Xmx" + heap, "-jar", "target/modelgate.jar", "simulate",
        "--replicas", String.valueOf(replicaCount), "--base-port", "0", "--control-port", "0"));
    for (String model : models) {
      command.add("--model");
      command.add(model + ":1");
    }
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      List<ReplicaConfig> replicas = new ArrayList<>();
      String line;
      while ((line = out.readLine()) != null) {
        Matcher m = REPLICA_LINE.matcher(line.trim());
        if (m.matches()) {
          replicas.add(new ReplicaConfig(
              m.group(1), m.group(2), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Protocol.GRPC));
        } else if (line.startsWith("control=")) {
          if (replicas.size() != replicaCount) {
            throw new IOException("simulator printed " + replicas.size() + " of " + replicaCount + " replicas");
          }
          return new SimulatorProcess(process, replicas, line.substring("control=".length()).trim());
        }
      }
      throw new IOException("simulator exited before printing its control URL (see " + log + ")");
    } catch (IOException | RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
  }

  List<ReplicaConfig> replicas() {
    return replicas;
  }

  long pid() {
    return process.pid();
  }

  /** AVAILABLE -> END at once (TF Serving unloading version 1). */
  void unload(String replica, String model) throws IOException, InterruptedException {
    post("/replicas/" + replica + "/models/" + model + "/versions/1/unload");
  }

  /** START -> AVAILABLE at once (version 1 loaded again). */
  void load(String replica, String model) throws IOException, InterruptedException {
    post("/replicas/" + replica + "/models/" + model + "/versions/1/load");
  }

  /** GetModelStatus calls this replica has answered for this model. */
  long statusCalls(String replica, String model) throws IOException, InterruptedException {
    return get("/replicas/" + replica).path("statusCalls").path(model).asLong();
  }

  /** GetModelStatus calls answered by all replicas together, every model. */
  long totalStatusCalls() throws IOException, InterruptedException {
    long total = 0;
    for (JsonNode replica : get("/replicas").get("replicas")) {
      for (JsonNode count : replica.path("statusCalls")) {
        total += count.asLong();
      }
    }
    return total;
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    return JSON.readTree(call(HttpRequest.newBuilder(URI.create(control + path)).GET()));
  }

  private void post(String path) throws IOException, InterruptedException {
    call(HttpRequest.newBuilder(URI.create(control + path)).POST(HttpRequest.BodyPublishers.noBody()));
  }

  private String call(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("simulator control answered " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
