package io.modelgate.bench;

import io.modelgate.bench.ComparisonScenario.Event;
import io.modelgate.bench.ComparisonScenario.Step;
import io.modelgate.demo.GrpcPredictClient;
import io.modelgate.demo.PredictClient;
import io.modelgate.demo.RestPredictClient;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.xds.EnvoyHosts;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * modelgate against the baselines a user would pick instead, in one run: the same scripted
 * scenario ({@link ComparisonScenario}) and the same open-loop load through Envoy in front of
 * fresh simulated replicas, once per setup ({@link ComparisonSetups}). Reports failed requests
 * per step, how long Envoy kept sending to a replica after it lost a model (and how soon it sent
 * to one that gained it), probes per second reaching TF Serving, CPU and memory of modelgate's
 * processes, and steady-state latency against Envoy with no health checking. Writes
 * bench/results/comparison.md and comparison.svg.
 *
 * <p>Usage: {@code ComparisonBenchmark [rate]} (requests per second, default 240).
 */
public final class ComparisonBenchmark {
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private static final Duration WARM_UP = Duration.ofSeconds(4);
  private static final Pattern HEALTH_CHECKS =
      Pattern.compile("(?m)^cluster\\.modelgate/[^/]+/(rest|grpc)\\.health_check\\.attempt: (\\d+)$");

  /** One step of one setup: requests, failures by reason, latency. */
  record StepResult(String step, long requests, long failures, Map<String, Long> reasons, double p50, double p99) {}

  /** How long after an event Envoy's traffic followed it; empty if it never did in that step. */
  record Follow(Event event, OptionalLong millis) {}

  record SetupResult(
      ComparisonSetups setup,
      List<StepResult> steps,
      List<Follow> follows,
      double probesPerSecond,
      double cpuPercentOfOneCore,
      double rssMiB,
      OutcomeTimeline timeline,
      Map<String, long[]> triesPerReplica,
      List<Double> stepStartSeconds) {}

  public static void main(String[] args) throws Exception {
    double rate = args.length > 0 ? Double.parseDouble(args[0]) : 240;
    List<SetupResult> results = new ArrayList<>();
    // The latency baseline last, on a JVM as warm as the others had.
    List<ComparisonSetups> order = new ArrayList<>(List.of(ComparisonSetups.values()));
    order.remove(ComparisonSetups.DIRECT);
    order.add(ComparisonSetups.DIRECT);
    for (ComparisonSetups setup : order) {
      System.out.println("running " + setup + ": " + setup.description);
      results.add(run(setup, rate));
    }
    String report = ComparisonReport.markdown(results, rate, envoyVersion());
    System.out.println(report);
    Files.createDirectories(Path.of("bench/results"));
    Files.writeString(Path.of("bench/results/comparison.md"), report);
    Files.writeString(Path.of("bench/results/comparison.svg"), ComparisonReport.svg(results));
  }

