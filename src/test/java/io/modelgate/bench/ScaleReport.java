package io.modelgate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The results of one {@link XdsScaleBenchmark} run as Markdown: the goals with PASS or MISS, the
 * push-to-all-clients timings and EDS bytes per change of each xDS protocol, load per phase and
 * modelgate's process figures. Collected through {@link Builder} on the benchmark's thread; a
 * report is immutable once built. The hand-written "Reading these results" section of
 * bench/results/xds-scale.md is not generated: the benchmark overwrites the file, and it is added
 * again after each run worth keeping.
 */
record ScaleReport(String markdown) {
  private static final double GOAL_BUILD_P99_MS = 100;
  private static final double GOAL_PUSH_MS = 1000;
  private static final double GOAL_HEAP_MIB = 512;
  /** Probe rates with 1 and with C clients within this share of each other count as equal. */
  private static final double PROBE_RATE_TOLERANCE = 0.05;

  /** Collects figures as the run produces them. Not thread-safe. */
  static final class Builder {
    private final int replicas;
    private final int models;
    private final int clients;
    private final ScaleControlPlane.Probes probes;
    private final long seed;
    private final List<XdsScaleBenchmark.Phase> phases = new ArrayList<>();
    /** One per protocol, in the order they ran. */
    private final List<XdsScaleBenchmark.ProtocolRun> runs = new ArrayList<>();
    private double firstSnapshotSeconds;
    private int fullEdsResponseBytes;
    private JsonNode xds;
    private double peakUsedKib;
    private double peakCommittedKib;
    private long[] heapAtEnd = {0, 0};
    private long[] liveHeap = {0, 0};
    private JvmProcessMeter.HeapSample lastHeap;
    private long rssKib;
    private long peakRssKib;
    private boolean outOfMemory;
    private double totalSeconds;

    Builder(int replicas, int models, int clients, ScaleControlPlane.Probes probes, long seed) {
      this.replicas = replicas;
      this.models = models;
      this.clients = clients;
      this.probes = probes;
      this.seed = seed;
    }

    void phase(XdsScaleBenchmark.Phase phase) {
      phases.add(phase);
    }

    void protocolRun(XdsScaleBenchmark.ProtocolRun run) {
      runs.add(run);
    }

    void firstSnapshotSeconds(double seconds) {
      firstSnapshotSeconds = seconds;
    }

    /** Size of a state-of-the-world EDS response, which carries every load assignment. */
    void fullEdsResponseBytes(int bytes) {
      fullEdsResponseBytes = bytes;
    }

    void xds(JsonNode status) {
      xds = status;
    }

    void heap(double peakUsed, double peakCommitted, long[] atEnd, JvmProcessMeter.HeapSample last) {
      peakUsedKib = peakUsed;
      peakCommittedKib = peakCommitted;
      heapAtEnd = atEnd;
      lastHeap = last;
    }

    void liveHeap(long[] totalUsed) {
      liveHeap = totalUsed;
    }

    void memory(long rss, long peakRss) {
      rssKib = rss;
      peakRssKib = peakRss;
    }

    void outOfMemory(boolean seen) {
      outOfMemory = seen;
    }

    void totalSeconds(double seconds) {
      totalSeconds = seconds;
    }

    ScaleReport build() {
      StringBuilder md = new StringBuilder();
      md.append(String.format(Locale.ROOT, "# xDS at scale: %,d replicas x %d models, %d xDS clients%n%n", replicas, models, clients));
      md.append(String.format(Locale.ROOT,
          "Machine: %d cores (%s), %s %s. Envoy: n/a, the clients are grpc-java ADS clients "
              + "(`ScaleAdsClient`, `ScaleDeltaAdsClient`). Run %s, seed %d, %.0f s in all.%n%n",
          Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.vm.name"),
          System.getProperty("java.version"), LocalDate.now(), seed, totalSeconds));
      setup(md);
      goals(md);
      runs.forEach(run -> pushes(md, run));
      edsTraffic(md);
      load(md);
      process(md);
      return new ScaleReport(md.toString());
    }

