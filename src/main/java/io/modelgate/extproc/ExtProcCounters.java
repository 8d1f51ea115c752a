package io.modelgate.extproc;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of the gateway filter's decisions by kind since start, plus messages whose handling
 * failed unexpectedly (answered with a pass-through), forged observer messages, gRPC requests
 * whose body never came, and held requests by how their hold ended. Thread-safe and lock-free; read for metrics.
 */
public final class ExtProcCounters {
  private final Map<DecisionKind, LongAdder> decisions = new EnumMap<>(DecisionKind.class);
  private final LongAdder handlerFailures = new LongAdder();
  private final LongAdder forgedObserverMessages = new LongAdder();
  private final LongAdder missingBodies = new LongAdder();
  private final LongAdder held = new LongAdder();
  private final LongAdder holdReleased = new LongAdder();
  private final LongAdder holdExpired = new LongAdder();
  private final LongAdder holdRefused = new LongAdder();
  private final LongAdder holdCancelled = new LongAdder();

  public ExtProcCounters() {
    for (DecisionKind kind : DecisionKind.values()) {
      decisions.put(kind, new LongAdder());
    }
  }

  void record(DecisionKind kind) {
    decisions.get(kind).increment();
  }

  void handlerFailed() {
    handlerFailures.increment();
  }

  void forgedObserverMessage() {
    forgedObserverMessages.increment();
  }

  void bodyMissing() {
    missingBodies.increment();
  }

  void held() {
    held.increment();
  }

  void holdReleased() {
    holdReleased.increment();
  }

  void holdExpired() {
    holdExpired.increment();
  }

  void holdRefused() {
    holdRefused.increment();
  }

  void holdCancelled() {
    holdCancelled.increment();
  }

  /**
   * Requests held for a replica, and how their holds ended: released to a READY replica,
   * answered UNAVAILABLE (the hold ran out, or the model failed everywhere meanwhile), or
   * cancelled by the client; plus requests refused a hold because the queue was full.
   */
  public HoldCounts holds() {
    return new HoldCounts(
        held.sum(), holdReleased.sum(), holdExpired.sum(), holdCancelled.sum(), holdRefused.sum());
  }

  /** See {@link #holds()}. */
  public record HoldCounts(long held, long released, long expired, long cancelled, long refused) {}

  /** Messages that claimed observability mode on a stream without the observer token (ignored). */
  public long forgedObserverMessages() {
    return forgedObserverMessages.sum();
  }

  /** gRPC requests whose stream ended before their body came (over the size limit, cancelled). */
  public long missingBodies() {
    return missingBodies.sum();
  }

  public long count(DecisionKind kind) {
    return decisions.get(kind).sum();
  }

  /** Every kind with its count, zeros included, in declaration order. */
  public Map<DecisionKind, Long> snapshot() {
    Map<DecisionKind, Long> counts = new EnumMap<>(DecisionKind.class);
    decisions.forEach((kind, adder) -> counts.put(kind, adder.sum()));
    return Collections.unmodifiableMap(counts);
  }

  public long handlerFailures() {
    return handlerFailures.sum();
  }
}
