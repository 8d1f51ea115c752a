package io.modelgate.bench;

import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.probing.VersionState;
import io.modelgate.view.ReplicaState;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.xds.RoutingRig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long a model's state change on a replica takes to reach Envoy's load balancer: a simulated
 * replica's model is flipped between AVAILABLE and END many times, and each time the clock runs
 * from the flip until Envoy's admin {@code /clusters} shows the endpoint's new health. The time
 * modelgate's health view took to see the flip is recorded too, so the two parts (probing, then
 * xDS push and apply) can be told apart. Real Envoy, real modelgate control plane, all loopback.
 *
 * <p>Usage: {@code XdsConvergenceBenchmark [flips] [probeIntervalMs...]} (default 100 200 1000):
 * one run per interval. Prints Markdown tables and writes them to bench/results/xds-convergence.md.
 */
public final class XdsConvergenceBenchmark {
  private static final String MODEL = "m";
  private static final String CLUSTER = "modelgate/m/rest";
  private static final Duration FLIP_LIMIT = Duration.ofSeconds(10);

  public static void main(String[] args) throws Exception {
    int flips = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    List<Long> intervals = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      intervals.add(Long.parseLong(args[i]));
    }
    if (intervals.isEmpty()) {
      intervals = List.of(200L, 1000L);
    }
    StringBuilder report = new StringBuilder("# xDS convergence: model state flip on a replica -> Envoy endpoint health\n");
    for (long intervalMs : intervals) {
      report.append('\n').append(run(flips, Duration.ofMillis(intervalMs)));
    }
    System.out.println(report);
    Files.createDirectories(Path.of("bench/results"));
    Files.writeString(Path.of("bench/results/xds-convergence.md"), report.toString());
  }

  private static String run(int flips, Duration interval) throws Exception {
    ProbeConfig fast = RoutingRig.FAST_PROBES;
    ProbeConfig probes =
        new ProbeConfig(
            interval,
            fast.timeout(),
            fast.healthyThreshold(),
            fast.unhealthyThreshold(),
            fast.staleness().plus(interval),
            fast.maxConcurrency(),
            fast.jitter(),
            fast.startupTimeout(),
            fast.urgentInterval());
    List<Double> toEnvoy = new ArrayList<>();
    List<Double> toView = new ArrayList<>();
    try (RoutingRig rig =
        RoutingRig.start(
            SimulatorOptions.defaults().withModel(MODEL, 1), sim -> {}, List.of(ModelConfig.any(MODEL)), probes)) {
      SimulatedReplica replica = rig.replica("r1");
      AtomicLong viewSawIt = new AtomicLong();
      try (AutoCloseable subscription =
          rig.controlPlane().view().subscribe(view -> {
            ReplicaHealth health = view.models().get(MODEL).replicas().get("r1");
            viewSawIt.set(health.state() == ReplicaState.READY ? System.nanoTime() : -System.nanoTime());
          })) {
        awaitEnvoy(rig, true, System.nanoTime());
        boolean available = true;
        for (int i = 0; i < flips; i++) {
          // A random pause decorrelates the flip from the probe schedule.
          Thread.sleep(ThreadLocalRandom.current().nextLong(interval.toMillis()));
          available = !available;
          long flipped = System.nanoTime();
          replica.setState(MODEL, 1, available ? VersionState.AVAILABLE : VersionState.END);
          long applied = awaitEnvoy(rig, available, flipped);
          toEnvoy.add(millis(applied - flipped));
          long seen = Math.abs(viewSawIt.get());
          toView.add(seen >= flipped ? millis(seen - flipped) : Double.NaN);
        }
      }
      if (rig.rejectedUpdates() != 0) {
        throw new IllegalStateException("Envoy rejected " + rig.rejectedUpdates() + " updates");
      }
    }
    return table(flips, probes, toView, toEnvoy);
  }

  /** Polls Envoy's admin as fast as it answers; returns when the endpoint shows the new health. */
  private static long awaitEnvoy(RoutingRig rig, boolean routable, long since) {
    while (System.nanoTime() - since < FLIP_LIMIT.toNanos()) {
      if (rig.hosts().routable(CLUSTER, "r1") == routable) {
        return System.nanoTime();
      }
    }
    throw new IllegalStateException("Envoy did not apply the flip within " + FLIP_LIMIT);
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  private static String table(int flips, ProbeConfig probes, List<Double> toView, List<Double> toEnvoy) {
    List<Double> push = new ArrayList<>();
    for (int i = 0; i < toEnvoy.size(); i++) {
      if (!toView.get(i).isNaN()) {
        push.add(toEnvoy.get(i) - toView.get(i));
      }
    }
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "## Probe interval %d ms%n%n", probes.interval().toMillis()));
    out.append(
        String.format(
            Locale.ROOT,
            "%d flips (AVAILABLE <-> END on one of two simulated replicas), probe interval %d ms, timeout %d ms, "
                + "jitter %.0f%%, healthy threshold %d; Envoy %s polled on admin /clusters. %d cores.%n%n",
            flips,
            probes.interval().toMillis(),
            probes.timeout().toMillis(),
            probes.jitter() * 100,
            probes.healthyThreshold(),
            envoyVersion(),
            Runtime.getRuntime().availableProcessors()));
    out.append("| stage | median ms | p99 ms | max ms |\n|---|---:|---:|---:|\n");
    row(out, "flip -> modelgate health view", toView.stream().filter(d -> !d.isNaN()).toList());
    row(out, "health view -> Envoy applied (xDS push)", push);
    row(out, "flip -> Envoy applied (total)", toEnvoy);
    out.append(
        String.format(
            Locale.ROOT,
            "%nThe total is bounded by one probe interval (the flip waits for the next probe) plus the push;%n"
                + "its median is about half an interval plus the push.%n"));
    return out.toString();
  }

  private static void row(StringBuilder out, String stage, List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    out.append(
        String.format(
            Locale.ROOT,
            "| %s | %.1f | %.1f | %.1f |%n",
            stage,
            percentile(sorted, 50),
            percentile(sorted, 99),
            sorted.get(sorted.size() - 1)));
  }

  private static double percentile(List<Double> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static String envoyVersion() {
    try {
      Process process = new ProcessBuilder("envoy", "--version").redirectErrorStream(true).start();
      String text = new String(process.getInputStream().readAllBytes()).trim();
      process.waitFor();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("version: \\S+?/(\\d+\\.\\d+\\.\\d+)/").matcher(text);
      return m.find() ? m.group(1) : "?";
    } catch (Exception e) {
      return "?";
    }
  }
}