  private static SetupResult run(ComparisonSetups setup, double rate) throws Exception {
    List<Step> steps =
        setup == ComparisonSetups.DIRECT ? List.of(ComparisonScenario.steady()) : ComparisonScenario.steps();
    int seconds = (int) steps.stream().mapToLong(s -> s.length().toSeconds()).sum() + 2;
    try (Simulator simulator = Simulator.start(ComparisonScenario.replicas());
        ComparisonSetups.Running running = setup.start(simulator)) {
      Map<String, List<String>> everywhere = new LinkedHashMap<>();
      simulator.replicas().forEach(r -> everywhere.put(r.id(), ComparisonScenario.MODELS));
      awaitRoutable(running.adminPort, everywhere);
      List<PredictClient> calls = new ArrayList<>();
      InetSocketAddress envoy = new InetSocketAddress("127.0.0.1", running.listenerPort);
      List<String> streams = new ArrayList<>();
      for (String model : ComparisonScenario.MODELS) {
        calls.add(new RestPredictClient(envoy, model));
        streams.add(model + " REST");
        calls.add(new GrpcPredictClient(envoy, model, /* routingHeader= */ true));
        streams.add(model + " gRPC");
      }
      try {
        List<OpenLoopPhase.Slot> warmUp = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
          warmUp.add(new OpenLoopPhase.Slot(streams.get(i), calls.get(i)));
        }
        OpenLoopPhase.run(warmUp, rate, WARM_UP, DEADLINE);

        long origin = System.nanoTime();
        OutcomeTimeline timeline = new OutcomeTimeline(origin, seconds);
        List<OpenLoopPhase.Slot> slots = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
          slots.add(new OpenLoopPhase.Slot(streams.get(i), timeline.recording(calls.get(i))));
        }
        long probesBefore = probes(setup, simulator, running);
        double cpuBefore = running.modelgateCpuSeconds();
        ComparisonScenario.Events events = new ComparisonScenario.Events();
        List<StepResult> stepResults = new ArrayList<>();
        List<Double> stepStarts = new ArrayList<>();
        Map<String, Long> stepEnds = new LinkedHashMap<>();
        try (HostTrafficRecorder recorder = new HostTrafficRecorder(running.adminPort)) {
          for (Step step : steps) {
            stepStarts.add((System.nanoTime() - origin) / 1e9);
            events.step(step.name());
            Thread script = new Thread(() -> step.script().run(simulator, events), "scenario");
            script.start();
            OpenLoopPhase.Result result = OpenLoopPhase.run(slots, rate, step.length(), DEADLINE);
            script.join();
            stepEnds.put(step.name(), System.nanoTime());
            stepResults.add(stepResult(step.name(), result.latencies(), streams));
            System.out.printf("  %-50s %s%n", step.name(), stepResults.get(stepResults.size() - 1));
          }
          double elapsed = (System.nanoTime() - origin) / 1e9;
          List<Follow> follows = new ArrayList<>();
          List<Event> all = events.all();
          for (Event event : all) {
            long until = stepEnds.get(event.step());
            if (!event.in()) {
              // A replica that loses a model and gets it back in the same step: judge until then.
              for (Event later : all) {
                if (later.in() && later.model().equals(event.model()) && later.replica().equals(event.replica())
                    && later.atNanos() > event.atNanos()) {
                  until = Math.min(until, later.atNanos());
                }
              }
            }
            OptionalLong at = recorder.followed(event.model(), event.replica(), event.in(), event.atNanos(), until);
            follows.add(
                new Follow(
                    event,
                    at.isPresent() ? OptionalLong.of(Math.max(0, (at.getAsLong() - event.atNanos()) / 1_000_000)) : OptionalLong.empty()));
          }
          List<String> replicas = simulator.replicas().stream().map(SimulatedReplica::id).toList();
          return new SetupResult(
              setup,
              stepResults,
              follows,
              (probes(setup, simulator, running) - probesBefore) / elapsed,
              running.modelgate.isEmpty() ? Double.NaN : 100 * (running.modelgateCpuSeconds() - cpuBefore) / elapsed,
              running.modelgate.isEmpty() ? Double.NaN : running.modelgateRssMiB(),
              timeline,
              recorder.triesPerSecond(replicas, ComparisonScenario.MODELS, origin, seconds),
              stepStarts);
        }
      } finally {
        calls.forEach(PredictClient::close);
      }
    }
  }

  private static StepResult stepResult(String step, LatencyLog log, List<String> streams) {
    List<long[]> all = new ArrayList<>();
    long failures = 0;
    Map<String, Long> reasons = new LinkedHashMap<>();
    for (String stream : streams) {
      all.add(log.sorted(stream));
      failures += log.failureCount(stream);
      log.failures(stream).forEach((why, n) -> reasons.merge(why, n, Long::sum));
    }
    long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    return new StepResult(
        step,
        merged.length + failures,
        failures,
        reasons,
        LatencyLog.percentileMs(merged, 50),
        LatencyLog.percentileMs(merged, 99));
  }

  /** What reached TF Serving that was not inference: Envoy's health checks, or modelgate's probes. */
  private static long probes(ComparisonSetups setup, Simulator simulator, ComparisonSetups.Running running)
      throws Exception {
    return switch (setup) {
      case DIRECT -> 0;
      case REST_HEALTH_CHECK -> {
        Matcher matcher = HEALTH_CHECKS.matcher(admin(running.adminPort, "/stats?usedonly"));
        long total = 0;
        while (matcher.find()) {
          total += Long.parseLong(matcher.group(2));
        }
        yield total;
      }
      case SIDECAR_HEALTH_CHECK, MODELGATE ->
          simulator.replicas().stream()
              .mapToLong(r -> r.statusCallCounts().values().stream().mapToLong(Long::longValue).sum())
              .sum();
    };
  }

  /** Until Envoy routes each replica's models to it, REST and gRPC; at most 30 s. */
  static void awaitRoutable(int adminPort, Map<String, ? extends Collection<String>> modelsByReplica)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      EnvoyHosts hosts = EnvoyHosts.parse(admin(adminPort, "/clusters"));
      boolean all = true;
      for (Map.Entry<String, ? extends Collection<String>> placed : modelsByReplica.entrySet()) {
        for (String model : placed.getValue()) {
          all &= hosts.routable("modelgate/" + model + "/rest", placed.getKey())
              && hosts.routable("modelgate/" + model + "/grpc", placed.getKey());
        }
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not every replica routable for its models after 30 s: " + modelsByReplica);
      }
      Thread.sleep(100);
    }
  }

  static String admin(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static String envoyVersion() {
    try {
      Process p = new ProcessBuilder("envoy", "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      p.waitFor();
      Matcher m = Pattern.compile("(\\d+\\.\\d+\\.\\d+)").matcher(out);
      return m.find() ? m.group(1) : out;
    } catch (Exception e) {
      return "unknown";
    }
  }

  static String ms(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }
}
