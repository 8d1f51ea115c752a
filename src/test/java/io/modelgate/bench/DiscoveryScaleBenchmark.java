package io.modelgate.bench;

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
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.netns.NetworkNamespace;
import io.modelgate.probing.VersionState;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.ClusterNames.Upstream;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.sources.KubeApiServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Discovery at scale (issue 13): R TF Serving "pods" appear at once through the S EndpointSlices
 * of a Service in a real kube-apiserver, after a modelgate control plane (its own JVM) has started
 * with a {@code kubernetes} source on the still empty Service. From T0, when the slices are
 * written (all at once, one thread each), it times until modelgate's view has every replica READY
 * (from {@code /status}: the latest READY {@code since}, which is when the answering probe was
 * taken in) and until a real Envoy holds every one HEALTHY in both of the model's clusters
 * (its {@code membership_healthy} gauges, polled every 10 ms), and the CPU modelgate used from T0
 * to then; twice per modelgate: the first wave meets code that has never run (cold), then the
 * slices are deleted and written again (warm). Baseline in the same run: a fresh modelgate and
 * Envoy given the same R replicas as a static {@code replicas:} list, timed from the process's
 * start. Rounds alternate the two.
 *
 * <p>Runs only inside the network namespace {@code src/test/kube/netns/bin/java} makes (the API
 * server refuses loopback addresses in a slice): one simulated replica bound to 0.0.0.0 answers on
 * every 198.18.0.0/15 address there, so R pods need one simulator, in this JVM with the API
 * server's client and Envoy's poller; modelgate's CPU is its own process's, from /proc.
 * Prints Markdown and writes bench/results/discovery-scale.md.
 *
 * <p>Usage: {@code DiscoveryScaleBenchmark [replicas] [slices] [rounds]} (default 1000 10 3).
 */
