package io.modelgate.bench;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.modelgate.bench.ScaleXdsClient.Protocol;
import io.modelgate.config.ReplicaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The xDS scale run: R simulated TF Serving replicas x M models (one simulator process), one
 * modelgate control plane in its own {@code -Xmx512m} JVM, and C ADS clients in this JVM, each on
 * its own channel and node id. It measures the probe load on the replicas with 1 and with C
 * state-of-the-world clients ({@link ScaleAdsClient}), then flips one (replica, model) at a time
 * between AVAILABLE and END and times each flip until every client holds an EDS response that
 * shows it. Then it closes those clients, connects C incremental (delta) clients
 * ({@link ScaleDeltaAdsClient}) to the same simulator and modelgate, and does as many flips again
 * on new keys, so the two protocols are compared within one run; for each it records the EDS bytes
 * a client received per flip. Alongside: modelgate's CPU (from /proc), heap (jstat, jcmd) and
 * snapshot build times ({@code GET /xds}). Prints Markdown and writes it to
 * bench/results/xds-scale.md.
 *
 * <p>Usage: {@code XdsScaleBenchmark [replicas] [models] [clients] [flips]} (default 1000 20 50
 * 30, flips per protocol); {@code -Dbench.seed=N} repeats a run's choice of flipped keys.
 */
public final class XdsScaleBenchmark {
  /**
   * 20,000 keys every 10 s is 2,000 GetModelStatus/s on average; jitter 0.5 spreads each round's
   * starts over its first 5 s. A 1 s interval would be 20,000/s, more than two cores can answer
   * next to everything else.
   */
  static final ScaleControlPlane.Probes PROBES = new ScaleControlPlane.Probes(10_000, 1_000, 0.5, 256, 30_000);

  static final String MODELGATE_HEAP = "512m";
  private static final Duration WINDOW = Duration.ofMillis(2 * PROBES.intervalMs());
  private static final Duration WARM_UP = Duration.ofSeconds(5);
  private static final Duration PROBE_POLL = Duration.ofMillis(5);
  private static final Duration PUSH_LIMIT = Duration.ofSeconds(20);

  /**
   * Probe load and CPU (in % of one core) over one stretch of the run: modelgate, the simulator,
   * this JVM (the clients), and everything else the machine ran meanwhile.
   */
  record Phase(
      String name,
      int clients,
      double seconds,
      double probesPerSecond,
      double cpuPercent,
      double gcSeconds,
      double simulatorCpuPercent,
      double benchCpuPercent,
      double otherCpuPercent) {}

  /**
   * One flip, all times System.nanoTime: the flip request returned; the earliest time the first
   * status probe that saw it can have been answered (a lower bound, so push times derived from it
   * are upper bounds); the first and the last client showing it (0 when not all did).
   */
  record Flip(String replica, String model, boolean unload, long flipped, long probed, long first, long last, int updated) {}

  /**
   * One protocol's clients: how many connected at once and how long until all were configured;
   * their flips; the EDS responses each received during the flips (fewest, most); the protobuf
   * bytes of EDS responses one client received per flip, on average; streams that failed.
   */
  record ProtocolRun(
      Protocol protocol,
      int connecting,
      double configuredSeconds,
      List<Flip> flips,
      int fewestEdsResponses,
      int mostEdsResponses,
      double edsBytesPerFlip,
      long failedClients) {}

  private final SimulatorProcess simulator;
  private final ScaleControlPlane modelgate;
  private final JvmProcessMeter meter;
  private final int clientCount;
  private final int flipCount;
  private final List<String> models;
  private final Random random;
  private final ScaleReport.Builder report;

  private XdsScaleBenchmark(
      SimulatorProcess simulator,
      ScaleControlPlane modelgate,
      JvmProcessMeter meter,
      int clientCount,
      int flipCount,
      List<String> models,
      Random random,
      ScaleReport.Builder report) {
    this.simulator = simulator;
    this.modelgate = modelgate;
    this.meter = meter;
    this.clientCount = clientCount;
    this.flipCount = flipCount;
    this.models = models;
    this.random = random;
    this.report = report;
  }

