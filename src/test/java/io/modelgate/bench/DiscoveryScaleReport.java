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

  static String markdown(int replicas, int slices, List<Measurement> discovery, List<Measurement> statics, double totalSeconds) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "# Discovery at scale: %,d replicas through %d EndpointSlices%n%n", replicas, slices));
    md.append(String.format(Locale.ROOT,
        "Machine: %d cores (%s), %s %s; Envoy and kube-apiserver %s with etcd on the same machine. Run %s, "
            + "%d rounds, %.0f s in all. Written by `bench/discovery-scale`.%n%n",
        Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), io.modelgate.sources.KubeApiServer.KUBE_VERSION, LocalDate.now(),
        discovery.size(), totalSeconds));

    double dReady = median(discovery, Measurement::readySeconds);
    double dHealthy = median(discovery, Measurement::healthySeconds);
    double dCpu = median(discovery, Measurement::cpuSeconds);
    double sReady = median(statics, Measurement::readySeconds);
    double sHealthy = median(statics, Measurement::healthySeconds);
    double sCpu = median(statics, Measurement::cpuSeconds);
    double sReadyWarm = median(statics, m -> m.readySeconds() - m.beforeSeconds());
    double sHealthyWarm = median(statics, m -> m.healthySeconds() - m.beforeSeconds());
    double sCpuWarm = median(statics, m -> m.cpuSeconds() - m.cpuBefore());
    md.append("## Summary (medians over the rounds)\n\n");
    md.append("| replicas | slices | how modelgate learns them | T0 | T0 → all READY in modelgate's view | "
        + "T0 → all HEALTHY in Envoy (both clusters) | modelgate CPU, T0 → all HEALTHY |\n");
    md.append("|---:|---:|---|---|---:|---:|---:|\n");
    md.append(String.format(Locale.ROOT,
        "| %,d | %d | `kubernetes` source, slices created at once | slices written (running modelgate, empty Service) "
            + "| %.2f s | %.2f s | %.2f s |%n", replicas, slices, dReady, dHealthy, dCpu));
    md.append(String.format(Locale.ROOT,
        "| %,d | - | static `replicas:` list (baseline) | process started | %.2f s | %.2f s | %.2f s |%n",
        replicas, sReady, sHealthy, sCpu));
    md.append(String.format(Locale.ROOT,
        "| %,d | - | static list, less the JVM start (to `/healthz` answering) | `/healthz` answers | %.2f s | %.2f s "
            + "| %.2f s |%n", replicas, sReadyWarm, sHealthyWarm, sCpuWarm));
    md.append(String.format(Locale.ROOT,
        "| | | **ratio discovery / static** | | **%.2f ×** | **%.2f ×** | **%.2f ×** |%n",
        dReady / sReady, dHealthy / sHealthy, dCpu / sCpu));
    md.append(String.format(Locale.ROOT,
        "| | | ratio discovery / static less the JVM start | | %.2f × | %.2f × | %.2f × |%n%n",
        dReady / sReadyWarm, dHealthy / sHealthyWarm, dCpu / sCpuWarm));

    md.append("## Every round\n\n");
    md.append("| round | run | before T0 / to `/healthz` | modelgate CPU before | all READY | all HEALTHY in Envoy "
        + "| modelgate CPU | modelgate heap, peak used |\n");
    md.append("|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < discovery.size(); i++) {
      Measurement d = discovery.get(i);
      md.append(String.format(Locale.ROOT,
          "| %d | discovery | slices written in %.3f s | %.2f s (its start, before T0) | %.2f s | %.2f s | %.2f s | %.0f MiB |%n",
          i + 1, d.beforeSeconds(), d.cpuBefore(), d.readySeconds(), d.healthySeconds(), d.cpuSeconds(), d.peakHeapMib()));
      if (i < statics.size()) {
        Measurement s = statics.get(i);
        md.append(String.format(Locale.ROOT,
            "| %d | static | `/healthz` after %.2f s | %.2f s (in the total) | %.2f s | %.2f s | %.2f s | %.0f MiB |%n",
            i + 1, s.beforeSeconds(), s.cpuBefore(), s.readySeconds(), s.healthySeconds(), s.cpuSeconds(), s.peakHeapMib()));
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
            + "and `http`) are created at once, one thread each, in a real kube-apiserver.%n",
        slices, (replicas + slices - 1) / slices));
    md.append("- Baseline: a fresh modelgate whose file lists the same replicas (same ids, addresses and ports) under "
        + "`replicas:`, and a fresh Envoy started once its `/healthz` answers; T0 is the process's start, so its "
        + "figures include the JVM start (the third summary row leaves it out). Rounds alternate discovery and "
        + "baseline.\n");
    md.append("- All READY: the latest READY `since` in modelgate's `/status` (when the probe answer that made the "
        + "replica READY was taken in), read once Envoy has them all, so nothing polls modelgate while it is measured. "
        + "All HEALTHY: Envoy's `membership_healthy` gauges of `modelgate/<model>/grpc` and `.../rest` both at the "
        + "replica count, polled every 10 ms from its admin port; CPU is read at that poll.\n");
    return md.toString();
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
