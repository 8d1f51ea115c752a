package io.modelgate.bench;

import io.modelgate.bench.DiscoveryScaleBenchmark.Measurement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The Markdown of one {@link DiscoveryScaleBenchmark} run: the summary (medians over the rounds,
 * discovery against the static baseline as ratios), every round, and a note on the machine.
 * Stateless.
 */
final class DiscoveryScaleReport {
  private DiscoveryScaleReport() {}

  static String markdown(
      int replicas, int slices, List<DiscoveryScaleBenchmark.Waves> discovery, List<Measurement> statics,
      double totalSeconds) {
    List<Measurement> cold = discovery.stream().map(DiscoveryScaleBenchmark.Waves::cold).toList();
    List<Measurement> warm = discovery.stream().map(DiscoveryScaleBenchmark.Waves::warm).toList();
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "# Discovery at scale: %,d replicas through %d EndpointSlices%n%n", replicas, slices));
    md.append(String.format(Locale.ROOT,
        "Machine: %d cores (%s), %s %s; Envoy, kube-apiserver %s and etcd on the same machine. Run %s, "
            + "%d rounds, %.0f s in all. Written by `bench/discovery-scale`.%n%n",
        Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), io.modelgate.sources.KubeApiServer.KUBE_VERSION, LocalDate.now(),
        discovery.size(), totalSeconds));

    Figures c = Figures.of(cold, m -> 0, m -> 0);
    Figures w = Figures.of(warm, m -> 0, m -> 0);
    Figures s = Figures.of(statics, m -> 0, m -> 0);
    Figures sw = Figures.of(statics, Measurement::beforeSeconds, Measurement::cpuBefore);
    md.append("## Summary (medians over the rounds)\n\n");
    md.append("| replicas | slices | how modelgate learns them | T0 | T0 → all READY in modelgate's view | "
        + "T0 → all HEALTHY in Envoy (both clusters) | modelgate CPU, T0 → all HEALTHY |\n");
    md.append("|---:|---:|---|---|---:|---:|---:|\n");
    row(md, replicas, String.valueOf(slices), "`kubernetes` source, first wave (cold)",
        "slices created at once, modelgate running on the empty Service", c);
    row(md, replicas, String.valueOf(slices), "`kubernetes` source, second wave (warm)",
        "slices deleted, gone from Envoy, created again in the same modelgate", w);
    row(md, replicas, "-", "static `replicas:` list (**baseline**)", "process started", s);
    row(md, replicas, "-", "static list, less the JVM start", "`/healthz` answers", sw);
    ratio(md, "**cold discovery / static**", c, s);
    ratio(md, "**warm discovery / static**", w, s);
    ratio(md, "cold discovery / static less the JVM start", c, sw);
    ratio(md, "warm discovery / static less the JVM start", w, sw);
    md.append('\n');

    md.append("## Every round\n\n");
    md.append("| round | run | slices written in / JVM start to `/healthz` | modelgate CPU before T0 / in the JVM start "
        + "| all READY | all HEALTHY in Envoy | modelgate CPU | modelgate heap, peak used |\n");
    md.append("|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < discovery.size(); i++) {
      round(md, i + 1, "discovery, cold", cold.get(i));
      round(md, i + 1, "discovery, warm", warm.get(i));
      if (i < statics.size()) {
        round(md, i + 1, "static", statics.get(i));
      }
    }
    md.append('\n');
    md.append("## Setup\n\n");
    md.append(String.format(Locale.ROOT,
        "- All in a network namespace of the benchmark's own (`src/test/kube/netns/bin/java`), where 198.18.0.0/15 "
            + "is local. One simulated TF Serving (gRPC and REST) bound to 0.0.0.0 answers on every address, so each "
            + "of the %,d pods is an address, 198.18.1.0 onwards, all on the same two ports; model `%s` version 1 "
            + "AVAILABLE. The simulator, the API server's client and the poller of Envoy run in the benchmark JVM.%n",
        replicas, DiscoveryScaleBenchmark.MODEL));
    md.append("- modelgate: `control-plane` in its own JVM (`-Xmx512m`, log level warn), default probe settings "
        + "(gRPC GetModelStatus, 1 s interval, 500 ms timeout, 256 in flight, healthy after 1 answer), gateway filter on, "
        + "a real Envoy on delta ADS (`envoy/bootstrap-local.yaml`). CPU is user + system time of modelgate's process "
        + "from /proc; the peak heap is from `jstat` once a second.\n");
    md.append(String.format(Locale.ROOT,
        "- Discovery: a fresh modelgate with a `kubernetes` source on a Service with no EndpointSlice, and a fresh Envoy; "
            + "2 s after Envoy is LIVE, T0: %d slices of about %d ready endpoints (Pod `targetRef`, named ports `grpc` "
            + "and `http`) are created at once, one thread each, in a real kube-apiserver. That first wave meets "
            + "code that has not run yet in the process (probe channels, view, xDS building: the JIT compiles them "
            + "meanwhile); then the slices are deleted (`drainMs: 1000`), and 2 s after Envoy has no endpoint left "
            + "the same slices are created again: the second, warm wave.%n",
        slices, (replicas + slices - 1) / slices));
    md.append("- Baseline: a fresh modelgate whose file lists the same replicas (same ids, addresses and ports) under "
        + "`replicas:`, and a fresh Envoy started once its `/healthz` answers; T0 is the process's start, so its "
        + "figures include the JVM start (the summary row \"less the JVM start\" leaves it out). Rounds alternate discovery and "
        + "baseline.\n");
    md.append("- All READY: the latest READY `since` in modelgate's `/status` (when the probe answer that made the "
        + "replica READY was taken in), read once Envoy has them all, so nothing polls modelgate while it is measured. "
        + "All HEALTHY: Envoy's `membership_healthy` gauges of `modelgate/<model>/grpc` and `.../rest` both at the "
        + "replica count, polled every 10 ms from its admin port; CPU is read at that poll.\n");
    return md.toString();
  }

  /** Medians of one kind of wave, less what {@code less} and {@code lessCpu} say of each. */
  private record Figures(double ready, double healthy, double cpu) {
    static Figures of(List<Measurement> runs, ToDoubleFunction<Measurement> less, ToDoubleFunction<Measurement> lessCpu) {
      return new Figures(
          median(runs, m -> m.readySeconds() - less.applyAsDouble(m)),
          median(runs, m -> m.healthySeconds() - less.applyAsDouble(m)),
          median(runs, m -> m.cpuSeconds() - lessCpu.applyAsDouble(m)));
    }
  }

  private static void row(StringBuilder md, int replicas, String slices, String how, String t0, Figures f) {
    md.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %.2f s | %.2f s | %.2f s |%n",
        replicas, slices, how, t0, f.ready(), f.healthy(), f.cpu()));
  }

  private static void ratio(StringBuilder md, String what, Figures a, Figures b) {
    md.append(String.format(Locale.ROOT, "| | | %s | | %.2f × | %.2f × | %.2f × |%n",
        what, a.ready() / b.ready(), a.healthy() / b.healthy(), a.cpu() / b.cpu()));
  }

  private static void round(StringBuilder md, int round, String run, Measurement m) {
    md.append(String.format(Locale.ROOT, "| %d | %s | %.3f s | %.2f s | %.2f s | %.2f s | %.2f s | %.0f MiB |%n",
        round, run, m.beforeSeconds(), m.cpuBefore(), m.readySeconds(), m.healthySeconds(), m.cpuSeconds(),
        m.peakHeapMib()));
  }

  private static double median(List<Measurement> runs, ToDoubleFunction<Measurement> figure) {
    List<Double> values = new ArrayList<>();
    runs.forEach(m -> values.add(figure.applyAsDouble(m)));
    Collections.sort(values);
    int n = values.size();
    return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst()
          .orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }
}
