package io.modelgate.demo;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

/**
 * Open-loop Predict traffic at a fixed rate: a timer sends whatever the rate says is due since
 * the start, alternating between the clients (REST, gRPC, REST, ...), whether or not earlier
 * calls have answered. Every call is asynchronous with a deadline; at most {@code maxInFlight}
 * are open, and a call that would exceed that is not sent but counted as failed, so nothing ever
 * queues up. Each finished call goes to the {@link Tally}, tagged with the rollout step current
 * when it was sent.
 *
 * <p>Thread-safe. Sending happens on the generator's single timer thread; completions arrive
 * on the clients' threads and only touch the tally and a semaphore.
 */
final class LoadGenerator implements AutoCloseable {
  /** How often the timer wakes up to send what is due. */
  private static final Duration TICK = Duration.ofMillis(5);
  /** Extra time past a call's deadline before the generator itself gives up on it. */
  private static final Duration GRACE = Duration.ofSeconds(1);

  private final List<PredictClient> clients;
  private final double ratePerSecond;
  private final Duration deadline;
  private final int maxInFlight;
  private final Semaphore inFlight;
  private final IntSupplier currentStep;
  private final Tally tally;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "demo-load");
            thread.setDaemon(true);
            return thread;
          });
  private long startNanos; // timer thread only, after start
  private volatile long sent; // written by the timer thread only

  LoadGenerator(
      List<PredictClient> clients,
      double ratePerSecond,
      Duration deadline,
      int maxInFlight,
      IntSupplier currentStep,
      Tally tally) {
    if (clients.isEmpty() || ratePerSecond <= 0 || maxInFlight < 1) {
      throw new IllegalArgumentException("need clients, a positive rate and an in-flight limit");
    }
    this.clients = List.copyOf(clients);
    this.ratePerSecond = ratePerSecond;
    this.deadline = deadline;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
    this.currentStep = currentStep;
    this.tally = tally;
  }

  void start() {
    long now = System.nanoTime();
    timer.execute(() -> startNanos = now);
    timer.scheduleAtFixedRate(this::sendDue, 0, TICK.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Stops sending, then waits for the calls in flight to finish (each is bounded by its
   * deadline). Returns false if some are still open after {@code timeout}.
   */
  boolean stop(Duration timeout) throws InterruptedException {
    timer.shutdown();
    if (!timer.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      timer.shutdownNow();
    }
    if (inFlight.tryAcquire(maxInFlight, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      inFlight.release(maxInFlight);
      return true;
    }
    return false;
  }

  /** Calls due so far (sent, or counted as not sent); final once {@link #stop} has returned. */
  long sent() {
    return sent;
  }

  private void sendDue() {
    long now = System.nanoTime();
    long due = (long) ((now - startNanos) * ratePerSecond / 1e9) + 1;
    while (sent < due) {
      send(clients.get((int) (sent % clients.size())));
      sent++;
    }
  }

  private void send(PredictClient client) {
    int step = currentStep.getAsInt();
    long sentAt = System.nanoTime();
    if (!inFlight.tryAcquire()) {
      tally.record(
          RequestRecord.failed(
              step, client.api(), sentAt, 0, Optional.empty(),
              "not sent: " + maxInFlight + " calls already in flight (client limit)"));
      return;
    }
    try {
      client
          .predict(deadline)
          .orTimeout(deadline.plus(GRACE).toNanos(), TimeUnit.NANOSECONDS)
          .whenComplete(
              (answered, error) -> {
                long latency = System.nanoTime() - sentAt;
                try {
                  tally.record(
                      error == null
                          ? RequestRecord.ok(step, client.api(), sentAt, latency, answered.replica())
                          : failure(step, client.api(), sentAt, latency, error));
                } finally {
                  inFlight.release();
                }
              });
    } catch (RuntimeException e) {
      // A client that throws instead of failing its future (e.g. shut down) still counts.
      inFlight.release();
      tally.record(failure(step, client.api(), sentAt, System.nanoTime() - sentAt, e));
    }
  }

  private RequestRecord failure(int step, Api api, long sentAt, long latency, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof PredictClient.PredictFailure failure) {
      String who = failure.replica().map(r -> " [from " + r + "]").orElse("");
      return RequestRecord.failed(step, api, sentAt, latency, failure.replica(), failure.getMessage() + who);
    }
    if (cause instanceof TimeoutException) {
      return RequestRecord.failed(
          step, api, sentAt, latency, Optional.empty(), "no answer within " + deadline.plus(GRACE).toMillis() + " ms");
    }
    return RequestRecord.failed(
        step, api, sentAt, latency, Optional.empty(), cause.getClass().getSimpleName() + ": " + cause.getMessage());
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
