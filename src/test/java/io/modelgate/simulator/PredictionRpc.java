package io.modelgate.simulator;

import io.modelgate.tfserving.api.ClassificationRequest;
import io.modelgate.tfserving.api.GetModelMetadataRequest;
import io.modelgate.tfserving.api.InferenceTask;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.PredictionServiceGrpc.PredictionServiceBlockingStub;
import io.modelgate.tfserving.api.RegressionRequest;

/**
 * The PredictionService RPCs other than Predict, each sent with a valid body (one example with
 * x = 1, or metadata_field signature_def) around a given model_spec, so one test can check a
 * behaviour they must share. Each answers the model_spec of its response.
 */
enum PredictionRpc {
  CLASSIFY("Missing ModelSpec", TfServingWire.DEFAULT_SIGNATURE) {
    @Override
    ModelSpec call(PredictionServiceBlockingStub stub, ModelSpec spec) {
      ClassificationRequest.Builder request = ClassificationRequest.newBuilder().setInput(TestExamples.xs(1));
      if (spec != null) {
        request.setModelSpec(spec);
      }
      return stub.classify(request.build()).getModelSpec();
    }
  },
  REGRESS("Missing ModelSpec", TfServingWire.DEFAULT_SIGNATURE) {
    @Override
    ModelSpec call(PredictionServiceBlockingStub stub, ModelSpec spec) {
      RegressionRequest.Builder request = RegressionRequest.newBuilder().setInput(TestExamples.xs(1));
      if (spec != null) {
        request.setModelSpec(spec);
      }
      return stub.regress(request.build()).getModelSpec();
    }
  },
  // TF Serving resolves MultiInference from the first task's model_spec, defaulting to an empty one.
  MULTI_INFERENCE("ModelSpec has no name specified.", TfServingWire.DEFAULT_SIGNATURE) {
    @Override
    ModelSpec call(PredictionServiceBlockingStub stub, ModelSpec spec) {
      InferenceTask.Builder task = InferenceTask.newBuilder().setMethodName("tensorflow/serving/regress");
      if (spec != null) {
        task.setModelSpec(spec);
      }
      MultiInferenceRequest request =
          MultiInferenceRequest.newBuilder().addTasks(task).setInput(TestExamples.xs(1)).build();
      return stub.multiInference(request).getResults(0).getModelSpec();
    }
  },
  // GetModelMetadata answers no signature_name, as TF Serving's get_model_metadata_impl.cc.
  GET_MODEL_METADATA("Missing ModelSpec", "") {
    @Override
    ModelSpec call(PredictionServiceBlockingStub stub, ModelSpec spec) {
      GetModelMetadataRequest.Builder request = GetModelMetadataRequest.newBuilder().addMetadataField("signature_def");
      if (spec != null) {
        request.setModelSpec(spec);
      }
      return stub.getModelMetadata(request.build()).getModelSpec();
    }
  };

  final String missingModelSpecMessage;
  final String answeredSignature;

  PredictionRpc(String missingModelSpecMessage, String answeredSignature) {
    this.missingModelSpecMessage = missingModelSpecMessage;
    this.answeredSignature = answeredSignature;
  }

  /** Sends the RPC; {@code spec} null sends no model_spec at all. */
  abstract ModelSpec call(PredictionServiceBlockingStub stub, ModelSpec spec);
}