    private void setup(StringBuilder md) {
      double keys = (double) replicas * models;
      md.append("## Setup\n\n");
      md.append(String.format(Locale.ROOT,
          "- Replicas: one `modelgate simulate --replicas %d` process (-Xmx2g) under `nice -n 10` (it stands in for "
              + "machines that are not modelgate's, so it yields the cores when modelgate wants them), every replica "
              + "its own gRPC (Netty) and REST server on loopback, models m0..m%d version 1 AVAILABLE on all.%n",
          replicas, models - 1));
      md.append(String.format(Locale.ROOT,
          "- modelgate: `java -Xmx%s -jar target/modelgate.jar control-plane` in its own process (JVM default GC, G1), "
              + "gRPC probes, ext_proc gateway enabled (the default), node group `all`; %s.%n",
          XdsScaleBenchmark.MODELGATE_HEAP, "CPU from /proc/<pid>/stat, heap from `jstat -gc` every second and `jcmd GC.heap_info`"));
      md.append(String.format(Locale.ROOT,
          "- Probes: interval %d ms, timeout %d ms, jitter %.1f, maxConcurrency %d, staleness %d ms: %,.0f keys per "
              + "interval, %,.0f GetModelStatus/s expected (a 1 s interval would be %,.0f/s, more than 2 cores serve "
              + "next to everything else).%n",
          probes.intervalMs(), probes.timeoutMs(), probes.jitter(), probes.maxConcurrency(), probes.stalenessMs(),
          keys, keys * 1000 / probes.intervalMs(), keys));
      md.append(String.format(Locale.ROOT,
          "- xDS clients, one protocol after the other against the same simulator and modelgate, each client its "
              + "own channel and node id (node cluster `bench`), subscribing the way Envoy does: wildcard CDS and "
              + "LDS, then EDS for every EDS cluster and RDS for every route configuration. First %d "
              + "state-of-the-world (SotW) streams (StreamAggregatedResources, every response ACKed with version "
              + "and nonce): a full EDS response is %s, re-sent with every load assignment a client "
              + "subscribed to whenever the endpoint version changes. Then, after those are closed, %d incremental "
              + "(delta) streams (DeltaAggregatedResources, as Envoy's `DELTA_GRPC`: EDS and RDS subscribed by "
              + "name, every response ACKed with its nonce): an EDS response carries only the load assignments "
              + "that changed.%n",
          clients, bytes(fullEdsResponseBytes), clients));
      md.append(String.format(Locale.ROOT,
          "- Changes: %d flips per protocol, in pairs on a random (replica, model), new keys for each protocol "
              + "from the one seeded random: version 1 unloaded (AVAILABLE -> END), then loaded again, through the "
              + "simulator's control endpoint; each flip waits until all clients hold an EDS response whose "
              + "endpoint for that replica in `modelgate/<model>/grpc` shows the new health "
              + "(UNHEALTHY / HEALTHY).%n", runs.get(0).flips().size()));
      md.append("- \"Probe\" below is when the first status probe that saw the flip was answered, from the simulator's "
          + "per-model GetModelStatus count polled every 5 ms (a lower bound: times measured from it are upper "
          + "bounds by at most ~6 ms). modelgate's `/status` was not polled: with 20,000 entries it is too "
          + "heavy to poll without skewing the CPU figures.\n\n");
    }

