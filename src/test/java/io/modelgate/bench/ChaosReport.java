package io.modelgate.bench;

import io.modelgate.bench.ChaosBenchmark.Sample;
import io.modelgate.bench.ChaosBenchmark.SetupResult;
import io.modelgate.bench.ChaosBenchmark.Stream;
import io.modelgate.bench.ChaosPlan.Action;
import io.modelgate.config.XdsConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The chaos benchmark's figures, Markdown report and SVG plot, from each setup's requests judged
 * by its {@link ChaosOracle}. Stateless.
 */
final class ChaosReport {
  /** Hang windows run this long past a hang: a try sent just before it ended still waits it out. */
  static final long GRACE_NANOS = XdsConfig.DEFAULT_PER_TRY_TIMEOUT.toNanos();
  private static final int TOP_REASONS = 8;

  /** What happened to a set of requests. */
  record Figures(
      long requests,
      long failed,
      long avoidable,
      double p50,
      double p99,
      long calm,
      double calmP99,
      long held,
      double heldP50,
      double heldP99,
      double heldAddedP50,
      double heldAddedP99,
      long filterHeld,
      double filterHeldP99,
      Map<String, long[]> reasons) {}

  private ChaosReport() {}

  /**
   * The figures of the requests {@code which} selects. Latencies are of successful requests;
   * "calm" ones were sent outside every hang window with a replica able to serve them, and not
   * held by the gateway filter (its response header says so);
   * "held" ones succeeded although at send time no replica could serve them.
   */
  static Figures figures(SetupResult r, Predicate<Sample> which) {
    long requests = 0;
    long failed = 0;
    long avoidable = 0;
    List<Long> ok = new ArrayList<>();
    List<Long> calm = new ArrayList<>();
    List<Long> held = new ArrayList<>();
    List<Long> heldAdded = new ArrayList<>();
    List<Long> filterHeld = new ArrayList<>();
    Map<String, long[]> reasons = new LinkedHashMap<>();
    for (Sample s : r.samples()) {
      if (!which.test(s)) {
        continue;
      }
      requests++;
      boolean servable = r.oracle().servable(s.model(), s.sentNanos());
      if (!s.ok()) {
        failed++;
        long[] counts = reasons.computeIfAbsent(s.reason(), k -> new long[2]);
        counts[0]++;
        if (servable) {
          avoidable++;
          counts[1]++;
        }
        continue;
      }
      ok.add(s.latencyNanos());
      s.heldMs().ifPresent(ms -> filterHeld.add(ms * 1_000_000));
      if (!servable) {
        held.add(s.latencyNanos());
        // What the hold added: from the first instant a replica could serve it to the answer.
        long servableAt = r.oracle().servableAt(s.model(), s.sentNanos(), s.latencyNanos());
        if (servableAt >= 0) {
          heldAdded.add(s.sentNanos() + s.latencyNanos() - servableAt);
        }
      } else if (s.heldMs().isEmpty() && !r.oracle().inHangWindow(s.sentNanos(), GRACE_NANOS)) {
        calm.add(s.latencyNanos());
      }
    }
    return new Figures(
        requests, failed, avoidable, ms(ok, 50), ms(ok, 99), calm.size(), ms(calm, 99), held.size(), ms(held, 50),
        ms(held, 99), ms(heldAdded, 50), ms(heldAdded, 99), filterHeld.size(), ms(filterHeld, 99), reasons);
  }

  static String summaryLine(SetupResult r) {
    Figures f = figures(r, s -> true);
    return String.format(Locale.ROOT,
        "%d requests, %d failed (%.2f %%), %d avoidable (%.2f %%), p50 %.1f ms, p99 %.1f ms, held %d, retry overflow %d",
        f.requests(), f.failed(), pct(f.failed(), f.requests()), f.avoidable(), pct(f.avoidable(), f.requests()),
        f.p50(), f.p99(), f.held(), r.envoyCounters().getOrDefault("upstream_rq_retry_overflow", 0L));
  }

