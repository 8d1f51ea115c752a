package io.modelgate.simulator;

import com.google.protobuf.Int64Value;
import io.modelgate.tfserving.api.ModelSpec;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The servables of one simulated replica as every PredictionService call sees them: resolves a
 * model_spec to the AVAILABLE version that serves it (ServerCore's rules and messages), runs the
 * call's work against it, and counts successful calls per model. Shared by the gRPC and REST
 * fronts so that all five RPCs agree on which version serves and what "not found" says.
 * Thread-safe: reads one immutable model table per call; counters are lock-free.
 */
final class Servables {

  /** The servable that answers a call: a model and its resolved, AVAILABLE version. */
  record Served(String model, long version) {

    /** The model_spec TF Serving puts in an answer (MakeModelSpec): name, version, signature. */
    ModelSpec modelSpec(String signature) {
      return modelSpec().toBuilder().setSignatureName(signature).build();
    }

    /** The model_spec of an answer that names no signature (GetModelMetadata). */
    ModelSpec modelSpec() {
      return ModelSpec.newBuilder().setName(model).setVersion(Int64Value.of(version)).build();
    }
  }

  private final ModelRegistry registry;
  private final ConcurrentHashMap<String, LongAdder> served = new ConcurrentHashMap<>();

  Servables(ModelRegistry registry) {
    this.registry = registry;
  }

  /**
   * Resolves the servable, then computes the answer with it; counts the call for the model only
   * when {@code answer} succeeds.
   *
   * @param answer the call's own checks and result; may throw {@link ServingError}
   * @throws ServingError INVALID_ARGUMENT for an empty name or an unknown label, NOT_FOUND when
   *     the version is not AVAILABLE here, or whatever {@code answer} throws
   */
  <T> T serve(ModelSpec spec, Function<Served, T> answer) {
    if (spec.getName().isEmpty()) {
      throw ServingError.invalidArgument(TfServingWire.NO_MODEL_NAME);
    }
    long version = registry.snapshot().servingVersion(spec);
    T result = answer.apply(new Served(spec.getName(), version));
    served.computeIfAbsent(spec.getName(), m -> new LongAdder()).increment();
    return result;
  }

  /**
   * The signature a request names, as answered back: empty means the default one. The simulated
   * model has one signature, {@value TfServingWire#DEFAULT_SIGNATURE}, that serves every method.
   *
   * @throws ServingError INVALID_ARGUMENT for any other signature
   */
  static String requireSignature(String signature) {
    if (!signature.isEmpty() && !signature.equals(TfServingWire.DEFAULT_SIGNATURE)) {
      throw ServingError.invalidArgument(TfServingWire.signatureNotFound(signature));
    }
    return TfServingWire.DEFAULT_SIGNATURE;
  }

  /** @throws ServingError INVALID_ARGUMENT when a gRPC request has no model_spec */
  static void requireModelSpec(boolean present) {
    if (!present) {
      throw ServingError.invalidArgument(TfServingWire.MISSING_MODEL_SPEC);
    }
  }

  long servedCount(String model) {
    LongAdder count = served.get(model);
    return count == null ? 0 : count.sum();
  }
}