  public static void main(String[] args) throws Exception {
    int replicaCount = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int modelCount = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int clientCount = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    int flipCount = args.length > 3 ? Integer.parseInt(args[3]) : 30;
    long seed = Long.getLong("bench.seed", System.currentTimeMillis());
    log("seed " + seed + " (-Dbench.seed=" + seed + " repeats the flipped keys)");
    List<String> models = new ArrayList<>();
    for (int m = 0; m < modelCount; m++) {
      models.add("m" + m);
    }
    Path dir = Path.of("target");
    ScaleReport.Builder report = new ScaleReport.Builder(replicaCount, models.size(), clientCount, PROBES, seed);
    long started = System.nanoTime();
    try (SimulatorProcess simulator =
        SimulatorProcess.start(replicaCount, models, "2g", dir.resolve("xds-scale-simulator.log"))) {
      log("simulator up: " + replicaCount + " replicas x " + modelCount + " models in "
          + seconds(System.nanoTime() - started) + " s");
      long modelgateStarted = System.nanoTime();
      try (ScaleControlPlane modelgate =
              ScaleControlPlane.start(simulator.replicas(), models, PROBES, MODELGATE_HEAP, dir);
          JvmProcessMeter meter = new JvmProcessMeter(modelgate.pid())) {
        modelgate.awaitFirstSnapshot(Duration.ofMillis(6 * PROBES.intervalMs()));
        report.firstSnapshotSeconds(seconds(System.nanoTime() - modelgateStarted));
        log("modelgate published its first snapshot");
        new XdsScaleBenchmark(simulator, modelgate, meter, clientCount, flipCount, models, new Random(seed), report)
            .run();
      }
    }
    report.totalSeconds(seconds(System.nanoTime() - started));
    String markdown = report.build().markdown();
    System.out.println(markdown);
    Files.createDirectories(Path.of("bench/results"));
    Files.writeString(Path.of("bench/results/xds-scale.md"), markdown);
  }

  private void run() throws Exception {
    List<ScaleXdsClient> sotw = new ArrayList<>();
    try {
      sotw.add(connect(Protocol.SOTW, 0));
      awaitConfigured(sotw);
      // One more interval: the first probe rounds after start run late and would inflate the rate.
      Thread.sleep(PROBES.intervalMs());
      report.phase(measure("1 client, no changes", 1, () -> Thread.sleep(WINDOW.toMillis())));

      int connecting = clientCount - sotw.size();
      double configured = connectAll(Protocol.SOTW, sotw);
      Thread.sleep(WARM_UP.toMillis());
      report.phase(measure(clientCount + " clients, no changes", clientCount, () -> Thread.sleep(WINDOW.toMillis())));
      report.protocolRun(flipPhase(Protocol.SOTW, sotw, connecting, configured));
      List<ScaleXdsClient.Receipt> receipts = sotw.get(0).receipts();
      report.fullEdsResponseBytes(receipts.get(receipts.size() - 1).bytes());
    } finally {
      closeAll(sotw);
    }

    List<ScaleXdsClient> delta = new ArrayList<>();
    try {
      double configured = connectAll(Protocol.DELTA, delta);
      Thread.sleep(WARM_UP.toMillis());
      report.protocolRun(flipPhase(Protocol.DELTA, delta, clientCount, configured));

      report.xds(modelgate.xds());
      report.heap(meter.peakUsedKib(), meter.peakCommittedKib(), meter.heapInfo(false), meter.lastHeap());
      report.memory(meter.memoryKib("VmRSS"), meter.memoryKib("VmHWM"));
      report.outOfMemory(Files.readString(modelgate.log()).contains("OutOfMemoryError") || !modelgate.alive());
      // Last, as it disturbs the process: the live set after a full collection.
      report.liveHeap(meter.heapInfo(true));
    } finally {
      closeAll(delta);
    }
  }

