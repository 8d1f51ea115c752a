package io.modelgate.bench;

import io.modelgate.sources.TestReplicas;
import com.sun.management.OperatingSystemMXBean;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.probing.ModelStatusProbes;
import io.modelgate.probing.ProbeOutcome;
import io.modelgate.probing.Prober;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long one probe round of R replicas x M models takes, against simulated TF Serving replicas
 * in a separate process, measured against the probe interval (the round must finish within it).
 * Prints a Markdown table and writes it to bench/results/probe-scale.md.
 *
 * <p>Usage: {@code ProbeScaleBenchmark [replicas] [models] [seconds]} (default 200 10 30).
 */
public final class ProbeScaleBenchmark {
  private static final Pattern REPLICA_LINE = Pattern.compile("^(r\\d+) grpc=([^:]+):(\\d+) rest=[^:]+:(\\d+)$");

  public static void main(String[] args) throws Exception {
    int replicaCount = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int modelCount = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    ProbeConfig probe =
        new ProbeConfig(
            Duration.ofSeconds(1), Duration.ofMillis(500), 1, 2, Duration.ofSeconds(5), Integer.getInteger("bench.concurrency", 256), Double.parseDouble(System.getProperty("bench.jitter", "0.1")), Duration.ofSeconds(10), Duration.ofMillis(100));

    List<String> command = new ArrayList<>(List.of(
        javaBinary(), "-jar", "target/modelgate.jar", "simulate",
        "--replicas", String.valueOf(replicaCount), "--base-port", "0", "--control-port", "0"));
    List<ModelConfig> models = new ArrayList<>();
    for (int m = 0; m < modelCount; m++) {
      command.add("--model");
      command.add("model" + m + ":1");
      models.add(ModelConfig.any("model" + m));
    }
    Process simulator = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      List<ReplicaConfig> replicas = readReplicas(simulator, replicaCount);
      Result result = run(replicas, models, probe, seconds);
      Duration simulatorCpu = simulator.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
      String table = result.table(replicaCount, modelCount, probe, seconds, simulatorCpu);
      System.out.println(table);
      Files.createDirectories(Path.of("bench/results"));
      Files.writeString(Path.of("bench/results/probe-scale.md"), table);
    } finally {
      simulator.destroy();
      simulator.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static List<ReplicaConfig> readReplicas(Process simulator, int count) throws IOException {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(simulator.getInputStream(), StandardCharsets.UTF_8));
    List<ReplicaConfig> replicas = new ArrayList<>();
    String line;
    while (replicas.size() < count && (line = out.readLine()) != null) {
      Matcher m = REPLICA_LINE.matcher(line.trim());
      if (m.matches()) {
        replicas.add(new ReplicaConfig(
            m.group(1), m.group(2), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Protocol.GRPC));
      }
    }
    if (replicas.size() < count) {
      throw new IllegalStateException("simulator printed " + replicas.size() + " of " + count + " replicas");
    }
    return replicas;
  }

  private static Result run(List<ReplicaConfig> replicas, List<ModelConfig> models, ProbeConfig probe, int seconds)
      throws InterruptedException {
    // Every answer's wall-clock time per key; rounds are matched to answers afterwards.
    ConcurrentHashMap<String, ConcurrentLinkedQueue<Instant>> answers = new ConcurrentHashMap<>();
    AtomicLong failedDuringRun = new AtomicLong();
    AtomicBoolean measuring = new AtomicBoolean();
    ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
    ModelStatusProbes probes = new ModelStatusProbes(probe.timeout());
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Prober prober =
        new Prober(
            models,
            probe,
            probes::open,
            (replica, model, outcome) -> {
              Instant now = Instant.now();
              answers.computeIfAbsent(replica + "/" + model, k -> new ConcurrentLinkedQueue<>()).add(now);
              if (measuring.get() && outcome instanceof ProbeOutcome.Failed) {
                failedDuringRun.incrementAndGet();
              }
            },
            timer,
            Clock.systemUTC());
    int keys = replicas.size() * models.size();
    List<Instant> roundStarts = new ArrayList<>();
    try {
      prober.replicasChanged(TestReplicas.set(replicas));
      prober.start();
      // Warm-up: channels connect and the JIT settles.
      Thread.sleep(3000);
      measuring.set(true);
      long cpuStart = os.getProcessCpuTime();
      long sentStart = prober.counters().sent();
      long skippedStart = prober.counters().skipped();
      long wallStart = System.nanoTime();
      while (System.nanoTime() - wallStart < TimeUnit.SECONDS.toNanos(seconds)) {
        Instant round = prober.lastRoundStarted().orElseThrow();
        if (roundStarts.isEmpty() || !roundStarts.get(roundStarts.size() - 1).equals(round)) {
          roundStarts.add(round);
        }
        Thread.sleep(1);
      }
      long wall = System.nanoTime() - wallStart;
      long cpu = os.getProcessCpuTime() - cpuStart;
      long sent = prober.counters().sent() - sentStart;
      long skipped = prober.counters().skipped() - skippedStart;
      // Let the last measured round finish before matching answers to rounds.
      Thread.sleep(probe.interval().plus(probe.timeout()).toMillis());
      List<Double> roundMillis = new ArrayList<>();
      for (int i = 0; i + 1 < roundStarts.size(); i++) {
        roundMillis.add(roundDuration(answers, keys, roundStarts.get(i), roundStarts.get(i + 1), probe));
      }
      return new Result(roundMillis, sent * 1e9 / wall, cpu * 100.0 / wall, skipped, failedDuringRun.get(), keys);
    } finally {
      prober.close();
      timer.shutdownNow();
    }
  }

