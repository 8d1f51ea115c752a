package io.modelgate.bench;

import io.modelgate.demo.Api;
import io.modelgate.demo.DemoSetupException;
import io.modelgate.demo.GrpcPredictClient;
import io.modelgate.demo.PredictClient;
import io.modelgate.demo.RestPredictClient;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Every setup ({@link ChaosSetups}) under the same seeded churn ({@link ChaosPlan}: 6 replicas x 4
 * models, an event every 300 ms) and the same open-loop load through Envoy (half REST, a quarter
 * gRPC routed by the model in the body, a quarter by the {@code x-model-name} header), one setup
 * after the other in front of fresh simulated replicas. Each request is judged against the true
 * state when it was sent ({@link ChaosOracle}): a failure is avoidable if some replica that was up
 * had the model AVAILABLE. Writes bench/results/chaos.md and chaos.svg.
 *
 * <p>Usage: {@code ChaosBenchmark [--rate 300] [--duration 45] [--seed 14] [--setups BASELINE,MODELGATE]}
 * (requests per second, seconds of churn per setup).
 */
public final class ChaosBenchmark {
  static final List<String> MODELS = List.of("a", "b", "c", "d");
  static final int REPLICAS = 6;
  static final Duration DEADLINE = Duration.ofSeconds(2);
  /**
   * Load without churn before measuring, while a fresh modelgate JVM compiles its hot paths: after
   * 3 s its JIT compiler still took a fifth of a core during the measured phase.
   */
  static final Duration WARM_UP = Duration.ofSeconds(20);
  private static final Pattern COUNTER =
      Pattern.compile("(?m)^cluster\\.modelgate/[^:]+\\.(upstream_rq_retry_overflow|upstream_rq_retry|upstream_rq_per_try_timeout): (\\d+)$");

  /** Which way a request goes: REST, or gRPC routed by header or (modelgate only) by body. */
  enum Stream { REST, GRPC_HEADER, GRPC_BODY }

  /** One request: when it was sent, what for, how it ended. */
  /** One request: when, for what, how it ended; {@code heldMs} as the response said (modelgate only). */
  record Sample(
      long sentNanos, String model, Stream stream, boolean ok, long latencyNanos, String reason, OptionalLong heldMs) {}

  /** Settings of one run, shown in the report. */
  record Settings(double rate, int seconds, long seed, String envoyVersion, int cores) {}

  record SetupResult(ChaosSetups setup, List<Sample> samples, ChaosOracle oracle, long originNanos, Map<String, Long> envoyCounters) {}