    private void goals(StringBuilder md) {
      JsonNode build = xds.path("buildTimes");
      double buildP99 = build.path("p99Ms").asDouble();
      XdsScaleBenchmark.Phase one = phases.get(0);
      XdsScaleBenchmark.Phase many = phases.get(1);
      double ratio = many.probesPerSecond() / one.probesPerSecond();
      double committedMib = peakCommittedKib / 1024;
      md.append("## Goals\n\n| goal | measured | verdict |\n|---|---|---|\n");
      md.append(String.format(Locale.ROOT,
          "| snapshot build p99 < %.0f ms | p99 %.1f ms (p50 %.1f, max %.1f; last %d of %d builds) | %s |%n",
          GOAL_BUILD_P99_MS, buildP99, build.path("p50Ms").asDouble(), build.path("maxMs").asDouble(),
          Math.min(256, build.path("builds").asLong()), build.path("builds").asLong(),
          verdict(buildP99 < GOAL_BUILD_P99_MS)));
      for (XdsScaleBenchmark.ProtocolRun run : runs) {
        List<XdsScaleBenchmark.Flip> flips = run.flips();
        Distribution push = Distribution.of(millis(flips, f -> f.last() - f.probed()));
        boolean allUpdated = flips.stream().allMatch(f -> f.updated() == clients);
        md.append(String.format(Locale.ROOT,
            "| all clients updated < %.0f ms, %s (probe -> last of %d clients, p99 over %d flips) | p99 %.0f ms "
                + "(median %.0f, max %.0f)%s | %s |%n",
            GOAL_PUSH_MS, run.protocol().label(), clients, flips.size(), push.p99(), push.median(), push.max(),
            allUpdated ? "" : "; some flips never reached every client", verdict(allUpdated && push.p99() < GOAL_PUSH_MS)));
      }
      // -Xmx caps the heap at the goal, so the test is that modelgate runs within it: no OOM, and
      // the heap actually used (and the live set) stays below it.
      md.append(String.format(Locale.ROOT,
          "| modelgate heap < %.0f MiB (runs with -Xmx%s) | peak used %.0f MiB (1 s samples), committed up to %.0f MiB, "
              + "live set %.0f MiB after a full GC at the end, GC %.1f s in all%s | %s |%n",
          GOAL_HEAP_MIB, XdsScaleBenchmark.MODELGATE_HEAP, peakUsedKib / 1024, committedMib, liveHeap[1] / 1024.0,
          lastHeap.gcSeconds(), outOfMemory ? "; OutOfMemoryError or exit" : "; no OutOfMemoryError",
          verdict(!outOfMemory && peakUsedKib / 1024 < GOAL_HEAP_MIB)));
      md.append(String.format(Locale.ROOT,
          "| probes independent of the number of clients | %,.0f/s with 1 client, %,.0f/s with %d (x %.3f) | %s |%n%n",
          one.probesPerSecond(), many.probesPerSecond(), clients, ratio,
          verdict(Math.abs(ratio - 1) <= PROBE_RATE_TOLERANCE)));
    }

    private void pushes(StringBuilder md, XdsScaleBenchmark.ProtocolRun run) {
      List<XdsScaleBenchmark.Flip> flips = run.flips();
      md.append(String.format(Locale.ROOT, "## Flip -> %d %s clients (%d flips)%n%n",
          clients, run.protocol().label(), flips.size()));
      md.append("| stage | median ms | p99 ms | max ms |\n|---|---:|---:|---:|\n");
      row(md, "flip -> probe answered (wait for the next probe)", millis(flips, f -> f.probed() - f.flipped()));
      row(md, "probe -> first client updated", millis(flips, f -> f.first() - f.probed()));
      row(md, "probe -> all " + clients + " clients updated (push-to-all)", millis(flips, f -> f.last() - f.probed()));
      row(md, "last client - first client", millis(flips, f -> f.last() - f.first()));
      row(md, "flip -> all " + clients + " clients updated (total)", millis(flips, f -> f.last() - f.flipped()));
      long incomplete = flips.stream().filter(f -> f.updated() != clients).count();
      if (incomplete > 0) {
        md.append(String.format(Locale.ROOT, "%n%d flips did not reach every client within 20 s (left out above).%n", incomplete));
      }
      md.append('\n');
    }

    private void edsTraffic(StringBuilder md) {
      md.append("## EDS per change\n\n");
      md.append("Protobuf bytes of the EDS responses (`DiscoveryResponse`, `DeltaDiscoveryResponse`) the clients "
          + "received during the flips, without gRPC framing.\n\n");
      md.append(String.format(Locale.ROOT,
          "| protocol | EDS responses per client during the flips | EDS bytes per client per flip | to all %d clients per flip |%n",
          clients));
      md.append("|---|---:|---:|---:|\n");
      for (XdsScaleBenchmark.ProtocolRun run : runs) {
        md.append(String.format(Locale.ROOT, "| %s | %d to %d | %s | %s |%n", run.protocol().label(),
            run.fewestEdsResponses(), run.mostEdsResponses(), bytes(run.edsBytesPerFlip()),
            bytes(run.edsBytesPerFlip() * clients)));
      }
      md.append('\n');
    }

