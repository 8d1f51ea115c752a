package io.modelgate.simulator;

import io.grpc.stub.StreamObserver;
import io.modelgate.tfserving.api.GetModelStatusRequest;
import io.modelgate.tfserving.api.GetModelStatusResponse;
import io.modelgate.tfserving.api.ModelServiceGrpc;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code tensorflow.serving.ModelService} of one simulated replica: GetModelStatus with TF
 * Serving's rules (every tracked version, END included; NOT_FOUND when none; model_spec.version
 * honoured, version_label ignored), counting calls per model name. Thread-safe: reads one
 * immutable model table per call.
 */
final class ModelServiceImpl extends ModelServiceGrpc.ModelServiceImplBase {

  private final ModelRegistry registry;
  private final GatedAnswers answers;
  private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

  ModelServiceImpl(ModelRegistry registry, GatedAnswers answers) {
    this.registry = registry;
    this.answers = answers;
  }

  @Override
  public void getModelStatus(
      GetModelStatusRequest request, StreamObserver<GetModelStatusResponse> observer) {
    answers.answer(
        observer,
        () -> {
          if (!request.hasModelSpec()) {
            throw ServingError.invalidArgument(TfServingWire.MISSING_MODEL_SPEC);
          }
          // Counted before the table is read: a call counted after a change has seen that change.
          calls.computeIfAbsent(request.getModelSpec().getName(), m -> new AtomicLong()).incrementAndGet();
          GetModelStatusResponse.Builder response = GetModelStatusResponse.newBuilder();
          registry.snapshot().status(request.getModelSpec())
              .forEach(v -> response.addModelVersionStatus(v.toProto()));
          return response.build();
        });
  }

  /** Answered GetModelStatus calls per model name (alphabetical), whatever their outcome. */
  Map<String, Long> calls() {
    Map<String, Long> counts = new TreeMap<>();
    calls.forEach((model, count) -> counts.put(model, count.get()));
    return counts;
  }
}