  public static void main(String[] args) throws Exception {
    double rate = 300;
    int seconds = 45;
    long seed = 14;
    List<ChaosSetups> setups = List.of(ChaosSetups.BASELINE, ChaosSetups.MODELGATE);
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--rate" -> rate = Double.parseDouble(value);
        case "--duration" -> seconds = Integer.parseInt(value);
        case "--seed" -> seed = Long.parseLong(value);
        case "--setups" -> setups = Arrays.stream(value.split(",")).map(s -> ChaosSetups.valueOf(s.strip())).toList();
        default -> throw new IllegalArgumentException(
            "usage: bench/chaos [--rate R] [--duration S] [--seed N] [--setups " + List.of(ChaosSetups.values()) + "]");
      }
      i++;
    }
    List<String> replicas = IntStream.range(0, REPLICAS).mapToObj(i -> "r" + i).toList();
    ChaosPlan plan = ChaosPlan.generate(seed, replicas, MODELS, seconds * 1000L);
    System.out.println("seed " + seed + ": " + plan.actions().size() + " actions " + plan.counts() + ", initial " + plan.initial());
    List<SetupResult> results = new ArrayList<>();
    for (ChaosSetups setup : setups) {
      System.out.println("running " + setup + ": " + setup.description);
      SetupResult result = run(setup, plan, rate, seconds);
      results.add(result);
      System.out.println("  " + ChaosReport.summaryLine(result));
    }
    Settings settings =
        new Settings(rate, seconds, seed, ComparisonBenchmark.envoyVersion(), Runtime.getRuntime().availableProcessors());
    String report = ChaosReport.markdown(results, plan, settings);
    System.out.println(report);
    Files.createDirectories(Path.of("bench/results"));
    Files.writeString(Path.of("bench/results/chaos.md"), report);
    Files.writeString(Path.of("bench/results/chaos.svg"), ChaosReport.svg(results, plan, seconds));
  }

  private static SetupResult run(ChaosSetups setup, ChaosPlan plan, double rate, int seconds) throws Exception {
    SimulatorOptions options = SimulatorOptions.defaults().withReplicas(REPLICAS);
    try (Simulator simulator = Simulator.start(options)) {
      ChaosOracle oracle = new ChaosOracle();
      ChaosChurn churn = new ChaosChurn(plan, simulator, oracle, MODELS);
      churn.place();
      try (ComparisonSetups.Running running = start(setup, simulator)) {
        ComparisonBenchmark.awaitRoutable(running.adminPort, plan.initial());
        InetSocketAddress envoy = new InetSocketAddress("127.0.0.1", running.listenerPort);
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        List<PredictClient> clients = new ArrayList<>();
        List<OpenLoopPhase.Slot> warmUp = new ArrayList<>();
        List<OpenLoopPhase.Slot> slots = new ArrayList<>();
        try {
          for (String model : MODELS) {
            // Half REST, a quarter gRPC by header, a quarter by body (by header on the baseline,
            // which cannot read the body).
            for (Stream stream : List.of(Stream.REST, Stream.GRPC_HEADER, Stream.REST, Stream.GRPC_BODY)) {
              PredictClient client =
                  stream == Stream.REST
                      ? new RestPredictClient(envoy, model)
                      : new GrpcPredictClient(envoy, model, stream == Stream.GRPC_HEADER || !setup.routesByBody());
              clients.add(client);
              warmUp.add(new OpenLoopPhase.Slot(model + " " + stream, client));
              slots.add(new OpenLoopPhase.Slot(model + " " + stream, recording(client, model, stream, samples)));
            }
          }
          OpenLoopPhase.run(warmUp, rate, WARM_UP, DEADLINE);
          Map<String, Long> before = envoyCounters(running.adminPort);
          long origin = System.nanoTime();
          Thread chaos = new Thread(() -> churn.run(origin), "chaos");
          chaos.start();
          try {
            OpenLoopPhase.run(slots, rate, Duration.ofSeconds(seconds), DEADLINE);
          } finally {
            chaos.interrupt();
            chaos.join();
          }
          Map<String, Long> counters = envoyCounters(running.adminPort);
          before.forEach((name, n) -> counters.merge(name, -n, Long::sum));
          synchronized (samples) {
            return new SetupResult(setup, List.copyOf(samples), oracle, origin, counters);
          }
        } finally {
          clients.forEach(PredictClient::close);
        }
      }
    }
  }

  /**
   * The setup, started a second time if the first lost a port race: free ports are picked before
   * Envoy binds them, and other processes on this machine may take one meanwhile.
   */
  private static ComparisonSetups.Running start(ChaosSetups setup, Simulator simulator) throws Exception {
    try {
      return setup.start(simulator, MODELS);
    } catch (DemoSetupException e) {
      if (!String.valueOf(e.getMessage()).contains("Address already in use")) {
        throw e;
      }
      System.out.println("  a port was taken before Envoy bound it; starting again");
      return setup.start(simulator, MODELS);
    }
  }

  /** {@code call}, each completion added to {@code samples} with its send time and outcome. */
  private static PredictClient recording(PredictClient call, String model, Stream stream, List<Sample> samples) {
    return new PredictClient() {
      @Override
      public Api api() {
        return call.api();
      }

      @Override
      public CompletableFuture<Answered> predict(Duration deadline) {
        long sent = System.nanoTime();
        return call.predict(deadline)
            .whenComplete(
                (answered, error) ->
                    samples.add(
                        new Sample(
                            sent, model, stream, error == null, System.nanoTime() - sent,
                            error == null ? "" : OpenLoopPhase.reason(error),
                            error == null ? answered.heldMs() : OptionalLong.empty())));
      }

      @Override
      public void close() {
        call.close();
      }
    };
  }

  /** Envoy's retry counters summed over the model clusters. */
  private static Map<String, Long> envoyCounters(int adminPort) throws Exception {
    Map<String, Long> sums = new LinkedHashMap<>();
    Matcher m = COUNTER.matcher(ComparisonBenchmark.admin(adminPort, "/stats"));
    while (m.find()) {
      sums.merge(m.group(1), Long.parseLong(m.group(2)), Long::sum);
    }
    return sums;
  }
}