  private ScaleXdsClient connect(Protocol protocol, int index) {
    String nodeId = "bench-" + protocol.label().toLowerCase(Locale.ROOT) + "-" + index;
    return protocol.connect(modelgate.xdsPort(), nodeId, "bench");
  }

  /** Connects clients of this protocol at once until there are C; seconds until all are configured. */
  private double connectAll(Protocol protocol, List<ScaleXdsClient> clients) throws InterruptedException {
    long connecting = System.nanoTime();
    for (int i = clients.size(); i < clientCount; i++) {
      clients.add(connect(protocol, i));
    }
    awaitConfigured(clients);
    log(clientCount + " " + protocol.label() + " clients configured");
    return seconds(System.nanoTime() - connecting);
  }

  /** The flips for one protocol's clients, and what those clients received meanwhile. */
  private ProtocolRun flipPhase(Protocol protocol, List<ScaleXdsClient> clients, int connecting, double configured)
      throws Exception {
    List<Flip> flips = new ArrayList<>();
    long started = System.nanoTime();
    report.phase(measure(clientCount + " " + protocol.label() + " clients, " + flipCount + " flips", clientCount,
        () -> flips.addAll(flips(clients, protocol))));
    long ended = System.nanoTime();
    IntSummaryStatistics responses =
        clients.stream().mapToInt(c -> (int) edsDuring(c, started, ended).count()).summaryStatistics();
    long bytes =
        clients.stream().flatMap(c -> edsDuring(c, started, ended)).mapToLong(ScaleXdsClient.Receipt::bytes).sum();
    return new ProtocolRun(protocol, connecting, configured, flips, responses.getMin(), responses.getMax(),
        (double) bytes / clients.size() / flipCount, clients.stream().filter(c -> c.failure() != null).count());
  }

  private static Stream<ScaleXdsClient.Receipt> edsDuring(ScaleXdsClient client, long from, long to) {
    return client.receipts().stream().filter(r -> r.nanos() >= from && r.nanos() <= to);
  }

  private static void closeAll(List<ScaleXdsClient> clients) throws InterruptedException {
    for (ScaleXdsClient client : clients) {
      client.close();
    }
  }

  @FunctionalInterface
  private interface Work {
    void run() throws Exception;
  }

  private Phase measure(String name, int clients, Work work) throws Exception {
    long self = ProcessHandle.current().pid();
    long calls = simulator.totalStatusCalls();
    long cpu = meter.cpuNanos();
    long simulatorCpu = JvmProcessMeter.cpuNanos(simulator.pid());
    long benchCpu = JvmProcessMeter.cpuNanos(self);
    long machine = JvmProcessMeter.machineBusyNanos();
    double gc = meter.lastHeap().gcSeconds();
    long wall = System.nanoTime();
    work.run();
    long elapsed = System.nanoTime() - wall;
    long cpuUsed = meter.cpuNanos() - cpu;
    long simulatorUsed = JvmProcessMeter.cpuNanos(simulator.pid()) - simulatorCpu;
    long benchUsed = JvmProcessMeter.cpuNanos(self) - benchCpu;
    long machineUsed = JvmProcessMeter.machineBusyNanos() - machine;
    Phase phase =
        new Phase(
            name,
            clients,
            elapsed / 1e9,
            (simulator.totalStatusCalls() - calls) * 1e9 / elapsed,
            cpuUsed * 100.0 / elapsed,
            meter.lastHeap().gcSeconds() - gc,
            simulatorUsed * 100.0 / elapsed,
            benchUsed * 100.0 / elapsed,
            Math.max(0, machineUsed - cpuUsed - simulatorUsed - benchUsed) * 100.0 / elapsed);
    log(String.format("%s: %.0f probes/s, modelgate CPU %.1f %%", name, phase.probesPerSecond(), phase.cpuPercent()));
    return phase;
  }

