package io.modelgate.bench;

import io.modelgate.demo.Api;
import io.modelgate.demo.PredictClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Answered and failed calls per second since an origin, for the success-rate plot: a {@link
 * PredictClient} wrapped by {@link #recording} counts each completion in the second it completed.
 * Thread-safe and lock-free.
 */
final class OutcomeTimeline {
  private final long origin;
  private final AtomicLongArray ok;
  private final AtomicLongArray failed;

  OutcomeTimeline(long originNanos, int seconds) {
    this.origin = originNanos;
    this.ok = new AtomicLongArray(seconds);
    this.failed = new AtomicLongArray(seconds);
  }

  PredictClient recording(PredictClient call) {
    return new PredictClient() {
      @Override
      public Api api() {
        return call.api();
      }

      @Override
      public CompletableFuture<Answered> predict(Duration deadline) {
        return call.predict(deadline).whenComplete((replica, error) -> count(error == null));
      }

      @Override
      public void close() {
        call.close();
      }
    };
  }

  private void count(boolean answered) {
    int second = (int) ((System.nanoTime() - origin) / 1_000_000_000L);
    if (second >= 0 && second < ok.length()) {
      (answered ? ok : failed).incrementAndGet(second);
    }
  }

  int seconds() {
    return ok.length();
  }

  long ok(int second) {
    return ok.get(second);
  }

  long failed(int second) {
    return failed.get(second);
  }
}
