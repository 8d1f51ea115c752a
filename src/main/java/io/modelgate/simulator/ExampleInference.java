package io.modelgate.simulator;

import io.modelgate.tfserving.api.ClassificationRequest;
import io.modelgate.tfserving.api.ClassificationResponse;
import io.modelgate.tfserving.api.ClassificationResult;
import io.modelgate.tfserving.api.Classifications;
import io.modelgate.tfserving.api.InferenceResult;
import io.modelgate.tfserving.api.InferenceTask;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.MultiInferenceResponse;
import io.modelgate.tfserving.api.Regression;
import io.modelgate.tfserving.api.RegressionRequest;
import io.modelgate.tfserving.api.RegressionResponse;
import io.modelgate.tfserving.api.RegressionResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Classify, Regress and MultiInference of one simulated replica, on tensorflow.Example inputs.
 * The simulated model answers, per example, y = 0.5 * x + 2 where x is the example's float
 * feature {@value TfServingWire#INPUT_KEY} (0 when absent, so y = 2; see {@link ExampleInputs}):
 * Classify gives one class per example with score y and an empty label, and Regress one value
 * y, as TF Serving's half_plus_two test model does. Checks run in TF Serving's order: model_spec
 * present, servable, signature (and for MultiInference the tasks), then the input.
 *
 * <p>MultiInference resolves the servable from the first task's model_spec, as TF Serving does,
 * and answers every task with that version. All tasks must name the same model and use
 * method_name tensorflow/serving/classify or tensorflow/serving/regress. Unlike TF Serving it
 * does not refuse two tasks on the same signature: the simulated model has a single signature
 * that serves every method. Thread-safe and stateless apart from the shared {@link Servables}.
 */
final class ExampleInference {

  private record Task(String signature, String method) {}

  private final Servables servables;

  ExampleInference(Servables servables) {
    this.servables = servables;
  }

  ClassificationResponse classify(ClassificationRequest request) {
    Servables.requireModelSpec(request.hasModelSpec());
    return servables.serve(
        request.getModelSpec(),
        served -> {
          String signature = Servables.requireSignature(request.getModelSpec().getSignatureName());
          return ClassificationResponse.newBuilder()
              .setModelSpec(served.modelSpec(signature))
              .setResult(classification(ExampleInputs.featureX(request.getInput())))
              .build();
        });
  }

  RegressionResponse regress(RegressionRequest request) {
    Servables.requireModelSpec(request.hasModelSpec());
    return servables.serve(
        request.getModelSpec(),
        served -> {
          String signature = Servables.requireSignature(request.getModelSpec().getSignatureName());
          return RegressionResponse.newBuilder()
              .setModelSpec(served.modelSpec(signature))
              .setResult(regression(ExampleInputs.featureX(request.getInput())))
              .build();
        });
  }

  MultiInferenceResponse multiInference(MultiInferenceRequest request) {
    // No task (or a first task without model_spec) resolves an empty name: INVALID_ARGUMENT.
    ModelSpec first =
        request.getTasksCount() > 0 ? request.getTasks(0).getModelSpec() : ModelSpec.getDefaultInstance();
    return servables.serve(
        first,
        served -> {
          List<Task> tasks = tasks(request.getTasksList(), served.model());
          float[] xs = ExampleInputs.featureX(request.getInput());
          MultiInferenceResponse.Builder response = MultiInferenceResponse.newBuilder();
          for (Task task : tasks) {
            InferenceResult.Builder result =
                InferenceResult.newBuilder().setModelSpec(served.modelSpec(task.signature()));
            if (task.method().equals(TfServingWire.CLASSIFY_METHOD)) {
              result.setClassificationResult(classification(xs));
            } else {
              result.setRegressionResult(regression(xs));
            }
            response.addResults(result);
          }
          return response.build();
        });
  }

  private static List<Task> tasks(List<InferenceTask> requested, String model) {
    List<Task> tasks = new ArrayList<>(requested.size());
    for (InferenceTask task : requested) {
      String name = task.getModelSpec().getName();
      if (name.isEmpty()) {
        throw ServingError.invalidArgument(TfServingWire.MULTI_INFERENCE_EMPTY_NAME);
      }
      if (!name.equals(model)) {
        throw ServingError.invalidArgument(TfServingWire.MULTI_INFERENCE_MIXED_MODELS);
      }
      String signature = Servables.requireSignature(task.getModelSpec().getSignatureName());
      String method = task.getMethodName();
      if (!method.equals(TfServingWire.CLASSIFY_METHOD) && !method.equals(TfServingWire.REGRESS_METHOD)) {
        throw ServingError.unimplemented(TfServingWire.unsupportedMethod(method));
      }
      tasks.add(new Task(signature, method));
    }
    return tasks;
  }

  private static ClassificationResult classification(float[] xs) {
    ClassificationResult.Builder result = ClassificationResult.newBuilder();
    for (float x : xs) {
      io.modelgate.tfserving.api.Class scored =
          io.modelgate.tfserving.api.Class.newBuilder().setScore(FloatTensor.halfPlusTwo(x)).build();
      result.addClassifications(Classifications.newBuilder().addClasses(scored));
    }
    return result.build();
  }

  private static RegressionResult regression(float[] xs) {
    RegressionResult.Builder result = RegressionResult.newBuilder();
    for (float x : xs) {
      result.addRegressions(Regression.newBuilder().setValue(FloatTensor.halfPlusTwo(x)));
    }
    return result.build();
  }
}
