package io.modelgate.bench;

import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.demo.GrpcPredictClient;
import io.modelgate.demo.RestPredictClient;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.RoutingRig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What modelgate's gateway filter (Envoy ext_proc) adds to a Predict call's latency: two
 * complete rigs run side by side, A with the filter and B without, each with two simulated TF
 * Serving replicas that both have the model loaded, its own modelgate control plane and its own
 * real Envoy. The same open-loop traffic (fixed rate, latency from each request's due time) goes
 * through each Envoy in alternating phases A, B, A, B after a discarded warm-up on each, and the
 * rounds are merged per side.
 *
 * <p>Requests cycle through three slots: REST predict, gRPC Predict with {@code x-model-name},
 * and a third gRPC Predict that carries no header on A (only the filter can route it) and the
 * header on B, so both sides see the same rate and the same REST/gRPC mix.
 *
 * <p>Usage: {@code GatewayLatencyBenchmark [ratePerSecond] [secondsPerPhase]} (default 200, 20).
 * Prints a Markdown report and writes it to bench/results/gateway-latency.md.
 */
public final class GatewayLatencyBenchmark {
  private static final String MODEL = "m";

  private static InetSocketAddress envoy(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }
  private static final String REST = "REST predict";
  private static final String GRPC = "gRPC Predict + x-model-name";
  private static final String GRPC_BARE = "gRPC Predict, no header";
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private static final int ROUNDS = 2;
  /** Slower than the tests' fast probes: probing is background load on both sides alike. */
  private static final ProbeConfig PROBES = ProbeConfig.defaults();

  public static void main(String[] args) throws Exception {
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 200;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    Duration phase = Duration.ofSeconds(seconds);
    Duration warmUp = Duration.ofSeconds(Math.max(2, seconds / 2));

    List<OpenLoopPhase.Result> phasesA = new ArrayList<>();
    List<OpenLoopPhase.Result> phasesB = new ArrayList<>();
    List<OpenLoopPhase.Result> warmUps = new ArrayList<>();
    String bareOnB;
    FilterCounters warmUpCounters;
    FilterCounters measuredCounters;
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    try (Side a = Side.start("A", ExtProcConfig.loopbackEphemeral());
        Side b = Side.start("B", ExtProcConfig.disabled())) {
      bareOnB = checkOnlyTheFilterRoutesBareGrpc(a, b);
      System.err.printf(Locale.ROOT, "warm-up: %d s on each side%n", warmUp.toSeconds());
      warmUps.add(OpenLoopPhase.run(a.slots, rate, warmUp, DEADLINE));
      warmUps.add(OpenLoopPhase.run(b.slots, rate, warmUp, DEADLINE));
      warmUpCounters = FilterCounters.read(a.rig);
      for (int round = 1; round <= ROUNDS; round++) {
        System.err.printf(Locale.ROOT, "round %d/%d: A then B, %d s each%n", round, ROUNDS, seconds);
        phasesA.add(OpenLoopPhase.run(a.slots, rate, phase, DEADLINE));
        phasesB.add(OpenLoopPhase.run(b.slots, rate, phase, DEADLINE));
      }
      measuredCounters = FilterCounters.read(a.rig).minus(warmUpCounters);
      for (Side side : List.of(a, b)) {
        if (side.rig.rejectedUpdates() != 0) {
          throw new IllegalStateException("Envoy " + side.name + " rejected " + side.rig.rejectedUpdates() + " updates");
        }
      }
    }
    String report =
        new Report(rate, seconds, warmUp, loadBefore, warmUps, phasesA, phasesB, bareOnB, warmUpCounters, measuredCounters)
            .render();
    System.out.println(report);
    Files.createDirectories(Path.of("bench/results"));
    Files.writeString(Path.of("bench/results/gateway-latency.md"), report);
  }

  /**
   * Proves the two sides differ where they should before anything is measured: a header-less gRPC
   * Predict works through A and fails through B. Returns B's answer for the report.
   */
  private static String checkOnlyTheFilterRoutesBareGrpc(Side a, Side b) throws InterruptedException {
    try (GrpcPredictClient bareA = new GrpcPredictClient(envoy(a.rig.listenerPort()), MODEL, false);
        GrpcPredictClient bareB = new GrpcPredictClient(envoy(b.rig.listenerPort()), MODEL, false)) {
      bareA.predict(DEADLINE).get(DEADLINE.toSeconds() + 1, TimeUnit.SECONDS);
      try {
        bareB.predict(DEADLINE).get(DEADLINE.toSeconds() + 1, TimeUnit.SECONDS);
      } catch (ExecutionException expected) {
        return expected.getCause().getMessage();
      }
      throw new IllegalStateException("a header-less gRPC Predict was routed without the filter: is B's filter off?");
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("a header-less gRPC Predict failed through the filter (A): " + e, e);
    }
  }

  /**
   * A's gateway filter counters in Envoy: every request should open a stream, and none should time
   * out and fall through fail-open (that would measure the timeout, not the filter).
   */
  private record FilterCounters(long streams, long failedStreams, long timeouts, long failedOpen) {
    private static final String PREFIX = "http.modelgate.ext_proc.modelgate_gateway.";

    static FilterCounters read(RoutingRig rig) {
      return new FilterCounters(
          rig.counter(PREFIX + "streams_started"),
          rig.counter(PREFIX + "streams_failed"),
          rig.counter(PREFIX + "message_timeouts"),
          rig.counter(PREFIX + "failure_mode_allowed"));
    }

    FilterCounters minus(FilterCounters earlier) {
      return new FilterCounters(
          streams - earlier.streams,
          failedStreams - earlier.failedStreams,
          timeouts - earlier.timeouts,
          failedOpen - earlier.failedOpen);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d filter streams, %d failed streams, %d message timeouts, %d failed open",
          streams,
          failedStreams,
          timeouts,
          failedOpen);
    }
  }

  /** One rig and the clients that drive it; closing stops both. */
  private static final class Side implements AutoCloseable {
    final String name;
    final RoutingRig rig;
    final List<OpenLoopPhase.Slot> slots;

    private Side(String name, RoutingRig rig, List<OpenLoopPhase.Slot> slots) {
      this.name = name;
      this.rig = rig;
      this.slots = slots;
    }

    static Side start(String name, ExtProcConfig extProc) {
      RoutingRig rig =
          RoutingRig.start(
              SimulatorOptions.defaults().withReplicas(2).withModel(MODEL, 1),
              sim -> {},
              List.of(ModelConfig.any(MODEL)),
              PROBES,
              extProc);
      try {
        for (String cluster : List.of("modelgate/m/rest", "modelgate/m/grpc")) {
          for (String replica : List.of("r0", "r1")) {
            rig.awaitRoutable(cluster, replica, true);
          }
        }
      } catch (RuntimeException e) {
        rig.close();
        throw e;
      }
      int port = rig.listenerPort();
      // One channel per gRPC slot on both sides, so both spread over Envoy's workers alike.
      OpenLoopPhase.Slot third =
          extProc.enabled()
              ? new OpenLoopPhase.Slot(GRPC_BARE, new GrpcPredictClient(envoy(port), MODEL, false))
              : new OpenLoopPhase.Slot(GRPC, new GrpcPredictClient(envoy(port), MODEL, true));
      return new Side(
          name,
          rig,
          List.of(
              new OpenLoopPhase.Slot(REST, new RestPredictClient(envoy(port), MODEL)),
              new OpenLoopPhase.Slot(GRPC, new GrpcPredictClient(envoy(port), MODEL, true)),
              third));
    }

    @Override
    public void close() {
      slots.forEach(slot -> slot.call().close());
      rig.close();
    }
  }

  /** The Markdown report: merged table, per-phase table, sender lateness, failures, notes. */
  private record Report(
      double rate,
      int seconds,
      Duration warmUp,
      String loadBefore,
      List<OpenLoopPhase.Result> warmUps,
      List<OpenLoopPhase.Result> phasesA,
      List<OpenLoopPhase.Result> phasesB,
      String bareOnB,
      FilterCounters warmUpCounters,
      FilterCounters measuredCounters) {

    String render() {
      LatencyLog a = LatencyLog.merge(phasesA.stream().map(OpenLoopPhase.Result::latencies).toList());
      LatencyLog b = LatencyLog.merge(phasesB.stream().map(OpenLoopPhase.Result::latencies).toList());
      StringBuilder out = new StringBuilder();
      out.append("# Gateway filter latency: Envoy with modelgate's ext_proc filter (A) against without (B)\n\n");
      out.append(
          String.format(
              Locale.ROOT,
              "Machine: %d cores. Envoy %s. Open-loop traffic at %.0f req/s per side, %d s per measured phase,"
                  + " phases A, B, A, B (%d rounds merged per side) after a discarded %d s warm-up on each side;"
                  + " latency measured from each request's scheduled send time; %s deadline per call.%n%n",
              Runtime.getRuntime().availableProcessors(),
              envoyVersion(),
              rate,
              seconds,
              ROUNDS,
              warmUp.toSeconds(),
              DEADLINE.toSeconds() + " s"));
      out.append(
          "Each side: 2 simulated TF Serving replicas with the model loaded on both, its own modelgate control plane"
              + " and its own Envoy (A: ext_proc gateway filter before the router, fail-open, default message timeout (500 ms; the results below were measured at 200 ms),"
              + " gRPC bodies BUFFERED, plus the upstream observer on the model clusters; B: no filter)."
              + " Requests cycle REST, gRPC + header, and a third gRPC call: without the header on A, with it on B,"
              + " so both sides get the same rate and REST/gRPC mix.\n\n");
      out.append(
          "Load average before the run (/proc/loadavg): `"
              + loadBefore
              + "`. The simulated replicas' REST server "
              + (Boolean.getBoolean("sun.net.httpserver.nodelay") ? "has" : "does NOT have")
              + " TCP_NODELAY (sun.net.httpserver.nodelay, set by bench/gateway-latency).\n\n");
      out.append("| API | side | requests | failures | p50 ms | p90 ms | p99 ms | p50 A/B | p99 A/B | p50 added ms | p99 added ms |\n");
      out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (String api : List.of(REST, GRPC)) {
        row(out, api, "B (no filter)", b, api, null, null);
        row(out, api, "A (filter)", a, api, b, api);
      }
      row(out, GRPC_BARE, "A (filter)", a, GRPC_BARE, b, GRPC);
      out.append(
          "\nThe last row has no B of its own: without the filter a header-less gRPC call is not routed (B answered: `"
              + bareOnB
              + "`); its ratio is against B's gRPC with header.\n\n"
              + "A's Envoy in the measured phases: "
              + measuredCounters
              + " (in the warm-up, including the single check call: "
              + warmUpCounters
              + ").\n");

      out.append("\n## Per phase\n\n| phase | API | requests | failures | p50 ms | p99 ms |\n|---|---|---:|---:|---:|---:|\n");
      for (int round = 0; round < ROUNDS; round++) {
        phaseRows(out, "A" + (round + 1), phasesA.get(round).latencies(), List.of(REST, GRPC, GRPC_BARE));
        phaseRows(out, "B" + (round + 1), phasesB.get(round).latencies(), List.of(REST, GRPC));
      }

      out.append("\n## Sender lateness (scheduled send time to actual send; included in the latencies above)\n\n");
      out.append("| side | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|\n");
      lagRow(out, "A", phasesA);
      lagRow(out, "B", phasesB);

      long failures = a.failureCount(REST) + a.failureCount(GRPC) + a.failureCount(GRPC_BARE) + b.failureCount(REST) + b.failureCount(GRPC);
      out.append("\n## Failures\n\n");
      if (failures == 0) {
        out.append("None in the measured phases.\n");
      } else {
        for (var entry : List.of(Map.entry("A", a), Map.entry("B", b))) {
          for (String api : List.of(REST, GRPC, GRPC_BARE)) {
            entry.getValue().failures(api).forEach((why, n) ->
                out.append(String.format(Locale.ROOT, "- %s, %s: %d x `%s`%n", entry.getKey(), api, n, why)));
          }
        }
      }

      for (int i = 0; i < warmUps.size(); i++) {
        LatencyLog log = warmUps.get(i).latencies();
        String side = i == 0 ? "A" : "B";
        long requests = 0;
        for (String api : List.of(REST, GRPC, GRPC_BARE)) {
          requests += log.sorted(api).length + log.failureCount(api);
        }
        out.append(String.format(Locale.ROOT, "%nWarm-up %s (discarded): %d requests", side, requests));
        for (String api : List.of(REST, GRPC, GRPC_BARE)) {
          log.failures(api).forEach((why, n) -> out.append(String.format(Locale.ROOT, "; %s: %d x `%s`", api, n, why)));
        }
        out.append(", slowest ").append(String.format(Locale.ROOT, "%.1f ms.%n", slowest(log)));
      }

      out.append("\n## Noise\n\n");
      out.append(
          String.format(
              Locale.ROOT,
              "Everything shares the %d cores: the load generator, both control planes (one JVM), two Envoys with"
                  + " one worker per core each, and four simulated replicas. Same-side phases differ in p99 by up to"
                  + " %.0f %% here (p50 by up to %.0f %%); differences between A and B below that are not"
                  + " meaningful, and p99 is the noisier figure. The sender's own lateness (its timer wakes up a little"
                  + " late) is in both sides' latencies alike: it shrinks the ratios a little, not the added ms.%n",
              Runtime.getRuntime().availableProcessors(),
              spread(99),
              spread(50)));
      return out.toString();
    }

    private static double slowest(LatencyLog log) {
      double max = 0;
      for (String api : List.of(REST, GRPC, GRPC_BARE)) {
        long[] sorted = log.sorted(api);
        if (sorted.length > 0) {
          max = Math.max(max, sorted[sorted.length - 1] / 1e6);
        }
      }
      return max;
    }

    /** Largest relative difference between the rounds of one side, for one percentile, over all APIs. */
    private double spread(double p) {
      double worst = 0;
      for (List<OpenLoopPhase.Result> phases : List.of(phasesA, phasesB)) {
        for (String api : List.of(REST, GRPC, GRPC_BARE)) {
          double min = Double.MAX_VALUE;
          double max = 0;
          for (OpenLoopPhase.Result phase : phases) {
            long[] sorted = phase.latencies().sorted(api);
            if (sorted.length > 0) {
              double v = LatencyLog.percentileMs(sorted, p);
              min = Math.min(min, v);
              max = Math.max(max, v);
            }
          }
          if (max > 0) {
            worst = Math.max(worst, (max - min) / min * 100);
          }
        }
      }
      return worst;
    }

    private static void row(
        StringBuilder out, String api, String side, LatencyLog log, String stream, LatencyLog base, String baseStream) {
      long[] sorted = log.sorted(stream);
      long failures = log.failureCount(stream);
      double p50 = LatencyLog.percentileMs(sorted, 50);
      double p99 = LatencyLog.percentileMs(sorted, 99);
      String compared = "| | | | ";
      if (base != null) {
        long[] baseSorted = base.sorted(baseStream);
        double b50 = LatencyLog.percentileMs(baseSorted, 50);
        double b99 = LatencyLog.percentileMs(baseSorted, 99);
        compared =
            String.format(
                Locale.ROOT, "| %.2f | %.2f | %+.3f | %+.3f ", p50 / b50, p99 / b99, p50 - b50, p99 - b99);
      }
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %d | %d | %.3f | %.3f | %.3f %s|%n",
              api,
              side,
              sorted.length + failures,
              failures,
              p50,
              LatencyLog.percentileMs(sorted, 90),
              p99,
              compared));
    }

    private static void phaseRows(StringBuilder out, String phase, LatencyLog log, List<String> apis) {
      for (String api : apis) {
        long[] sorted = log.sorted(api);
        long failures = log.failureCount(api);
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %d | %d | %.3f | %.3f |%n",
                phase,
                api,
                sorted.length + failures,
                failures,
                LatencyLog.percentileMs(sorted, 50),
                LatencyLog.percentileMs(sorted, 99)));
      }
    }

    private static void lagRow(StringBuilder out, String side, List<OpenLoopPhase.Result> phases) {
      LatencyLog lag = LatencyLog.merge(phases.stream().map(OpenLoopPhase.Result::senderLag).toList());
      LatencyLog all = new LatencyLog();
      for (String api : List.of(REST, GRPC, GRPC_BARE)) {
        for (long v : lag.sorted(api)) {
          all.ok("all", v);
        }
      }
      long[] sorted = all.sorted("all");
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.3f | %.3f | %.3f |%n",
              side,
              LatencyLog.percentileMs(sorted, 50),
              LatencyLog.percentileMs(sorted, 99),
              sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6));
    }
  }

  private static String envoyVersion() {
    try {
      Process process = new ProcessBuilder("envoy", "--version").redirectErrorStream(true).start();
      String text = new String(process.getInputStream().readAllBytes()).trim();
      process.waitFor();
      Matcher m = Pattern.compile("version: \\S+?/(\\d+\\.\\d+\\.\\d+)/").matcher(text);
      return m.find() ? m.group(1) : "?";
    } catch (Exception e) {
      return "?";
    }
  }
}
