package io.modelgate.xds;

import io.modelgate.xds.InferenceClient.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Steady inference traffic in the background: each of its threads sends one call after another
 * until {@link #close()}, a call budget, or a time limit, and every answer is kept. Bounded in
 * time and count so a broken route cannot make a test run forever. Thread-safe.
 */
public final class TrafficLoop implements AutoCloseable {
  private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopped;

  /** One thread per call kind; each stops after {@code maxCalls} calls or {@code maxTime}. */
  @SafeVarargs
  public TrafficLoop(int maxCalls, Duration maxTime, Supplier<Answer>... calls) {
    long deadline = System.nanoTime() + maxTime.toNanos();
    for (Supplier<Answer> call : calls) {
      Thread thread =
          new Thread(
              () -> {
                for (int i = 0; i < maxCalls && !stopped && System.nanoTime() < deadline; i++) {
                  answers.add(call.get());
                }
              },
              "traffic-" + threads.size());
      thread.setDaemon(true);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
  }

  public int count() {
    return answers.size();
  }

  public List<Answer> failures() {
    return answers.stream().filter(a -> !a.ok()).toList();
  }

  /** Successful answers per replica id. */
  public Map<String, Long> answeredBy() {
    return answers.stream().filter(Answer::ok).collect(Collectors.groupingBy(Answer::replica, Collectors.counting()));
  }

  /** Stops sending and waits for the calls in flight. */
  @Override
  public void close() throws InterruptedException {
    stopped = true;
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }
}
