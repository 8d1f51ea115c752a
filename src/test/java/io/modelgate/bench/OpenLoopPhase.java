package io.modelgate.bench;

import io.modelgate.demo.PredictClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One phase of open-loop traffic: request {@code i} is due at {@code start + i / rate}, whatever
 * earlier requests are doing, and goes to slot {@code i mod slots}. Latency runs from the due
 * time, not from the moment the request actually left, so a stalled sender or a slow answer
 * shows in the numbers instead of delaying later requests (no coordinated omission). How late
 * the sender itself was is recorded separately.
 *
 * <p>The sender is the calling thread; completions are recorded on the clients' threads. A call
 * is never queued: beyond {@link #MAX_IN_FLIGHT} open calls a due request is not sent and counts
 * as failed. {@link #run} returns once every sent call has finished (each has a deadline).
 */
final class OpenLoopPhase {
  static final int MAX_IN_FLIGHT = 1000;
  private static final Duration GRACE = Duration.ofSeconds(2);

  /** Which stream a slot's requests are recorded under, and how they are sent. */
  record Slot(String stream, PredictClient call) {}

  /** Latencies and failures per stream, and the sender's lateness per stream. */
  record Result(LatencyLog latencies, LatencyLog senderLag) {}

  private OpenLoopPhase() {}

  static Result run(List<Slot> slots, double ratePerSecond, Duration length, Duration deadline)
      throws InterruptedException {
    LatencyLog latencies = new LatencyLog();
    LatencyLog lag = new LatencyLog();
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    long count = (long) (ratePerSecond * length.toNanos() / 1e9);
    long start = System.nanoTime();
    for (long i = 0; i < count; i++) {
      long due = start + (long) (i * 1e9 / ratePerSecond);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      Slot slot = slots.get((int) (i % slots.size()));
      lag.ok(slot.stream(), Math.max(0, System.nanoTime() - due));
      if (!inFlight.tryAcquire()) {
        latencies.failed(slot.stream(), "not sent: " + MAX_IN_FLIGHT + " calls already open");
        continue;
      }
      try {
        slot.call()
            .predict(deadline)
            .whenComplete(
                (ok, error) -> {
                  long latency = System.nanoTime() - due;
                  if (error == null) {
                    latencies.ok(slot.stream(), latency);
                  } else {
                    latencies.failed(slot.stream(), reason(error));
                  }
                  inFlight.release();
                });
      } catch (RuntimeException e) {
        inFlight.release();
        latencies.failed(slot.stream(), reason(e));
      }
    }
    if (!inFlight.tryAcquire(MAX_IN_FLIGHT, deadline.plus(GRACE).toNanos(), TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException("calls still open " + deadline.plus(GRACE) + " after the phase ended");
    }
    return new Result(latencies, lag);
  }

  /** A failed call's reason as one line: the client's message, or the exception's class and message. */
  static String reason(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return cause instanceof PredictClient.PredictFailure ? cause.getMessage() : cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }
}
