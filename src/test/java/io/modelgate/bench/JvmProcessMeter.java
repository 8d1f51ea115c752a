package io.modelgate.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What another JVM process costs, read from outside: CPU time from {@code /proc/<pid>/stat},
 * resident memory (current and peak) from {@code /proc/<pid>/status}, and heap from one
 * long-running {@code jstat -gc <pid> 1000} (a single sampler process reading the JVM's
 * perf-data file once a second, so measuring adds no attach or JVM start per sample).
 *
 * <p>Thread-safe: the jstat reader thread is the only writer of the heap figures, which are
 * published under the object's monitor. If jstat fails, heap figures stay at zero (reported as
 * such); CPU and memory come from /proc and do not depend on it.
 */
public final class JvmProcessMeter implements AutoCloseable {
  /** Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every mainstream kernel. */
  private static final long NANOS_PER_TICK = 10_000_000L;
  private static final Pattern HEAP_TOTAL = Pattern.compile("total (\\d+)K, used (\\d+)K");

  /** Heap from one jstat line, in KiB, with cumulative GC counts and time. */
  public record HeapSample(double usedKib, double committedKib, long gcCount, double gcSeconds) {}

  private final long pid;
  private final Process jstat;
  private final Thread reader;
  private HeapSample last = new HeapSample(0, 0, 0, 0);
  private double peakUsedKib;
  private double peakCommittedKib;

  public JvmProcessMeter(long pid) throws IOException {
    this.pid = pid;
    jstat =
        new ProcessBuilder("jstat", "-gc", String.valueOf(pid), "1000")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    reader = new Thread(this::readSamples, "jstat-" + pid);
    reader.setDaemon(true);
    reader.start();
  }

  /** User plus system CPU time of the process so far. */
  long cpuNanos() throws IOException {
    return cpuNanos(pid);
  }

  /** User plus system CPU time of any process so far (its children not included). */
  static long cpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    // Fields after the command name in parentheses: state is the first, utime the 12th, stime the 13th.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
  }

  /** CPU time all cores have spent busy (not idle, not waiting for I/O) since boot. */
  static long machineBusyNanos() throws IOException {
    String[] ticks = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    // cpu user nice system idle iowait irq softirq steal (guest time is already in user).
    for (int field : new int[] {1, 2, 3, 6, 7, 8}) {
      busy += Long.parseLong(ticks[field]);
    }
    return busy * NANOS_PER_TICK;
  }

  /** VmRSS (now) or VmHWM (peak) from /proc, in KiB. */
  long memoryKib(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IOException(field + " not in /proc/" + pid + "/status");
  }

  public synchronized HeapSample lastHeap() {
    return last;
  }

  /** Highest heap used (eden, survivors, old) over the samples since the last reset, KiB. */
  public synchronized double peakUsedKib() {
    return peakUsedKib;
  }

  synchronized double peakCommittedKib() {
    return peakCommittedKib;
  }

  synchronized void resetPeaks() {
    peakUsedKib = last.usedKib();
    peakCommittedKib = last.committedKib();
  }

  /**
   * {@code jcmd <pid> GC.heap_info}'s heap total and used in KiB; with {@code fullGcFirst}, after
   * {@code GC.run} (the live set; only once the measurements are over).
   */
  long[] heapInfo(boolean fullGcFirst) throws IOException, InterruptedException {
    if (fullGcFirst) {
      run(List.of("jcmd", String.valueOf(pid), "GC.run"));
    }
    Matcher m = HEAP_TOTAL.matcher(run(List.of("jcmd", String.valueOf(pid), "GC.heap_info")));
    if (!m.find()) {
      throw new IOException("no heap total in jcmd GC.heap_info");
    }
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  private void readSamples() {
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(jstat.getInputStream(), StandardCharsets.UTF_8))) {
      List<String> header = null;
      String line;
      while ((line = lines.readLine()) != null) {
        List<String> cells = List.of(line.trim().split("\\s+"));
        if (cells.contains("EU")) {
          header = cells;
        } else if (header != null && cells.size() == header.size()) {
          record(header, cells);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // The process ended or jstat changed its format: heap figures stay as last read.
    }
  }

  private void record(List<String> header, List<String> cells) {
    double used = 0;
    double committed = 0;
    for (String survivorEdenOld : List.of("S0", "S1", "E", "O")) {
      used += cell(header, cells, survivorEdenOld + "U");
      committed += cell(header, cells, survivorEdenOld + "C");
    }
    long gcs = (long) (cell(header, cells, "YGC") + cell(header, cells, "FGC") + cell(header, cells, "CGC"));
    HeapSample sample = new HeapSample(used, committed, gcs, cell(header, cells, "GCT"));
    synchronized (this) {
      last = sample;
      peakUsedKib = Math.max(peakUsedKib, used);
      peakCommittedKib = Math.max(peakCommittedKib, committed);
    }
  }

  private static double cell(List<String> header, List<String> cells, String name) {
    int index = header.indexOf(name);
    return index < 0 || cells.get(index).equals("-") ? 0 : Double.parseDouble(cells.get(index));
  }

  @Override
  public void close() throws InterruptedException {
    jstat.destroy();
    jstat.waitFor();
    reader.join(2000);
  }
}
