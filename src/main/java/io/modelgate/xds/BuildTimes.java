package io.modelgate.xds;

import java.util.Arrays;

/**
 * The durations of the last {@value #WINDOW} snapshot builds, for operators and the scale
 * benchmark. One writer (the builder thread) and any readers: {@link #summary} copies under the
 * object's monitor, which {@link #add} holds only to store one number.
 */
public final class BuildTimes {
  static final int WINDOW = 256;

  private final long[] nanos = new long[WINDOW];
  private long count;

  /** Percentiles of recent builds in milliseconds; all 0 before the first. */
  public record Summary(long builds, double p50Ms, double p99Ms, double maxMs) {}

  synchronized void add(long durationNanos) {
    nanos[(int) (count % WINDOW)] = durationNanos;
    count++;
  }

  public Summary summary() {
    long[] recent;
    long total;
    synchronized (this) {
      total = count;
      recent = Arrays.copyOf(nanos, (int) Math.min(count, WINDOW));
    }
    if (recent.length == 0) {
      return new Summary(0, 0, 0, 0);
    }
    Arrays.sort(recent);
    return new Summary(
        total, millis(recent, 0.50), millis(recent, 0.99), recent[recent.length - 1] / 1e6);
  }

  private static double millis(long[] sorted, double quantile) {
    int index = (int) Math.ceil(quantile * sorted.length) - 1;
    return sorted[Math.max(0, index)] / 1e6;
  }
}
