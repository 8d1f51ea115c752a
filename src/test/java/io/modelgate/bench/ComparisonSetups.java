package io.modelgate.bench;

import io.modelgate.sources.TestReplicas;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.demo.DemoSetupException;
import io.modelgate.demo.EnvoyLauncher;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.view.ReplicaState;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.view.HealthView;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The setups the comparison benchmark runs, each in front of the same kind of simulated replicas:
 * what it starts, where its Envoy listens, and what it costs (probes sent to TF Serving, CPU and
 * memory of the modelgate processes it runs).
 */
enum ComparisonSetups {
  DIRECT("Envoy, static endpoints, no health checking (latency baseline)"),
  REST_HEALTH_CHECK("Envoy, static endpoints, active HTTP health check of GET /v1/models/<m> (1 s, 2/2)"),
  SIDECAR_HEALTH_CHECK("Envoy, static endpoints, active gRPC health check against a modelgate sidecar per replica (1 s, 2/2)"),
  MODELGATE("Envoy configured by the modelgate control plane over xDS, with the gateway filter");

  final String description;

  ComparisonSetups(String description) {
    this.description = description;
  }

  /** A started setup; closing stops Envoy and any modelgate process. */
  static final class Running implements AutoCloseable {
    final int listenerPort;
    final int adminPort;
    final List<ModelgateProcess> modelgate;
    private final EnvoyLauncher envoy;

    Running(int listenerPort, int adminPort, List<ModelgateProcess> modelgate, EnvoyLauncher envoy) {
      this.listenerPort = listenerPort;
      this.adminPort = adminPort;
      this.modelgate = modelgate;
      this.envoy = envoy;
    }

    double modelgateCpuSeconds() throws IOException {
      double total = 0;
      for (ModelgateProcess p : modelgate) {
        total += p.cpuSeconds();
      }
      return total;
    }

    double modelgateRssMiB() throws IOException {
      double total = 0;
      for (ModelgateProcess p : modelgate) {
        total += p.rssMiB();
      }
      return total;
    }

    @Override
    public void close() throws InterruptedException {
      envoy.close();
      for (ModelgateProcess p : modelgate) {
        p.close();
      }
    }
  }

  Running start(Simulator simulator) throws IOException, InterruptedException, DemoSetupException {
    return start(simulator, ComparisonScenario.MODELS, Map.of());
  }

  /**
   * The setup in front of {@code simulator} serving {@code models}; {@code extraYaml} adds entries
   * to sections of modelgate's file (section name to {@code "key: value, ..."}), for MODELGATE.
   */
  Running start(Simulator simulator, List<String> models, Map<String, String> extraYaml)
      throws IOException, InterruptedException, DemoSetupException {
    return start(simulator, models, extraYaml, BaselineBootstrap.Tuning.TYPICAL);
  }

  /** The same, the baselines' checks and retries tuned as {@code tuning} says. */
  Running start(
      Simulator simulator, List<String> models, Map<String, String> extraYaml, BaselineBootstrap.Tuning tuning)
      throws IOException, InterruptedException, DemoSetupException {
    Path envoyBinary = EnvoyLauncher.findBinary(Optional.empty(), System.getenv().getOrDefault("PATH", ""));
    int listener = EnvoyProcess.freePort();
    int admin = EnvoyProcess.freePort();
    ModelgateConfig config = config(simulator, listener, models);
    List<ModelgateProcess> processes = new ArrayList<>();
    EnvoyLauncher envoy;
    try {
      switch (this) {
        case DIRECT ->
            envoy = staticEnvoy(envoyBinary, config, BaselineBootstrap.HealthChecking.NONE, Map.of(), admin, tuning);
        case REST_HEALTH_CHECK ->
            envoy = staticEnvoy(
                envoyBinary, config, BaselineBootstrap.HealthChecking.REST_STATUS_PATH, Map.of(), admin, tuning);
        case SIDECAR_HEALTH_CHECK -> {
          Map<String, BaselineBootstrap.SidecarPorts> sidecars = new HashMap<>();
          for (SimulatedReplica replica : simulator.replicas()) {
            BaselineBootstrap.SidecarPorts ports =
                new BaselineBootstrap.SidecarPorts(EnvoyProcess.freePort(), EnvoyProcess.freePort());
            List<String> args = new ArrayList<>(List.of("sidecar", "--target", "127.0.0.1:" + replica.grpcPort()));
            models.forEach(m -> args.addAll(List.of("--model", m)));
            args.addAll(List.of("--grpc-listen", "127.0.0.1:" + ports.grpc(), "--http-listen", "127.0.0.1:" + ports.http()));
            processes.add(ModelgateProcess.start(args, ports.http()));
            sidecars.put(replica.id(), ports);
          }
          envoy = staticEnvoy(envoyBinary, config, BaselineBootstrap.HealthChecking.SIDECAR, sidecars, admin, tuning);
        }
        case MODELGATE -> {
          int xds = EnvoyProcess.freePort();
          int http = EnvoyProcess.freePort();
          Path file = Files.createTempFile("modelgate-bench", ".yaml");
          Files.writeString(file, controlPlaneYaml(simulator, models, listener, xds, http, extraYaml));
          processes.add(ModelgateProcess.start(List.of("control-plane", "--config", file.toString()), http));
          envoy = EnvoyLauncher.start(envoyBinary, Path.of("envoy/bootstrap-local.yaml"), xds, admin);
        }
        default -> throw new IllegalStateException();
      }
      envoy.awaitReady(Duration.ofSeconds(30));
    } catch (IOException | InterruptedException | DemoSetupException | RuntimeException e) {
      for (ModelgateProcess p : processes) {
        p.close();
      }
      throw e;
    }
    return new Running(listener, admin, processes, envoy);
  }

