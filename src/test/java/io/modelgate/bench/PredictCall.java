package io.modelgate.bench;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One kind of Predict request a benchmark sends through Envoy, sent asynchronously: the future
 * completes normally when the call returned the right answer, and exceptionally with a {@link
 * Failure} (one line, the same for every call that failed the same way) otherwise.
 * Implementations are thread-safe.
 */
interface PredictCall extends AutoCloseable {

  CompletableFuture<Void> send(Duration deadline);

  @Override
  void close();

  /** Why a call did not return the right answer; no stack trace, the message groups failures. */
  final class Failure extends RuntimeException {
    Failure(String message) {
      super(message, null, false, false);
    }
  }
}
