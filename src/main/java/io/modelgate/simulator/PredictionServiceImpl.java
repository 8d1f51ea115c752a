package io.modelgate.simulator;

import io.grpc.stub.StreamObserver;
import io.modelgate.tfserving.api.ClassificationRequest;
import io.modelgate.tfserving.api.ClassificationResponse;
import io.modelgate.tfserving.api.GetModelMetadataRequest;
import io.modelgate.tfserving.api.GetModelMetadataResponse;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.MultiInferenceResponse;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.PredictResponse;
import io.modelgate.tfserving.api.PredictionServiceGrpc;
import io.modelgate.tfserving.api.RegressionRequest;
import io.modelgate.tfserving.api.RegressionResponse;
import io.modelgate.tfserving.framework.TensorProto;
import java.util.Map;

/**
 * {@code tensorflow.serving.PredictionService} of one simulated replica, all five RPCs. Each
 * resolves its model_spec through the replica's {@link Servables} (same versions, labels and
 * "Servable not found" answers) and answers through {@link GatedAnswers} (same hang, latency and
 * stop behaviour). Predict takes exactly one DT_FLOAT input (any name) and answers
 * {@value TfServingWire#OUTPUT_KEY} = 0.5 * x + 2 with the same shape; Classify, Regress and
 * MultiInference are {@link ExampleInference}; GetModelMetadata is {@link ModelMetadata}.
 * Thread-safe.
 */
final class PredictionServiceImpl extends PredictionServiceGrpc.PredictionServiceImplBase {

  private final Predictor predictor;
  private final ExampleInference inference;
  private final ModelMetadata metadata;
  private final GatedAnswers answers;

  PredictionServiceImpl(Servables servables, GatedAnswers answers) {
    this.predictor = new Predictor(servables);
    this.inference = new ExampleInference(servables);
    this.metadata = new ModelMetadata(servables);
    this.answers = answers;
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
    answers.answer(observer, () -> respond(request));
  }

  @Override
  public void classify(ClassificationRequest request, StreamObserver<ClassificationResponse> observer) {
    answers.answer(observer, () -> inference.classify(request));
  }

  @Override
  public void regress(RegressionRequest request, StreamObserver<RegressionResponse> observer) {
    answers.answer(observer, () -> inference.regress(request));
  }

  @Override
  public void multiInference(
      MultiInferenceRequest request, StreamObserver<MultiInferenceResponse> observer) {
    answers.answer(observer, () -> inference.multiInference(request));
  }

  @Override
  public void getModelMetadata(
      GetModelMetadataRequest request, StreamObserver<GetModelMetadataResponse> observer) {
    answers.answer(observer, () -> metadata.metadata(request));
  }

  private PredictResponse respond(PredictRequest request) {
    Servables.requireModelSpec(request.hasModelSpec());
    Predictor.Prediction prediction =
        predictor.predict(
            request.getModelSpec(),
            () -> {
              checkOutputFilter(request);
              return singleInput(request);
            });
    return PredictResponse.newBuilder()
        .setModelSpec(prediction.servable().modelSpec(TfServingWire.DEFAULT_SIGNATURE))
        .putOutputs(TfServingWire.OUTPUT_KEY, prediction.output().toProto())
        .build();
  }

  private static void checkOutputFilter(PredictRequest request) {
    for (String alias : request.getOutputFilterList()) {
      if (!alias.equals(TfServingWire.OUTPUT_KEY)) {
        throw ServingError.invalidArgument(
            "output tensor alias not found in signature: " + alias
                + " Outputs expected to be in the set {" + TfServingWire.OUTPUT_KEY + "}.");
      }
    }
  }

  private static FloatTensor singleInput(PredictRequest request) {
    if (request.getInputsCount() != 1) {
      throw ServingError.invalidArgument(
          "input size does not match signature: " + request.getInputsCount() + "!=1 len({"
              + String.join(",", request.getInputsMap().keySet()) + "}) != len({"
              + TfServingWire.INPUT_KEY + "}). The simulated model takes exactly one float"
              + " input, under any name.");
    }
    Map.Entry<String, TensorProto> input =
        request.getInputsMap().entrySet().iterator().next();
    return FloatTensor.fromProto(input.getKey(), input.getValue());
  }
}