public final class DiscoveryScaleBenchmark {
  static final String MODEL = "half_plus_two";
  static final String SERVICE = "tfserving";
  /** 198.18.1.0 onwards: clear of 198.18.0.1, the API server's advertised address. */
  private static final int FIRST_ADDRESS = 256;
  /** The label the EndpointSlice controller puts on a Service's slices, which the source selects. */
  private static final String SERVICE_LABEL = "kubernetes.io/service-name";
  private static final Duration LIMIT = Duration.ofSeconds(60);
  private static final Duration POLL = Duration.ofMillis(10);
  /** Before each T0, so that the view and Envoy hold the state the wave starts from. */
  private static final Duration SETTLE = Duration.ofSeconds(2);
  private static final Duration DRAIN = Duration.ofSeconds(1);
  private static final List<String> MODELGATE_JVM =
      List.of("-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One wave of R replicas. Seconds from T0: all READY in the view, all HEALTHY in Envoy;
   * modelgate's CPU seconds from T0 to the latter; the peak heap used meanwhile. For a discovery
   * wave, {@code beforeSeconds} is how long the slices took to write and {@code cpuBefore} the CPU
   * modelgate had used by T0; for the static run, the seconds and CPU until {@code /healthz}
   * answered (the JVM's start).
   */
  record Measurement(
      double readySeconds, double healthySeconds, double cpuSeconds, double beforeSeconds, double cpuBefore,
      double peakHeapMib) {}

  private final KubeApiServer apiServer;
  private final KubernetesClient kube;
  private final int grpcPort;
  private final int restPort;
  private final int replicas;
  private final int slices;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Path dir = Path.of("target");

  private DiscoveryScaleBenchmark(KubeApiServer apiServer, KubernetesClient kube, int grpcPort, int restPort, int replicas, int slices) {
    this.apiServer = apiServer;
    this.kube = kube;
    this.grpcPort = grpcPort;
    this.restPort = restPort;
    this.replicas = replicas;
    this.slices = slices;
  }

  public static void main(String[] args) throws Exception {
    int replicas = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int slices = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    NetworkNamespace.require();
    long started = System.nanoTime();
    List<Waves> discovery = new ArrayList<>();
    List<Measurement> statics = new ArrayList<>();
    // One TF Serving on every address of the namespace's 198.18.0.0/15: each pod is an address.
    try (Simulator simulator =
            Simulator.start(SimulatorOptions.defaults().withReplicas(1).withHost("0.0.0.0").withBasePort(0).withModel(MODEL, 1));
        KubeApiServer apiServer = KubeApiServer.start();
        KubernetesClient kube =
            new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(apiServer.kubeconfig().toFile())).build()) {
      SimulatedReplica tfs = simulator.replicas().get(0);
      tfs.setState(MODEL, 1, VersionState.AVAILABLE);
      log("simulator on 0.0.0.0:" + tfs.grpcPort() + "/" + tfs.restPort() + ", API server " + apiServer.url());
      DiscoveryScaleBenchmark bench = new DiscoveryScaleBenchmark(apiServer, kube, tfs.grpcPort(), tfs.restPort(), replicas, slices);
      for (int round = 1; round <= rounds; round++) {
        discovery.add(bench.discoveryRun(round));
        log("round " + round + " discovery: " + discovery.get(discovery.size() - 1));
        statics.add(bench.staticRun(round));
        log("round " + round + " static: " + statics.get(statics.size() - 1));
      }
    }
    String markdown =
        DiscoveryScaleReport.markdown(replicas, slices, discovery, statics, (System.nanoTime() - started) / 1e9);
    System.out.println(markdown);
    Files.createDirectories(Path.of("bench/results"));
    Files.writeString(Path.of("bench/results/discovery-scale.md"), markdown);
  }

  /** The two waves of one discovery run: into a just-started modelgate, and again into the same one. */
  record Waves(Measurement cold, Measurement warm) {}

  /**
   * A fresh modelgate on an empty Service, then R endpoints in S slices written at once (cold: the
   * probe, view and xDS paths have not run yet); then the slices deleted, and once Envoy has no
   * endpoint left, written again (warm: the same process, its code compiled).
   */
  private Waves discoveryRun(int round) throws Exception {
    String namespace = "bench-" + round + "-" + Long.toHexString(System.nanoTime());
    createService(namespace);
    Ports ports = Ports.free();
    String yaml =
        "sources:\n"
            + "  - kubernetes:\n"
            + "      namespace: " + namespace + "\n"
            + "      service: " + SERVICE + "\n"
            + "      grpcPort: grpc\n"
            + "      restPort: http\n"
            + "      kubeconfig: " + apiServer.kubeconfig().toAbsolutePath() + "\n"
            // Only the wave of deletions waits for it; nothing measured does.
            + "      drainMs: " + DRAIN.toMillis() + "\n"
            + commonYaml(ports);
    long spawned = System.nanoTime();
    try (ModelgateProcess modelgate = startModelgate("discovery", yaml, ports);
        JvmProcessMeter meter = new JvmProcessMeter(modelgate.pid());
        EnvoyProcess envoy = EnvoyProcess.startWithAds(ports.xds())) {
      await("Envoy LIVE on the empty Service", envoy::ready);
      Thread.sleep(SETTLE.toMillis());
      log("discovery: modelgate used " + String.format("%.2f", JvmProcessMeter.cpuNanos(modelgate.pid()) / 1e9)
          + " s CPU in the " + String.format("%.1f", (System.nanoTime() - spawned) / 1e9) + " s before the first wave");
      Measurement cold = wave(namespace, ports, modelgate, meter, envoy);
      for (int s = 0; s < slices; s++) {
        kube.discovery().v1().endpointSlices().inNamespace(namespace).withName(SERVICE + "-" + s).delete();
      }
      await("every endpoint gone from Envoy", () -> gauge(envoyStats(envoy), membership(Upstream.GRPC, "total")) == 0);
      Thread.sleep(SETTLE.toMillis());
      Measurement warm = wave(namespace, ports, modelgate, meter, envoy);
      return new Waves(cold, warm);
    } finally {
      kube.namespaces().withName(namespace).delete();
    }
  }

  /** T0: the S slices created at once, one thread each; then until all READY and all HEALTHY. */
  private Measurement wave(
      String namespace, Ports ports, ModelgateProcess modelgate, JvmProcessMeter meter, EnvoyProcess envoy)
      throws Exception {
    List<EndpointSlice> all = new ArrayList<>();
    for (int s = 0; s < slices; s++) {
      all.add(slice(namespace, s));
    }
    double cpuBefore = JvmProcessMeter.cpuNanos(modelgate.pid()) / 1e9;
    meter.resetPeaks();
    Instant t0Wall = Instant.now();
    long t0 = System.nanoTime();
    ExecutorService writers = Executors.newFixedThreadPool(slices);
    try {
      List<Future<?>> writes = new ArrayList<>();
      for (EndpointSlice slice : all) {
        writes.add(writers.submit(() -> kube.discovery().v1().endpointSlices().inNamespace(namespace).resource(slice).create()));
      }
      for (Future<?> write : writes) {
        write.get();
      }
    } finally {
      writers.shutdown();
    }
    double written = (System.nanoTime() - t0) / 1e9;
    long healthy = awaitHealthy(envoy, modelgate);
    double cpu = JvmProcessMeter.cpuNanos(modelgate.pid()) / 1e9 - cpuBefore;
    double ready = lastReadySeconds(ports, t0Wall);
    return new Measurement(ready, (healthy - t0) / 1e9, cpu, written, cpuBefore, meter.peakUsedKib() / 1024);
  }

  /** A fresh modelgate given the same R replicas as a static list, timed from its start. */
  private Measurement staticRun(int round) throws Exception {
    Ports ports = Ports.free();
    StringBuilder yaml = new StringBuilder("replicas:\n");
    for (int i = 0; i < replicas; i++) {
      yaml.append("  - {id: ").append(pod(i)).append(", host: ").append(address(i))
          .append(", grpcPort: ").append(grpcPort).append(", restPort: ").append(restPort)
          .append(", protocol: grpc}\n");
    }
    yaml.append(commonYaml(ports));
    Instant t0Wall = Instant.now();
    long t0 = System.nanoTime();
    try (ModelgateProcess modelgate = startModelgate("static-" + round, yaml.toString(), ports);
        JvmProcessMeter meter = new JvmProcessMeter(modelgate.pid())) {
      double jvmStart = (System.nanoTime() - t0) / 1e9;
      double cpuAtHealthz = JvmProcessMeter.cpuNanos(modelgate.pid()) / 1e9;
      try (EnvoyProcess envoy = EnvoyProcess.startWithAds(ports.xds())) {
        long healthy = awaitHealthy(envoy, modelgate);
        double cpu = JvmProcessMeter.cpuNanos(modelgate.pid()) / 1e9;
        double ready = lastReadySeconds(ports, t0Wall);
        return new Measurement(ready, (healthy - t0) / 1e9, cpu, jvmStart, cpuAtHealthz, meter.peakUsedKib() / 1024);
      }
    }
  }

  private String commonYaml(Ports ports) {
    // Probe settings are the defaults a user gets (1 s interval, 256 in flight).
    return "models:\n"
        + "  - name: " + MODEL + "\n"
        + "listen:\n"
        + "  grpc: 127.0.0.1:0\n"
        + "  http: 127.0.0.1:" + ports.http() + "\n"
        + "xds:\n"
        + "  listen: 127.0.0.1:" + ports.xds() + "\n"
        + "  envoyListener: 127.0.0.1:" + ports.listener() + "\n"
        + "extproc:\n"
        + "  enabled: true\n"
        + "  listen: 127.0.0.1:0\n";
  }

  private ModelgateProcess startModelgate(String name, String yaml, Ports ports) throws Exception {
    Path config = dir.resolve("discovery-scale-" + name + ".yaml");
    Files.writeString(config, yaml);
    List<String> jvm = new ArrayList<>(MODELGATE_JVM);
    // -Dbench.modelgateJvm="-XX:StartFlightRecording=..." profiles modelgate (options split at spaces).
    String extra = System.getProperty("bench.modelgateJvm", "").replace("{run}", name);
    if (!extra.isBlank()) {
      jvm.addAll(List.of(extra.trim().split("\\s+")));
    }
    return ModelgateProcess.start(jvm, List.of("control-plane", "--config", config.toString()), ports.http());
  }

  /**
   * Polls Envoy's gauges until both of the model's clusters have R healthy members; returns
   * System.nanoTime of the poll that saw it.
   */
  private long awaitHealthy(EnvoyProcess envoy, ModelgateProcess modelgate) throws Exception {
    String grpc = membership(Upstream.GRPC, "healthy");
    String rest = membership(Upstream.REST, "healthy");
    long deadline = System.nanoTime() + LIMIT.toNanos();
    String stats = "";
    while (System.nanoTime() < deadline) {
      stats = envoyStats(envoy);
      if (gauge(stats, grpc) == replicas && gauge(stats, rest) == replicas) {
        return System.nanoTime();
      }
      if (!modelgate.alive()) {
        throw new IllegalStateException("modelgate exited: " + modelgate.output());
      }
      Thread.sleep(POLL.toMillis());
    }
    throw new IllegalStateException("Envoy did not have " + replicas + " healthy members within " + LIMIT + ": " + stats
        + "\nmodelgate: " + modelgate.output());
  }

  /** Envoy's cluster membership gauges; "" while its admin port does not answer. */
  private static String envoyStats(EnvoyProcess envoy) throws InterruptedException {
    try {
      return envoy.admin("/stats?filter=membership_");
    } catch (IOException notYet) {
      return "";
    }
  }

  /** The start of the line of one membership gauge (healthy, total) of one of the model's clusters. */
  private static String membership(Upstream upstream, String gauge) {
    return "cluster." + ClusterNames.model(MODEL, upstream) + ".membership_" + gauge + ": ";
  }

  private static long gauge(String stats, String prefix) {
    return stats.lines()
        .filter(line -> line.startsWith(prefix))
        .mapToLong(line -> Long.parseLong(line.substring(prefix.length()).trim()))
        .findFirst()
        .orElse(-1);
  }

  /**
   * Seconds from T0 to the latest READY {@code since} in modelgate's view (when the probe that made
   * that replica READY was taken in); fails unless all R are READY.
   */
  private double lastReadySeconds(Ports ports, Instant t0) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.http() + "/status"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode model = null;
    for (JsonNode m : JSON.readTree(response.body()).path("models")) {
      if (m.path("name").asText().equals(MODEL)) {
        model = m;
      }
    }
    if (model == null) {
      throw new IllegalStateException("no " + MODEL + " in /status");
    }
    int ready = 0;
    Instant last = t0;
    for (JsonNode replica : model.path("replicas")) {
      if (replica.path("state").asText().equals("READY")) {
        ready++;
        Instant since = Instant.parse(replica.path("since").asText());
        last = since.isAfter(last) ? since : last;
      }
    }
    if (ready != replicas) {
      throw new IllegalStateException(ready + " of " + replicas + " READY in /status once Envoy had all HEALTHY");
    }
    return Duration.between(t0, last).toNanos() / 1e9;
  }

