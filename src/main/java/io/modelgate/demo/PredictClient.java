package io.modelgate.demo;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Calls a half_plus_two model's Predict with {@link #INPUT} through one protocol and checks the
 * answer against {@link #EXPECTED}. Implementations are thread-safe and never block the caller:
 * {@link #predict} returns at once. Used by the demo and by the benchmarks.
 */
public interface PredictClient extends AutoCloseable {
  String MODEL = "half_plus_two";
  float[] INPUT = {1.0f, 2.0f};
  /** y = 0.5 x + 2. */
  float[] EXPECTED = {2.5f, 3.0f};

  /** A Predict that did not produce the expected answer: why, and who answered if known. */
  public final class PredictFailure extends Exception {
    private final transient Optional<String> replica;

    PredictFailure(String message, Optional<String> replica) {
      super(message, null, /* enableSuppression= */ false, /* writableStackTrace= */ false);
      this.replica = replica;
    }

    public Optional<String> replica() {
      return replica;
    }
  }

  /**
   * A correct answer: the replica that gave it, and how long modelgate's gateway filter held the
   * request for a replica to become ready, if it did ({@code x-modelgate-held-ms}).
   */
  record Answered(String replica, OptionalLong heldMs) {}

  Api api();

  /**
   * One Predict call with the given deadline. Completes with the replica that answered correctly,
   * or exceptionally with a {@link PredictFailure}; always within about the deadline.
   */
  CompletableFuture<Answered> predict(Duration deadline);

  @Override
  void close();
}
