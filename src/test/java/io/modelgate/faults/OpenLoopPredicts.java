package io.modelgate.faults;

import static org.awaitility.Awaitility.await;

import io.modelgate.demo.PredictClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Predict calls sent at a fixed rate whatever the earlier ones are doing (open loop), taking the
 * clients in turn; every call has a deadline, so {@link #close()} returns within about one.
 * Counts the answers, and the failures by reason. Thread-safe: one timer thread sends, the
 * clients' threads record.
 */
final class OpenLoopPredicts implements AutoCloseable {
  private static final Duration TICK = Duration.ofMillis(2);

  private final List<PredictClient> clients;
  private final double ratePerSecond;
  private final Duration deadline;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "open-loop-predicts");
            thread.setDaemon(true);
            return thread;
          });
  private final AtomicLong sent = new AtomicLong();
  private final LongAdder answered = new LongAdder();
  private final LongAdder finished = new LongAdder();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private final long start = System.nanoTime();

  OpenLoopPredicts(List<PredictClient> clients, double ratePerSecond, Duration deadline) {
    this.clients = List.copyOf(clients);
    this.ratePerSecond = ratePerSecond;
    this.deadline = deadline;
    timer.scheduleAtFixedRate(this::sendDue, 0, TICK.toNanos(), TimeUnit.NANOSECONDS);
  }

  long sent() {
    return sent.get();
  }

  long answered() {
    return answered.sum();
  }

  /** Failed calls by reason (client, then what it saw), sorted. */
  Map<String, Long> failures() {
    Map<String, Long> byReason = new TreeMap<>();
    failures.forEach((reason, count) -> byReason.put(reason, count.sum()));
    return byReason;
  }

  /** Stops sending and waits for the calls in flight to finish. */
  @Override
  public void close() throws InterruptedException {
    timer.shutdown();
    timer.awaitTermination(1, TimeUnit.SECONDS);
    await().atMost(deadline.plusSeconds(2)).until(() -> finished.sum() == sent.get());
  }

  private void sendDue() {
    long due = (long) ((System.nanoTime() - start) * ratePerSecond / 1e9) + 1;
    while (sent.get() < due) {
      PredictClient client = clients.get((int) (sent.getAndIncrement() % clients.size()));
      try {
        client.predict(deadline).whenComplete((answered, error) -> record(client, error));
      } catch (RuntimeException e) {
        record(client, e);
      }
    }
  }

  private void record(PredictClient client, Throwable error) {
    if (error == null) {
      answered.increment();
    } else {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      failures.computeIfAbsent(client.api() + ": " + cause.getMessage(), r -> new LongAdder()).increment();
    }
    finished.increment();
  }
}
