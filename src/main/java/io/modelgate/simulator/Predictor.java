package io.modelgate.simulator;

import io.modelgate.tfserving.api.ModelSpec;
import java.util.function.Supplier;

/**
 * Serves Predict for one simulated replica, shared by its gRPC and REST fronts: resolves the
 * servable through {@link Servables}, checks the signature, then runs half_plus_two. Checks run
 * in TF Serving's order (servable, then signature, then inputs), so the same bad request gets
 * the same error. Thread-safe and stateless.
 */
final class Predictor {

  /** A successful prediction: which servable answered, and the output tensor. */
  record Prediction(Servables.Served servable, FloatTensor output) {}

  private final Servables servables;

  Predictor(Servables servables) {
    this.servables = servables;
  }

  /**
   * @param input decodes the request's input tensor; called only once the servable is found,
   *     and may throw {@link ServingError}
   * @throws ServingError NOT_FOUND when the servable is not loaded, INVALID_ARGUMENT for an
   *     empty name, an unknown label, signature or a bad input
   */
  Prediction predict(ModelSpec spec, Supplier<FloatTensor> input) {
    return servables.serve(
        spec,
        served -> {
          Servables.requireSignature(spec.getSignatureName());
          return new Prediction(served, input.get().halfPlusTwo());
        });
  }
}
