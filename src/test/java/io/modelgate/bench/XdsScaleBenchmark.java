package io.modelgate.bench;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.modelgate.config.ReplicaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;

/**
 * The xDS scale run: R simulated TF Serving replicas x M models (one simulator process), one
 * modelgate control plane in its own {@code -Xmx512m} JVM, and up to C ADS clients
 * ({@link ScaleAdsClient}, in this JVM, each on its own channel and node id). It measures the
 * probe load on the replicas with 1 and with C clients, then flips one (replica, model) at a
 * time between AVAILABLE and END and times each flip until every client holds an EDS response
 * that shows it; alongside, modelgate's CPU (from /proc), heap (jstat, jcmd) and snapshot build
 * times ({@code GET /xds}). Prints Markdown and writes it to bench/results/xds-scale.md.
 *
 * <p>Usage: {@code XdsScaleBenchmark [replicas] [models] [clients] [flips]} (default 1000 20 50
 * 30); {@code -Dbench.seed=N} repeats a run's choice of flipped keys.
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

  private XdsScaleBenchmark() {}

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
        run(simulator, modelgate, meter, clientCount, flipCount, models, new Random(seed), report);
      }
    }
    report.totalSeconds(seconds(System.nanoTime() - started));
    String markdown = report.build().markdown();
    System.out.println(markdown);
    Files.createDirectories(Path.of("bench/results"));
    Files.writeString(Path.of("bench/results/xds-scale.md"), markdown);
  }

  private static void run(
      SimulatorProcess simulator,
      ScaleControlPlane modelgate,
      JvmProcessMeter meter,
      int clientCount,
      int flipCount,
      List<String> models,
      Random random,
      ScaleReport.Builder report)
      throws Exception {
    List<ScaleAdsClient> clients = new ArrayList<>();
    try {
      clients.add(new ScaleAdsClient(modelgate.xdsPort(), "bench-0", "bench"));
      awaitConfigured(clients);
      // One more interval: the first probe rounds after start run late and would inflate the rate.
      Thread.sleep(PROBES.intervalMs());
      report.phase(measure("1 client, no changes", 1, simulator, meter, () -> Thread.sleep(WINDOW.toMillis())));

      long connecting = System.nanoTime();
      for (int i = 1; i < clientCount; i++) {
        clients.add(new ScaleAdsClient(modelgate.xdsPort(), "bench-" + i, "bench"));
      }
      awaitConfigured(clients);
      report.fleetConfiguredSeconds(clientCount - 1, seconds(System.nanoTime() - connecting));
      log(clientCount + " clients configured");
      Thread.sleep(WARM_UP.toMillis());
      report.phase(measure(clientCount + " clients, no changes", clientCount, simulator, meter,
          () -> Thread.sleep(WINDOW.toMillis())));

      List<Flip> flips = new ArrayList<>();
      long flipsStarted = System.nanoTime();
      report.phase(measure(clientCount + " clients, " + flipCount + " flips", clientCount, simulator, meter,
          () -> flips.addAll(flips(simulator, clients, flipCount, models, random))));
      report.flips(flips);
      report.pushesPerClient(pushesPerClient(clients, flipsStarted), responseBytes(clients));

      report.xds(modelgate.xds());
      report.heap(meter.peakUsedKib(), meter.peakCommittedKib(), meter.heapInfo(false), meter.lastHeap());
      report.memory(meter.memoryKib("VmRSS"), meter.memoryKib("VmHWM"));
      report.failedClients(clients.stream().filter(c -> c.failure() != null).count());
      report.outOfMemory(Files.readString(modelgate.log()).contains("OutOfMemoryError") || !modelgate.alive());
      // Last, as it disturbs the process: the live set after a full collection.
      report.liveHeap(meter.heapInfo(true));
    } finally {
      for (ScaleAdsClient client : clients) {
        client.close();
      }
    }
  }

  @FunctionalInterface
  private interface Work {
    void run() throws Exception;
  }

  private static Phase measure(String name, int clients, SimulatorProcess simulator, JvmProcessMeter meter, Work work)
      throws Exception {
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

  private static List<Flip> flips(
      SimulatorProcess simulator, List<ScaleAdsClient> clients, int count, List<String> models, Random random)
      throws Exception {
    List<ReplicaConfig> replicas = simulator.replicas();
    List<Flip> flips = new ArrayList<>();
    String replica = null;
    String model = null;
    for (int i = 0; i < count; i++) {
      boolean unload = i % 2 == 0;
      if (unload) {
        // Pairs: AVAILABLE -> END, then END -> AVAILABLE on the same key.
        replica = replicas.get(random.nextInt(replicas.size())).id();
        model = models.get(random.nextInt(models.size()));
      }
      ScaleAdsClient.Watch watch = new ScaleAdsClient.Watch("modelgate/" + model + "/grpc", replica);
      clients.forEach(c -> c.watch(watch));
      if (unload) {
        simulator.unload(replica, model);
      } else {
        simulator.load(replica, model);
      }
      long flipped = System.nanoTime();
      long probed = awaitProbe(simulator, replica, model, flipped);
      HealthStatus expected = unload ? HealthStatus.UNHEALTHY : HealthStatus.HEALTHY;
      Flip flip = awaitClients(clients, watch, expected, replica, model, unload, flipped, probed);
      flips.add(flip);
      log(String.format("flip %d %s/%s %s: probe after %.0f ms, clients %d/%d, first %.1f ms, all %.1f ms after the probe",
          i + 1, replica, model, unload ? "END" : "AVAILABLE", (probed - flipped) / 1e6, flip.updated(), clients.size(),
          (flip.first() - probed) / 1e6, (flip.last() - probed) / 1e6));
      Thread.sleep(200);
    }
    return flips;
  }

  /**
   * Polls the replica's GetModelStatus count for the model until it grows: the simulator counts a
   * call before reading its state, so a call counted after the flip has seen the flip. Returns the
   * send time of the last poll that did not see it, a lower bound of when that probe was answered.
   */
  private static long awaitProbe(SimulatorProcess simulator, String replica, String model, long flipped)
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
      List<ScaleAdsClient> clients,
      ScaleAdsClient.Watch watch,
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
      for (ScaleAdsClient client : clients) {
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

  private static void awaitConfigured(List<ScaleAdsClient> clients) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!clients.stream().allMatch(ScaleAdsClient::configured)) {
      for (ScaleAdsClient client : clients) {
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

  /** EDS responses each client received since {@code since}, lowest and highest. */
  private static int[] pushesPerClient(List<ScaleAdsClient> clients, long since) {
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (ScaleAdsClient client : clients) {
      int n = (int) client.receipts().stream().filter(r -> r.nanos() >= since).count();
      min = Math.min(min, n);
      max = Math.max(max, n);
    }
    return new int[] {min, max};
  }

  /** Size of the last EDS response the first client received. */
  private static int responseBytes(List<ScaleAdsClient> clients) {
    List<ScaleAdsClient.Receipt> receipts = clients.get(0).receipts();
    return receipts.isEmpty() ? 0 : receipts.get(receipts.size() - 1).bytes();
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
