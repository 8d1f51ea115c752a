package io.modelgate.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The true state of the chaos benchmark's fleet at every instant, as the benchmark made it:
 * when each (replica, model) pair was AVAILABLE and when each replica was out (hung or dead),
 * on the {@link System#nanoTime} clock. From it, whether a request for a model sent at an
 * instant could have been served ({@link #servable}: some replica had the model AVAILABLE and
 * was up) and whether an instant lies in a hang window (a replica hung, or just back).
 *
 * <p>Intervals are half-open, [from, to); one opened with a start in the future (a load that
 * completes later) and closed before that start is empty. Thread-safe (synchronized): the chaos
 * thread records while nobody reads; the report reads after the run.
 */
final class ChaosOracle {
  private record Interval(long from, long to) {
    boolean contains(long at) {
      return at >= from && at < to;
    }
  }

  private final Map<String, List<Interval>> available = new HashMap<>();
  private final Map<String, Long> availableSince = new HashMap<>();
  private final Map<String, List<Interval>> down = new HashMap<>();
  private final Map<String, Long> downSince = new HashMap<>();
  private final Map<String, List<Interval>> hangs = new HashMap<>();
  private final Map<String, Long> hangSince = new HashMap<>();

  /** {@code model} AVAILABLE on {@code replica} from {@code fromNanos} until {@link #unavailable}. */
  synchronized void available(String replica, String model, long fromNanos) {
    availableSince.putIfAbsent(key(replica, model), fromNanos);
  }

  /** {@code model} not AVAILABLE on {@code replica} from {@code atNanos} (no-op if it was not). */
  synchronized void unavailable(String replica, String model, long atNanos) {
    close(available, availableSince, key(replica, model), atNanos);
  }

  /** {@code replica} answers nothing (hung) or refuses connections (dead) from {@code atNanos}. */
  synchronized void down(String replica, long atNanos) {
    downSince.putIfAbsent(replica, atNanos);
  }

  synchronized void up(String replica, long atNanos) {
    close(down, downSince, replica, atNanos);
  }

  /** {@code replica} hangs from {@code atNanos}: it is down, and requests sent to it wait. */
  synchronized void hung(String replica, long atNanos) {
    down(replica, atNanos);
    hangSince.putIfAbsent(replica, atNanos);
  }

  synchronized void unhung(String replica, long atNanos) {
    up(replica, atNanos);
    close(hangs, hangSince, replica, atNanos);
  }

  /** Whether at {@code atNanos} some replica that was up had {@code model} AVAILABLE. */
  synchronized boolean servable(String model, long atNanos) {
    for (Map.Entry<String, List<Interval>> pair : intervals(available, availableSince).entrySet()) {
      String[] rm = pair.getKey().split("\u0000", 2);
      if (rm[1].equals(model)
          && covers(pair.getValue(), atNanos)
          && !covers(intervals(down, downSince).getOrDefault(rm[0], List.of()), atNanos)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The first instant from {@code fromNanos} (to a 5 ms step) at which {@code model} could be
   * served, or -1 if not within {@code limitNanos}: when a request that found none could have gone.
   */
  synchronized long servableAt(String model, long fromNanos, long limitNanos) {
    long step = 5_000_000;
    for (long at = fromNanos; at <= fromNanos + limitNanos; at += step) {
      if (servable(model, at)) {
        return at;
      }
    }
    return -1;
  }

  /**
   * Whether {@code atNanos} falls while a replica hung or within {@code graceNanos} after: a try
   * sent to it then waits out the per-try timeout. (A dead replica refuses at once.)
   */
  synchronized boolean inHangWindow(long atNanos, long graceNanos) {
    for (List<Interval> outs : intervals(hangs, hangSince).values()) {
      for (Interval out : outs) {
        if (atNanos >= out.from() && atNanos < out.to() + Math.min(graceNanos, Long.MAX_VALUE - out.to())) {
          return true;
        }
      }
    }
    return false;
  }

  /** Each replica's out intervals, as [from, to) pairs; an open one ends at {@link Long#MAX_VALUE}. */
  synchronized Map<String, List<long[]>> outs() {
    Map<String, List<long[]>> outs = new HashMap<>();
    intervals(down, downSince).forEach(
        (replica, list) -> outs.put(replica, list.stream().map(i -> new long[] {i.from(), i.to()}).toList()));
    return outs;
  }

  private static void close(Map<String, List<Interval>> closed, Map<String, Long> open, String key, long at) {
    Long since = open.remove(key);
    if (since != null && at > since) {
      closed.computeIfAbsent(key, k -> new ArrayList<>()).add(new Interval(since, at));
    }
  }

  /** The closed intervals plus the open ones, up to the end of time. */
  private static Map<String, List<Interval>> intervals(Map<String, List<Interval>> closed, Map<String, Long> open) {
    if (open.isEmpty()) {
      return closed;
    }
    Map<String, List<Interval>> all = new HashMap<>();
    closed.forEach((k, v) -> all.put(k, new ArrayList<>(v)));
    open.forEach((k, since) -> all.computeIfAbsent(k, x -> new ArrayList<>()).add(new Interval(since, Long.MAX_VALUE)));
    return all;
  }

  private static boolean covers(List<Interval> intervals, long at) {
    for (Interval interval : intervals) {
      if (interval.contains(at)) {
        return true;
      }
    }
    return false;
  }

  private static String key(String replica, String model) {
    return replica + "\u0000" + model;
  }
}