  static String markdown(List<SetupResult> results, ChaosPlan plan, ChaosBenchmark.Settings settings) {
    StringBuilder md = new StringBuilder("# Chaos: modelgate against tuned Envoy health checking under churn\n\n");
    md.append(String.format(Locale.ROOT,
        "Machine: %d cores. Envoy %s. Seed %d. One run (`bench/chaos --rate %.0f --duration %d --seed %d`),"
            + " setups one after another, each in front of fresh simulated TF Serving replicas (%d replicas,"
            + " models %s) with the same seeded churn for %d s after a %d s warm-up, and the same open-loop"
            + " load: %.0f req/s through Envoy, half REST, a quarter gRPC routed by the `x-model-name` header,"
            + " a quarter gRPC with the model only in the body (the baseline cannot read the body, so those"
            + " carry the header there too), every model in turn, %d s deadline.%n%n",
        settings.cores(), settings.envoyVersion(), settings.seed(), settings.rate(), settings.seconds(), settings.seed(),
        ChaosBenchmark.REPLICAS, String.join(", ", ChaosBenchmark.MODELS), settings.seconds(), ChaosBenchmark.WARM_UP.toSeconds(), settings.rate(),
        ChaosBenchmark.DEADLINE.toSeconds()));
    md.append("Setups:\n\n");
    for (SetupResult r : results) {
      md.append("- **").append(r.setup()).append("**: ").append(r.setup().description).append('\n');
    }
    Map<ChaosPlan.Kind, Long> counts = plan.counts();
    md.append(String.format(Locale.ROOT,
        "%nChurn (seed %d): each model starts on %d of the %d replicas; then every %d ms one event: %d loads"
            + " (LOADING 0.5-3 s, then AVAILABLE), %d unloads, %d hangs (1-4 s, the replica accepts and answers"
            + " nothing), %d deaths (ports closed 2-6 s, then back with its models LOADING 0.5-3 s again). At"
            + " most %d replicas hung or dead at once; about 2 of 3 (replica, model) pairs loaded; a model's"
            + " last live copy is unloaded in %.0f %% of the draws that pick it.%n%n",
        settings.seed(), ChaosPlan.initialCopies(ChaosBenchmark.REPLICAS), ChaosBenchmark.REPLICAS, ChaosPlan.TICK_MS,
        counts.get(ChaosPlan.Kind.LOAD), counts.get(ChaosPlan.Kind.UNLOAD), counts.get(ChaosPlan.Kind.HANG),
        counts.get(ChaosPlan.Kind.KILL), ChaosPlan.MAX_DOWN, 100 * ChaosPlan.LAST_COPY_UNLOAD_SHARE));
    md.append("The oracle knows the true state at every instant: a failed request is **avoidable** if, when it"
        + " was sent, some replica that was up (neither hung nor dead) had the model AVAILABLE. **Unservable at send, succeeded**:"
        + " succeeded although no replica could serve it when it was sent (modelgate held it, or a retry found"
        + " a replica that had just become able); **held by the filter**: the response said modelgate's"
        + " gateway filter held it (`x-modelgate-held-ms`), with the p99 of that time; **added by the hold**: from the"
        + " first instant a replica could serve it (to 5 ms) to its answer. **Calm**: sent with a replica"
        + " able to serve it, not held by the filter, outside every hang window (from a hang until "
        + XdsConfig.DEFAULT_PER_TRY_TIMEOUT.toMillis() + " ms, the per-try timeout, after it ended; a dead"
        + " replica refuses connections at once, so deaths open no window). Latencies"
        + " are of successful requests, from send to answer.\n\n");

    md.append("## Results\n\n| setup | requests | failed | avoidable failed | p50 ms | p99 ms | calm p99 ms"
        + " (calm requests) | held by the filter (its p99 ms) | unservable at send, succeeded | their p50 / p99 ms | added by the hold p50 / p99 ms | unservable model-time | retry overflow | retries |"
        + " per-try timeouts |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (SetupResult r : results) {
      Figures f = figures(r, s -> true);
      md.append("| ").append(r.setup()).append(" | ").append(f.requests()).append(" | ")
          .append(countPct(f.failed(), f.requests())).append(" | ")
          .append(countPct(f.avoidable(), f.requests())).append(" | ")
          .append(ms(f.p50())).append(" | ").append(ms(f.p99())).append(" | ")
          .append(ms(f.calmP99())).append(" (").append(f.calm()).append(") | ")
          .append(f.filterHeld()).append(" (").append(ms(f.filterHeldP99())).append(") | ")
          .append(f.held()).append(" | ").append(ms(f.heldP50())).append(" / ").append(ms(f.heldP99())).append(" | ")
          .append(ms(f.heldAddedP50())).append(" / ").append(ms(f.heldAddedP99())).append(" | ")
          .append(String.format(Locale.ROOT, "%.1f %%", 100 * unservableShare(r, settings.seconds()))).append(" | ")
          .append(counter(r, "upstream_rq_retry_overflow")).append(" | ")
          .append(counter(r, "upstream_rq_retry")).append(" | ")
          .append(counter(r, "upstream_rq_per_try_timeout")).append(" |\n");
    }

    md.append("\n## By stream\n\n| setup | stream | requests | failed | avoidable failed | p99 ms |\n"
        + "|---|---|---:|---:|---:|---:|\n");
    for (SetupResult r : results) {
      for (Stream stream : Stream.values()) {
        Figures f = figures(r, s -> s.stream() == stream);
        md.append("| ").append(r.setup()).append(" | ").append(stream).append(" | ").append(f.requests()).append(" | ")
            .append(countPct(f.failed(), f.requests())).append(" | ")
            .append(countPct(f.avoidable(), f.requests())).append(" | ").append(ms(f.p99())).append(" |\n");
      }
    }

    reasons(md, results, 0, "Why requests failed");
    reasons(md, results, 1, "Why avoidable failures failed");
    md.append("\nPlot: [chaos.svg](chaos.svg) (which replicas were hung or dead when, then per setup the failed"
        + " and avoidable failed requests per second, by send time).\n");
    return md.toString();
  }