    private void load(StringBuilder md) {
      md.append("## Load per phase\n\n");
      md.append(String.format(Locale.ROOT,
          "CPU in %% of one core (the machine has %d): modelgate; the simulator; the benchmark JVM with the "
              + "clients; everything else that ran meanwhile (jstat, and any other work on the machine).%n%n",
          Runtime.getRuntime().availableProcessors()));
      md.append("| phase | seconds | GetModelStatus/s at the replicas | modelgate CPU | modelgate GC time, s "
          + "| simulator CPU | bench CPU | other CPU |\n");
      md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
      for (XdsScaleBenchmark.Phase p : phases) {
        md.append(String.format(Locale.ROOT, "| %s | %.1f | %,.0f | %.1f %% | %.2f | %.1f %% | %.1f %% | %.1f %% |%n",
            p.name(), p.seconds(), p.probesPerSecond(), p.cpuPercent(), p.gcSeconds(),
            p.simulatorCpuPercent(), p.benchCpuPercent(), p.otherCpuPercent()));
      }
      md.append('\n');
    }

    private void process(StringBuilder md) {
      md.append("## modelgate process\n\n| figure | value |\n|---|---|\n");
      md.append(String.format(Locale.ROOT, "| start -> first snapshot published (first full probe round) | %.1f s |%n", firstSnapshotSeconds));
      for (XdsScaleBenchmark.ProtocolRun run : runs) {
        md.append(String.format(Locale.ROOT,
            "| %d %s clients connecting at once -> all configured (CDS, EDS, LDS, RDS) | %.2f s |%n",
            run.connecting(), run.protocol().label(), run.configuredSeconds()));
      }
      md.append(String.format(Locale.ROOT, "| snapshots published / open streams / NACKs at the end | %d / %d / %d |%n",
          xds.path("snapshots").asLong(), xds.path("openStreams").asLong(), xds.path("nacks").asLong()));
      md.append(String.format(Locale.ROOT, "| heap used, peak of 1 s samples / committed peak | %.0f / %.0f MiB |%n",
          peakUsedKib / 1024, peakCommittedKib / 1024));
      md.append(String.format(Locale.ROOT, "| heap at the end (jcmd GC.heap_info) total / used | %.0f / %.0f MiB |%n",
          heapAtEnd[0] / 1024.0, heapAtEnd[1] / 1024.0));
      md.append(String.format(Locale.ROOT, "| heap after a full GC at the end, total / used (live set) | %.0f / %.0f MiB |%n",
          liveHeap[0] / 1024.0, liveHeap[1] / 1024.0));
      md.append(String.format(Locale.ROOT, "| GC events / GC time since start | %d / %.2f s |%n",
          lastHeap.gcCount(), lastHeap.gcSeconds()));
      md.append(String.format(Locale.ROOT, "| resident memory at the end / peak (VmRSS / VmHWM) | %.0f / %.0f MiB |%n",
          rssKib / 1024.0, peakRssKib / 1024.0));
      for (XdsScaleBenchmark.ProtocolRun run : runs) {
        md.append(String.format(Locale.ROOT, "| %s client streams that failed | %d |%n",
            run.protocol().label(), run.failedClients()));
      }
      md.append('\n');
    }

    private static void row(StringBuilder md, String stage, List<Double> values) {
      Distribution d = Distribution.of(values);
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f |%n", stage, d.median(), d.p99(), d.max()));
    }

    /** Durations in ms of the flips that reached every client. */
    private List<Double> millis(List<XdsScaleBenchmark.Flip> all, java.util.function.ToLongFunction<XdsScaleBenchmark.Flip> nanos) {
      return all.stream().filter(f -> f.updated() == clients).map(f -> nanos.applyAsLong(f) / 1e6).toList();
    }

    /** Bytes in decimal units: 1 MB = 1,000,000 B. */
    private static String bytes(double bytes) {
      if (bytes >= 1e6) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
      }
      if (bytes >= 1e3) {
        return String.format(Locale.ROOT, "%.1f KB", bytes / 1e3);
      }
      return String.format(Locale.ROOT, "%.0f B", bytes);
    }

    private static String verdict(boolean pass) {
      return pass ? "PASS" : "MISS";
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
}