  private static EnvoyLauncher staticEnvoy(
      Path binary,
      ModelgateConfig config,
      BaselineBootstrap.HealthChecking checking,
      Map<String, BaselineBootstrap.SidecarPorts> sidecars,
      int admin,
      BaselineBootstrap.Tuning tuning)
      throws DemoSetupException {
    return EnvoyLauncher.startWithConfig(
        binary,
        BaselineBootstrap.json(config, everyVersionEverywhere(config), checking, sidecars, admin, tuning),
        admin);
  }

  private static ModelgateConfig config(Simulator simulator, int listener, List<String> models) {
    List<ReplicaConfig> replicas = new ArrayList<>();
    for (SimulatedReplica r : simulator.replicas()) {
      replicas.add(new ReplicaConfig(r.id(), "127.0.0.1", r.grpcPort(), r.restPort(), Protocol.GRPC));
    }
    return new ModelgateConfig(
        replicas,
        models.stream().map(ModelConfig::any).toList(),
        ProbeConfig.defaults(),
        ListenConfig.loopbackEphemeral(),
        new XdsConfig(
            new InetSocketAddress("127.0.0.1", 0),
            new InetSocketAddress("127.0.0.1", listener),
            XdsConfig.defaults().connectTimeout(),
            XdsConfig.defaults().retries()));
  }

  /** A view in which versions 1 and 2 of every model exist, so static routes cover both. */
  private static HealthView everyVersionEverywhere(ModelgateConfig config) {
    return HealthView.uniform(
        config.models(),
        TestReplicas.of(config.replicas()),
        ReplicaState.READY,
        Set.of(1L, 2L),
        Instant.now());
  }

  /** The control plane's file: the defaults (1 s probes) except ports, all on loopback, plus extra entries. */
  private static String controlPlaneYaml(
      Simulator simulator, List<String> models, int listener, int xds, int http, Map<String, String> extra)
      throws IOException {
    Map<String, String> sections = new LinkedHashMap<>(extra);
    StringBuilder yaml = new StringBuilder("replicas:\n");
    for (SimulatedReplica r : simulator.replicas()) {
      yaml.append("  - {id: ").append(r.id()).append(", host: 127.0.0.1, grpcPort: ")
          .append(r.grpcPort()).append(", restPort: ").append(r.restPort()).append("}\n");
    }
    yaml.append("models:\n");
    models.forEach(m -> yaml.append("  - {name: ").append(m).append("}\n"));
    section(yaml, "listen", "grpc: 127.0.0.1:" + EnvoyProcess.freePort() + ", http: 127.0.0.1:" + http, sections);
    section(yaml, "xds", "listen: 127.0.0.1:" + xds + ", envoyListener: 127.0.0.1:" + listener, sections);
    section(yaml, "extproc", "listen: 127.0.0.1:" + EnvoyProcess.freePort(), sections);
    sections.forEach((name, entries) -> yaml.append(name).append(": {").append(entries).append("}\n"));
    return yaml.toString();
  }

  /** One flow-mapping section, with the extra entries asked for it (removed from {@code extra}). */
  private static void section(StringBuilder yaml, String name, String entries, Map<String, String> extra) {
    String more = extra.remove(name);
    yaml.append(name).append(": {").append(entries).append(more == null ? "" : ", " + more).append("}\n");
  }
}