  /** The top reasons per setup, ranked by all failures ({@code rank} 0) or avoidable ones (1). */
  private static void reasons(StringBuilder md, List<SetupResult> results, int rank, String title) {
    md.append("\n## ").append(title).append(" (top ").append(TOP_REASONS).append(" per setup: count, of them avoidable)\n\n");
    for (SetupResult r : results) {
      figures(r, s -> true).reasons().entrySet().stream()
          .filter(e -> e.getValue()[rank] > 0)
          .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[rank]))
          .limit(TOP_REASONS)
          .forEach(e -> md.append("- ").append(r.setup()).append(": ").append(e.getValue()[0]).append("x (")
              .append(e.getValue()[1]).append(" avoidable) ").append(oneLine(e.getKey())).append('\n'));
    }
  }

  /** Share of (model, instant) pairs over the churn when no replica could serve the model, on a 10 ms grid. */
  private static double unservableShare(SetupResult r, int seconds) {
    long step = 10_000_000;
    long points = 0;
    long unservable = 0;
    for (long t = r.originNanos(); t < r.originNanos() + seconds * 1_000_000_000L; t += step) {
      for (String model : ChaosBenchmark.MODELS) {
        points++;
        if (!r.oracle().servable(model, t)) {
          unservable++;
        }
      }
    }
    return points == 0 ? 0 : unservable / (double) points;
  }

  /** The plan's hangs and deaths per replica, then per setup failed and avoidable failed per second. */
  static String svg(List<SetupResult> results, ChaosPlan plan, int seconds) {
    int width = 960;
    int left = 60;
    int plotWidth = width - left - 20;
    int row = 12;
    int strip = ChaosBenchmark.REPLICAS * row;
    int panel = 140;
    int block = panel + 40;
    double xScale = plotWidth / (double) seconds;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n",
        width, 40 + strip + 30 + block * results.size()));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(text(left, 16, "replicas: hung (orange), dead (red); seed " + plan.seed(), "bold"));
    int top = 26;
    Map<String, Long> since = new LinkedHashMap<>();
    for (Action a : plan.actions()) {
      int index = Integer.parseInt(a.replica().substring(1));
      switch (a.kind()) {
        case HANG, KILL -> since.put(a.replica(), a.atMillis());
        case UNHANG, REVIVE -> {
          long from = since.remove(a.replica());
          double x0 = left + from / 1000.0 * xScale;
          double x1 = left + Math.min(seconds * 1000L, a.atMillis()) / 1000.0 * xScale;
          if (x1 > x0) {
            svg.append(String.format(Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
                x0, top + index * row + 1, x1 - x0, row - 2, a.kind() == ChaosPlan.Kind.UNHANG ? "#ff9f40" : "#d62728"));
          }
        }
        default -> {}
      }
    }
    for (int i = 0; i < ChaosBenchmark.REPLICAS; i++) {
      svg.append(text(left - 25, top + i * row + row - 2, "r" + i, "normal"));
    }
    svg.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", left, top, plotWidth, strip));

    long max = 1;
    List<long[][]> perSecond = new ArrayList<>();
    for (SetupResult r : results) {
      long[][] counts = new long[2][seconds];
      for (Sample s : r.samples()) {
        int second = (int) ((s.sentNanos() - r.originNanos()) / 1_000_000_000L);
        if (!s.ok() && second >= 0 && second < seconds) {
          counts[0][second]++;
          if (r.oracle().servable(s.model(), s.sentNanos())) {
            counts[1][second]++;
          }
        }
      }
      for (long v : counts[0]) {
        max = Math.max(max, v);
      }
      perSecond.add(counts);
    }
    for (int b = 0; b < results.size(); b++) {
      int panelTop = top + strip + 40 + b * block;
      svg.append(text(left, panelTop - 4,
          results.get(b).setup() + ": failed per second (black), of them avoidable (red)", "bold"));
      svg.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", left, panelTop, plotWidth, panel));
      svg.append(text(left - 55, panelTop + 10, "max " + max, "normal"));
      svg.append(text(left - 55, panelTop + panel, "0", "normal"));
      for (int series = 0; series < 2; series++) {
        StringBuilder points = new StringBuilder();
        for (int s = 0; s < seconds; s++) {
          points.append(String.format(Locale.ROOT, "%.1f,%.1f ",
              left + (s + 0.5) * xScale, panelTop + panel - panel * perSecond.get(b)[series][s] / (double) max));
        }
        svg.append("<polyline fill=\"none\" stroke=\"").append(series == 0 ? "#000" : "#d62728")
            .append("\" stroke-width=\"1.5\" points=\"").append(points.toString().strip()).append("\"/>\n");
      }
    }
    svg.append(text(left, top + strip + 40 + block * results.size() - 20, "seconds since the churn began: 0 to " + seconds, "normal"));
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static long counter(SetupResult r, String name) {
    return r.envoyCounters().getOrDefault(name, 0L);
  }

  private static double ms(List<Long> nanos, double percentile) {
    return LatencyLog.percentileMs(nanos.stream().mapToLong(Long::longValue).sorted().toArray(), percentile);
  }

  private static String ms(double value) {
    return Double.isNaN(value) ? "-" : ComparisonBenchmark.ms(value);
  }

  private static double pct(long part, long whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }

  private static String countPct(long part, long whole) {
    return String.format(Locale.ROOT, "%d (%.2f %%)", part, pct(part, whole));
  }

  private static String oneLine(String reason) {
    String line = reason.replaceAll("\\s+", " ").strip();
    return "`" + (line.length() > 160 ? line.substring(0, 160) + "..." : line).replace("`", "'") + "`";
  }

  private static String text(double x, double y, String content, String weight) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"%s\">%s</text>%n",
        x, y, weight, content.replace("&", "&amp;").replace("<", "&lt;"));
  }
}