  /**
   * From a round's start to the last of its answers: each key's first answer at or after the start
   * and before the next round's start plus one timeout (a late answer still belongs to its round).
   * A key with no such answer makes the round as long as that whole window.
   */
  private static double roundDuration(
      ConcurrentHashMap<String, ConcurrentLinkedQueue<Instant>> answers,
      int keys,
      Instant start,
      Instant next,
      ProbeConfig probe) {
    Instant windowEnd = next.plus(probe.timeout());
    Instant last = start;
    int answered = 0;
    for (ConcurrentLinkedQueue<Instant> times : answers.values()) {
      Instant first = null;
      for (Instant t : times) {
        if (!t.isBefore(start) && t.isBefore(windowEnd) && (first == null || t.isBefore(first))) {
          first = t;
        }
      }
      if (first != null) {
        answered++;
        if (first.isAfter(last)) {
          last = first;
        }
      }
    }
    Instant end = answered == keys ? last : windowEnd;
    return Duration.between(start, end).toNanos() / 1e6;
  }

  private record Result(
      List<Double> roundMillis, double probesPerSecond, double cpuPercent, long skipped, long failed, int keys) {

    String table(int replicas, int models, ProbeConfig probe, int seconds, Duration simulatorCpu) {
      List<Double> sorted = new ArrayList<>(roundMillis);
      Collections.sort(sorted);
      double interval = probe.interval().toMillis();
      double p50 = percentile(sorted, 0.50);
      double p99 = percentile(sorted, 0.99);
      double max = sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
      return String.format(
          Locale.ROOT,
          """
          # Probe round at scale

          %d replicas x %d models = %d (replica, model) keys, gRPC GetModelStatus, interval %d ms,
          timeout %d ms, max %d in flight; %d s measured after 3 s warm-up on %d cores.
          The simulator runs in its own process (its CPU: %.1f s in total).

          | figure | value | vs interval |
          |---|---|---|
          | rounds measured | %d | |
          | round duration p50 | %.0f ms | %.2f x |
          | round duration p99 | %.0f ms | %.2f x |
          | round duration max | %.0f ms | %.2f x |
          | probes per second | %.0f | %.2f x keys/interval |
          | modelgate CPU (prober process) | %.1f %% of one core | |
          | keys skipped (previous probe still in flight) | %d | |
          | probes that failed (timeout, refused) | %d | |

          Goal: a whole round within one interval (ratio < 1.00).
          """,
          replicas, models, keys, probe.interval().toMillis(), probe.timeout().toMillis(), probe.maxConcurrency(),
          seconds, Runtime.getRuntime().availableProcessors(), simulatorCpu.toMillis() / 1000.0,
          sorted.size(),
          p50, p50 / interval,
          p99, p99 / interval,
          max, max / interval,
          probesPerSecond, probesPerSecond / (keys * 1000.0 / interval),
          cpuPercent, skipped, failed);
    }

    private static double percentile(List<Double> sorted, double q) {
      if (sorted.isEmpty()) {
        return Double.NaN;
      }
      return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }
  }
}
