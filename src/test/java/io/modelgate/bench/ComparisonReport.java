package io.modelgate.bench;

import io.modelgate.bench.ComparisonBenchmark.Follow;
import io.modelgate.bench.ComparisonBenchmark.SetupResult;
import io.modelgate.bench.ComparisonBenchmark.StepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/** The comparison benchmark's Markdown tables and SVG plot. Stateless. */
final class ComparisonReport {
  private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};

  private ComparisonReport() {}

  static String markdown(List<SetupResult> results, double rate, String envoyVersion) {
    StringBuilder md = new StringBuilder("# modelgate against plain Envoy health checking\n\n");
    md.append(String.format(Locale.ROOT,
        "Machine: 2 cores. Envoy %s. One run, setups one after another, each in front of fresh simulated"
            + " TF Serving replicas (4 replicas, models a, b, c), the same scripted scenario and the same"
            + " open-loop load: %.0f req/s, REST and gRPC (with x-model-name) for each model in turn, 2 s"
            + " deadline, latency from each request's scheduled time.%n%n", envoyVersion, rate));
    md.append("Setups:\n\n");
    for (SetupResult r : results) {
      md.append("- **").append(r.setup()).append("**: ").append(r.setup().description).append('\n');
    }
    md.append("\nThe baselines use modelgate's generated listener, routes and cluster settings"
        + " (healthy_panic_threshold 0, update_merge_window 0) with static endpoints, and the retry"
        + " policy an operator typically writes (5xx, reset, connect-failure, refused-stream; 2"
        + " retries). modelgate's routes also retry TF Serving's \"Servable not found\" (REST 404,"
        + " grpc-status 5) on another replica and bound each try at 500 ms: that is part of what it"
        + " generates. modelgate probes every 1 s (GetModelStatus, 500 ms timeout; healthy after 1"
        + " answer, unreachable after 2 failed probes; TF Serving's own answers count at once).\n\n");

    List<SetupResult> scenario = results.stream().filter(r -> r.setup() != ComparisonSetups.DIRECT).toList();
    md.append("## Failed requests per step\n\n| step |");
    scenario.forEach(r -> md.append(' ').append(r.setup()).append(" |"));
    md.append("\n|---|");
    scenario.forEach(r -> md.append("---:|"));
    md.append('\n');
    int stepCount = scenario.get(0).steps().size();
    for (int i = 0; i < stepCount; i++) {
      md.append("| ").append(scenario.get(0).steps().get(i).step()).append(" |");
      for (SetupResult r : scenario) {
        StepResult s = r.steps().get(i);
        md.append(' ').append(s.failures()).append(" / ").append(s.requests()).append(" |");
      }
      md.append('\n');
    }
    md.append("| **total** |");
    for (SetupResult r : scenario) {
      long failed = r.steps().stream().mapToLong(StepResult::failures).sum();
      long total = r.steps().stream().mapToLong(StepResult::requests).sum();
      md.append(" **").append(failed).append(" / ").append(total).append("** |");
    }
    md.append("\n\n");

    md.append("## Time from each change to Envoy's traffic following it (ms)\n\n"
        + "Measured from Envoy's per-host request counters (tries, retries included), polled every "
        + HostTrafficRecorder.POLL_MS + " ms: for a replica that lost a model, until Envoy stopped sending"
        + " it that model's requests; for one that gained it, until Envoy first sent it one. \"never\":"
        + " not within the step.\n\n| step | model | replica | change |");
    scenario.forEach(r -> md.append(' ').append(r.setup()).append(" |"));
    md.append("\n|---|---|---|---|");
    scenario.forEach(r -> md.append("---:|"));
    md.append('\n');
    int events = scenario.get(0).follows().size();
    for (int i = 0; i < events; i++) {
      Follow f = scenario.get(0).follows().get(i);
      md.append("| ").append(f.event().step()).append(" | ").append(f.event().model()).append(" | ")
          .append(f.event().replica()).append(" | ").append(f.event().in() ? "gains" : "loses").append(" |");
      for (SetupResult r : scenario) {
        OptionalLong ms = i < r.follows().size() ? r.follows().get(i).millis() : OptionalLong.empty();
        md.append(' ').append(ms.isPresent() ? String.valueOf(ms.getAsLong()) : "never").append(" |");
      }
      md.append('\n');
    }

    SetupResult direct = results.stream().filter(r -> r.setup() == ComparisonSetups.DIRECT).findFirst().orElseThrow();
    StepResult directSteady = direct.steps().get(0);
    md.append("\n## Summary\n\n| setup | failed | follow median ms | follow p99 ms | never followed |"
        + " probes/s to TF Serving | modelgate CPU (% of a core) | modelgate RSS MiB |"
        + " steady p50 ms | steady p99 ms | p50 vs direct | p99 vs direct |\n"
        + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (SetupResult r : results) {
      long failed = r.steps().stream().mapToLong(StepResult::failures).sum();
      List<Long> followed = new ArrayList<>();
      long never = 0;
      for (Follow f : r.follows()) {
        if (f.millis().isPresent()) {
          followed.add(f.millis().getAsLong());
        } else {
          never++;
        }
      }
      long[] sorted = followed.stream().mapToLong(Long::longValue).sorted().toArray();
      StepResult steady = r.steps().get(0);
      md.append("| ").append(r.setup()).append(" | ").append(failed).append(" | ")
          .append(r.follows().isEmpty() ? "-" : nearest(sorted, 50)).append(" | ")
          .append(r.follows().isEmpty() ? "-" : nearest(sorted, 99)).append(" | ")
          .append(r.follows().isEmpty() ? "-" : never + " of " + r.follows().size()).append(" | ")
          .append(String.format(Locale.ROOT, "%.1f", r.probesPerSecond())).append(" | ")
          .append(Double.isNaN(r.cpuPercentOfOneCore()) ? "-" : String.format(Locale.ROOT, "%.1f", r.cpuPercentOfOneCore())).append(" | ")
          .append(Double.isNaN(r.rssMiB()) ? "-" : String.format(Locale.ROOT, "%.0f", r.rssMiB())).append(" | ")
          .append(ComparisonBenchmark.ms(steady.p50())).append(" | ")
          .append(ComparisonBenchmark.ms(steady.p99())).append(" | ")
          .append(String.format(Locale.ROOT, "%.2f", steady.p50() / directSteady.p50())).append(" | ")
          .append(String.format(Locale.ROOT, "%.2f", steady.p99() / directSteady.p99())).append(" |\n");
    }

    md.append("\n## Why requests failed\n\n");
    for (SetupResult r : scenario) {
      for (StepResult s : r.steps()) {
        for (Map.Entry<String, Long> reason : s.reasons().entrySet()) {
          md.append("- ").append(r.setup()).append(", ").append(s.step()).append(": ")
              .append(reason.getValue()).append("x ").append(reason.getKey()).append('\n');
        }
      }
    }
    md.append("\nPlot: [comparison.svg](comparison.svg) (success rate per second, and Envoy's tries per"
        + " second to each replica, all models; dashed lines start the steps).\n");
    return md.toString();
  }

  private static String nearest(long[] sorted, double percentile) {
    if (sorted.length == 0) {
      return "-";
    }
    int index = (int) Math.ceil(percentile / 100 * sorted.length) - 1;
    return String.valueOf(sorted[Math.max(0, index)]);
  }

  /** One panel pair per scenario setup: success rate, then tries per replica, per second. */
  static String svg(List<SetupResult> results) {
    List<SetupResult> scenario = results.stream().filter(r -> r.setup() != ComparisonSetups.DIRECT).toList();
    int width = 960;
    int panel = 130;
    int block = 2 * panel + 70;
    int left = 60;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n",
        width, block * scenario.size() + 20));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    for (int b = 0; b < scenario.size(); b++) {
      SetupResult r = scenario.get(b);
      int top = 20 + b * block;
      int seconds = r.timeline().seconds();
      double xScale = (width - left - 20) / (double) seconds;
      svg.append(text(left, top - 4, r.setup() + ": " + r.setup().description, "bold"));
      axes(svg, left, top, width - left - 20, panel, "success %");
      axes(svg, left, top + panel + 30, width - left - 20, panel, "tries/s");
      for (double start : r.stepStartSeconds()) {
        double x = left + start * xScale;
        svg.append(String.format(Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>%n",
            x, top, x, top + 2 * panel + 30));
      }
      List<double[]> success = new ArrayList<>();
      for (int s = 0; s < seconds; s++) {
        long ok = r.timeline().ok(s);
        long all = ok + r.timeline().failed(s);
        if (all > 0) {
          success.add(new double[] {left + (s + 0.5) * xScale, top + panel - panel * ok / (double) all});
        }
      }
      svg.append(polyline(success, "#000"));
      long max = 1;
      for (long[] series : r.triesPerReplica().values()) {
        for (long v : series) {
          max = Math.max(max, v);
        }
      }
      int colour = 0;
      for (Map.Entry<String, long[]> series : r.triesPerReplica().entrySet()) {
        List<double[]> points = new ArrayList<>();
        long[] values = series.getValue();
        int base = top + 2 * panel + 30;
        for (int s = 0; s < values.length; s++) {
          points.add(new double[] {left + (s + 0.5) * xScale, base - panel * values[s] / (double) max});
        }
        String c = COLOURS[colour++ % COLOURS.length];
        svg.append(polyline(points, c));
        svg.append(text(width - 60, top + panel + 42 + 12 * colour, series.getKey(), "normal").replace("<text", "<text fill=\"" + c + "\""));
      }
      svg.append(text(left - 55, top + 2 * panel + 30 - panel, "max " + max, "normal"));
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static void axes(StringBuilder svg, int x, int y, int w, int h, String label) {
    svg.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", x, y, w, h));
    svg.append(text(x - 55, y + h / 2, label, "normal"));
  }

  private static String polyline(List<double[]> points, String colour) {
    StringBuilder p = new StringBuilder();
    for (double[] point : points) {
      p.append(String.format(Locale.ROOT, "%.1f,%.1f ", point[0], point[1]));
    }
    return "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"1.5\" points=\"" + p.toString().strip() + "\"/>\n";
  }

  private static String text(double x, double y, String content, String weight) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"%s\">%s</text>%n",
        x, y, weight, content.replace("&", "&amp;").replace("<", "&lt;"));
  }
}