  /** Flips keys drawn from the run's random, so a seed repeats both protocols' keys. */
  private List<Flip> flips(List<ScaleXdsClient> clients, Protocol protocol) throws Exception {
    List<ReplicaConfig> replicas = simulator.replicas();
    List<Flip> flips = new ArrayList<>();
    String replica = null;
    String model = null;
    for (int i = 0; i < flipCount; i++) {
      boolean unload = i % 2 == 0;
      if (unload) {
        // Pairs: AVAILABLE -> END, then END -> AVAILABLE on the same key.
        replica = replicas.get(random.nextInt(replicas.size())).id();
        model = models.get(random.nextInt(models.size()));
      }
      ScaleXdsClient.Watch watch = new ScaleXdsClient.Watch("modelgate/" + model + "/grpc", replica);
      clients.forEach(c -> c.watch(watch));
      if (unload) {
        simulator.unload(replica, model);
      } else {
        simulator.load(replica, model);
      }
      long flipped = System.nanoTime();
      long probed = awaitProbe(replica, model, flipped);
      HealthStatus expected = unload ? HealthStatus.UNHEALTHY : HealthStatus.HEALTHY;
      Flip flip = awaitClients(clients, watch, expected, replica, model, unload, flipped, probed);
      flips.add(flip);
      log(String.format(
          "%s flip %d %s/%s %s: probe after %.0f ms, clients %d/%d, first %.1f ms, all %.1f ms after the probe",
          protocol.label(), i + 1, replica, model, unload ? "END" : "AVAILABLE", (probed - flipped) / 1e6,
          flip.updated(), clients.size(), (flip.first() - probed) / 1e6, (flip.last() - probed) / 1e6));
      Thread.sleep(200);
    }
    return flips;
  }

  /**
   * Polls the replica's GetModelStatus count for the model until it grows: the simulator counts a
   * call before reading its state, so a call counted after the flip has seen the flip. Returns the
   * send time of the last poll that did not see it, a lower bound of when that probe was answered.
   */
  private long awaitProbe(String replica, String model, long flipped)
      throws IOException, InterruptedException {
    long lastMiss = System.nanoTime();
    long before = simulator.statusCalls(replica, model);
    while (System.nanoTime() - flipped < 3 * PROBES.intervalMs() * 1_000_000L) {
      Thread.sleep(PROBE_POLL.toMillis());
      long sent = System.nanoTime();
      if (simulator.statusCalls(replica, model) > before) {
        return lastMiss;
      }
      lastMiss = sent;
    }
    throw new IllegalStateException(replica + "/" + model + " was not probed within three intervals");
  }

  private static Flip awaitClients(
      List<ScaleXdsClient> clients,
      ScaleXdsClient.Watch watch,
      HealthStatus expected,
      String replica,
      String model,
      boolean unload,
      long flipped,
      long probed)
      throws InterruptedException {
    long deadline = probed + PUSH_LIMIT.toNanos();
    while (true) {
      long first = Long.MAX_VALUE;
      long last = 0;
      int updated = 0;
      for (ScaleXdsClient client : clients) {
        OptionalLong at = client.firstShowing(flipped, watch, expected);
        if (at.isPresent()) {
          updated++;
          first = Math.min(first, at.getAsLong());
          last = Math.max(last, at.getAsLong());
        }
      }
      if (updated == clients.size() || System.nanoTime() > deadline) {
        return new Flip(replica, model, unload, flipped, probed,
            updated == 0 ? 0 : first, updated == clients.size() ? last : 0, updated);
      }
      Thread.sleep(1);
    }
  }

  private static void awaitConfigured(List<ScaleXdsClient> clients) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!clients.stream().allMatch(ScaleXdsClient::configured)) {
      for (ScaleXdsClient client : clients) {
        if (client.failure() != null) {
          throw new IllegalStateException("an ADS client failed", client.failure());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("ADS clients not configured within 60 s");
      }
      Thread.sleep(10);
    }
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static void log(String line) {
    System.err.println("[xds-scale] " + line);
  }
}