  private void createService(String namespace) {
    kube.namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    kube.services()
        .inNamespace(namespace)
        .resource(
            new ServiceBuilder()
                .withNewMetadata().withName(SERVICE).endMetadata()
                .withNewSpec()
                .addNewPort().withName("grpc").withPort(8500).endPort()
                .addNewPort().withName("http").withPort(8501).endPort()
                .endSpec()
                .build())
        .create();
  }

  /** Slice {@code s}: its share of the R pods, ready, as the EndpointSlice controller writes them. */
  private EndpointSlice slice(String namespace, int s) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = s; i < replicas; i += slices) {
      endpoints.add(
          new EndpointBuilder()
              .withAddresses(address(i))
              .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
              .withNewTargetRef().withKind("Pod").withNamespace(namespace).withName(pod(i)).endTargetRef()
              .build());
    }
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(SERVICE + "-" + s)
        .addToLabels(SERVICE_LABEL, SERVICE)
        .addToLabels("endpointslice.kubernetes.io/managed-by", "modelgate-discovery-bench")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("grpc").withPort(grpcPort).withProtocol("TCP").endPort()
        .addNewPort().withName("http").withPort(restPort).withProtocol("TCP").endPort()
        .withEndpoints(endpoints)
        .build();
  }

  private static String pod(int i) {
    return "tfs-" + i;
  }

  /** Pod i's address: 198.18.1.0, 198.18.1.1, ... */
  private static String address(int i) {
    return NetworkNamespace.address(FIRST_ADDRESS + i).getHostAddress();
  }

  private static void await(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  /** modelgate's HTTP and xDS ports and the listener port it names to Envoy, all free on loopback. */
  private record Ports(int http, int xds, int listener) {
    static Ports free() throws IOException {
      return new Ports(EnvoyProcess.freePort(), EnvoyProcess.freePort(), EnvoyProcess.freePort());
    }
  }

  private static void log(String line) {
    System.err.println("[discovery-scale] " + line);
  }
}
