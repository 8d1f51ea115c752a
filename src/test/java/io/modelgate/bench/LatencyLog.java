package io.modelgate.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recorded latencies (nanoseconds) and failures, per named stream of requests; percentiles come
 * from the sorted recorded values (nearest rank), so nothing is bucketed or approximated.
 * Thread-safe: calls complete on client threads while the sender keeps recording.
 */
final class LatencyLog {
  private final Map<String, Stream> streams = new ConcurrentHashMap<>();

  void ok(String stream, long nanos) {
    stream(stream).add(nanos);
  }

  void failed(String stream, String why) {
    stream(stream).fail(why);
  }

  /** This log's samples and failures added to {@code into}. */
  void addTo(LatencyLog into) {
    streams.forEach((name, s) -> s.copyInto(into.stream(name)));
  }

  static LatencyLog merge(Collection<LatencyLog> logs) {
    LatencyLog merged = new LatencyLog();
    logs.forEach(log -> log.addTo(merged));
    return merged;
  }

  /** Successful calls' latencies of {@code stream}, ascending (empty if none). */
  long[] sorted(String stream) {
    Stream s = streams.get(stream);
    return s == null ? new long[0] : s.sorted();
  }

  /** Failure reasons of {@code stream} with their counts. */
  Map<String, Long> failures(String stream) {
    Stream s = streams.get(stream);
    return s == null ? Map.of() : s.failures();
  }

  long failureCount(String stream) {
    return failures(stream).values().stream().mapToLong(Long::longValue).sum();
  }

  /** The nearest-rank {@code p}-th percentile of ascending {@code sorted}, in milliseconds. */
  static double percentileMs(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
  }

  private Stream stream(String name) {
    return streams.computeIfAbsent(name, n -> new Stream());
  }

  /** One stream's samples; a plain growable array under the stream's own monitor (no I/O held). */
  private static final class Stream {
    private long[] values = new long[1024];
    private int size;
    private final Map<String, Long> failures = new TreeMap<>();

    synchronized void add(long nanos) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = nanos;
    }

    synchronized void fail(String why) {
      failures.merge(why, 1L, Long::sum);
    }

    synchronized long[] sorted() {
      long[] copy = Arrays.copyOf(values, size);
      Arrays.sort(copy);
      return copy;
    }

    synchronized Map<String, Long> failures() {
      return Map.copyOf(failures);
    }

    void copyInto(Stream target) {
      long[] mine;
      Map<String, Long> myFailures;
      synchronized (this) {
        mine = Arrays.copyOf(values, size);
        myFailures = Map.copyOf(failures);
      }
      for (long v : mine) {
        target.add(v);
      }
      myFailures.forEach((why, n) -> {
        synchronized (target) {
          target.failures.merge(why, n, Long::sum);
        }
      });
    }
  }
}
