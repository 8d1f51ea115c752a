package io.modelgate.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.modelgate.tfserving.api.ClassificationRequest;
import io.modelgate.tfserving.api.ClassificationResponse;
import io.modelgate.tfserving.api.InferenceResult;
import io.modelgate.tfserving.api.InferenceTask;
import io.modelgate.tfserving.api.Input;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.MultiInferenceResponse;
import io.modelgate.tfserving.api.Regression;
import io.modelgate.tfserving.api.RegressionRequest;
import io.modelgate.tfserving.api.RegressionResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Classify, Regress and MultiInference answers and refusals over real gRPC. */
class ExampleInferenceRpcsTest {

  private static final String CLASSIFY = "tensorflow/serving/classify";
  private static final String REGRESS = "tensorflow/serving/regress";

  private Simulator simulator;
  private SimulatedReplica r0;
  private GrpcTestClient client;

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1));
    r0 = simulator.replica("r0");
    r0.loadModel("m", 3);
    client = GrpcTestClient.to(r0);
  }

  @AfterEach
  void stop() throws InterruptedException {
    client.close();
    simulator.close();
  }

  @Test
  void classifyScoresEachExampleWithHalfPlusTwoOfFeatureX() {
    ClassificationResponse response = client.predictions().classify(ClassificationRequest.newBuilder()
        .setModelSpec(spec("m"))
        .setInput(TestExamples.examples(
            TestExamples.floatFeature("x", 1), TestExamples.floatFeature("x", 6, 100), TestExamples.floatFeature("other", 8)))
        .build());

    assertThat(response.getResult().getClassificationsList())
        .extracting(c -> c.getClassesCount(), c -> c.getClasses(0).getLabel(), c -> c.getClasses(0).getScore())
        .containsExactly(
            tuple(1, "", 2.5f),
            tuple(1, "", 5f),
            tuple(1, "", 2f));
  }

  @Test
  void regressAnswersOneValuePerExampleInOrder() {
    RegressionResponse response = client.predictions().regress(RegressionRequest.newBuilder()
        .setModelSpec(spec("m").setSignatureName("serving_default"))
        .setInput(TestExamples.xs(0, 2, -4))
        .build());

    assertThat(response.getResult().getRegressionsList()).extracting(Regression::getValue).containsExactly(2f, 3f, 0f);
    assertThat(response.getModelSpec())
        .isEqualTo(spec("m").setVersion(Int64Value.of(3)).setSignatureName("serving_default").build());
  }

  @Test
  void unpackedFloatsAndAnEmptyExampleAreRead() {
    RegressionResponse response = client.predictions().regress(RegressionRequest.newBuilder()
        .setModelSpec(spec("m"))
        .setInput(TestExamples.examples(TestExamples.unpackedFloatFeature("x", 4, 5), ByteString.EMPTY))
        .build());

    assertThat(response.getResult().getRegressionsList()).extracting(Regression::getValue).containsExactly(4f, 2f);
  }

  @Test
  void contextFeaturesApplyToEveryExampleAndTheExampleOwnWins() {
    RegressionResponse response = client.predictions().regress(RegressionRequest.newBuilder()
        .setModelSpec(spec("m"))
        .setInput(TestExamples.examplesWithContext(TestExamples.floatFeature("x", 10),
            TestExamples.floatFeature("other", 1), TestExamples.floatFeature("x", 2)))
        .build());

    assertThat(response.getResult().getRegressionsList()).extracting(Regression::getValue).containsExactly(7f, 3f);
  }

  @Test
  void multiInferenceAnswersEveryTaskInOrderWithTheFirstTaskVersion() {
    r0.loadModel("m", 5);

    MultiInferenceResponse response = client.predictions().multiInference(MultiInferenceRequest.newBuilder()
        .addTasks(task(spec("m").setVersion(Int64Value.of(3)), CLASSIFY))
        .addTasks(task(spec("m").setSignatureName("serving_default"), REGRESS))
        .setInput(TestExamples.xs(1, 3))
        .build());

    ModelSpec answered = spec("m").setVersion(Int64Value.of(3)).setSignatureName("serving_default").build();
    assertThat(response.getResultsList()).extracting(InferenceResult::getModelSpec).containsExactly(answered, answered);
    assertThat(response.getResults(0).getClassificationResult().getClassificationsList())
        .extracting(c -> c.getClasses(0).getScore()).containsExactly(2.5f, 3.5f);
    assertThat(response.getResults(1).getRegressionResult().getRegressionsList())
        .extracting(Regression::getValue).containsExactly(2.5f, 3.5f);
    assertThat(r0.requestCount("m")).isEqualTo(1);
  }

  @Test
  void malformedExampleInputsAreInvalidArgument() {
    assertInvalid(() -> regress(Input.getDefaultInstance()), "Input is empty.");
    assertInvalid(() -> regress(TestExamples.examples()), "Input is empty.");
    assertInvalid(() -> regress(TestExamples.examples(TestExamples.floatFeature("x", 1), ByteString.copyFromUtf8("\u00ff\u00ff"))),
        "Could not parse example input at index 1");
    assertInvalid(() -> classify(TestExamples.examples(TestExamples.int64Feature("x", 1))),
        "Key: x, Index: 0. Data types don't match. Expected type: float");
    assertInvalid(() -> client.predictions().classify(ClassificationRequest.newBuilder()
            .setModelSpec(spec("m").setSignatureName("classify_x_to_y")).setInput(TestExamples.xs(1)).build()),
        "Serving signature name: \"classify_x_to_y\" not found in signature def");
    assertThat(r0.requestCount("m")).isZero();
  }

  @Test
  void multiInferenceTasksMustShareOneModelAndKnownMethods() {
    r0.loadModel("other", 1);

    assertInvalid(() -> multiInference(task(spec("m"), CLASSIFY), task(spec("other"), REGRESS)),
        "All ModelSpecs in a MultiInferenceRequest must access the same model name.");
    assertInvalid(() -> multiInference(task(spec("m"), CLASSIFY), task(spec(""), REGRESS)),
        "Found ModelSpec with an empty model name.");
    assertInvalid(() -> multiInference(), "ModelSpec has no name specified.");
    assertThatThrownBy(() -> multiInference(task(spec("m"), "tensorflow/serving/predict")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
          assertThat(e.getStatus().getDescription())
              .isEqualTo("Unsupported signature method_name: tensorflow/serving/predict");
        });
    assertThat(r0.requestCount("m")).isZero();
  }

  private RegressionResponse regress(Input input) {
    return client.predictions().regress(RegressionRequest.newBuilder().setModelSpec(spec("m")).setInput(input).build());
  }

  private ClassificationResponse classify(Input input) {
    return client.predictions().classify(ClassificationRequest.newBuilder().setModelSpec(spec("m")).setInput(input).build());
  }

  private MultiInferenceResponse multiInference(InferenceTask... tasks) {
    MultiInferenceRequest.Builder request = MultiInferenceRequest.newBuilder().setInput(TestExamples.xs(1));
    for (InferenceTask task : tasks) {
      request.addTasks(task);
    }
    return client.predictions().multiInference(request.build());
  }

  private static void assertInvalid(Executable call, String message) {
    assertThatThrownBy(call::execute)
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo(message);
        });
  }

  private static InferenceTask task(ModelSpec.Builder spec, String method) {
    return InferenceTask.newBuilder().setModelSpec(spec).setMethodName(method).build();
  }

  private static ModelSpec.Builder spec(String model) {
    return ModelSpec.newBuilder().setName(model);
  }
}
