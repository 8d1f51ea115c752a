package io.modelgate.extproc;

import static io.modelgate.extproc.GrpcFrames.CLASSIFY;
import static io.modelgate.extproc.GrpcFrames.METADATA;
import static io.modelgate.extproc.GrpcFrames.MULTI;
import static io.modelgate.extproc.GrpcFrames.PREDICT;
import static io.modelgate.extproc.GrpcFrames.REGRESS;
import static io.modelgate.extproc.GrpcFrames.STATUS;
import static io.modelgate.extproc.GrpcFrames.frame;
import static io.modelgate.extproc.GrpcFrames.spec;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.modelgate.tfserving.api.ClassificationRequest;
import io.modelgate.tfserving.api.ExampleList;
import io.modelgate.tfserving.api.GetModelMetadataRequest;
import io.modelgate.tfserving.api.GetModelStatusRequest;
import io.modelgate.tfserving.api.InferenceTask;
import io.modelgate.tfserving.api.Input;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.RegressionRequest;
import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GrpcBodiesTest {
  private static final int BOUND = 64 * 1024;

  private static Extraction extract(String path, ByteString body) {
    return GrpcBodies.extract(path, "", body, BOUND);
  }

  private static Extraction found(String model) {
    return new Extraction.Found(ModelRequest.latest(model, ApiProtocol.GRPC));
  }

  private static Input input() {
    return Input.newBuilder()
        .setExampleList(ExampleList.newBuilder().addExamples(ByteString.copyFromUtf8("example")))
        .build();
  }

  private static PredictRequest predict(ModelSpec spec, int tensorFloats) {
    TensorProto.Builder tensor = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT);
    for (int i = 0; i < tensorFloats; i++) {
      tensor.addFloatVal(i);
    }
    return PredictRequest.newBuilder()
        .setModelSpec(spec)
        .putInputs("x", tensor.build())
        .addOutputFilter("y")
        .build();
  }

  private static String reason(Extraction extraction) {
    assertThat(extraction).isInstanceOf(Extraction.Refused.class);
    Extraction.Refused refused = (Extraction.Refused) extraction;
    assertThat(refused.kind()).isEqualTo(DecisionKind.MALFORMED);
    assertThat(refused.protocol()).isEqualTo(ApiProtocol.GRPC);
    return refused.reason();
  }

  @Test
  void everyModelNamingRequestTypeIsRead() {
    assertThat(extract(PREDICT, frame(predict(spec("a"), 3)))).isEqualTo(found("a"));
    assertThat(
            extract(
                CLASSIFY,
                frame(ClassificationRequest.newBuilder().setModelSpec(spec("b")).setInput(input()).build())))
        .isEqualTo(found("b"));
    assertThat(
            extract(
                REGRESS,
                frame(RegressionRequest.newBuilder().setModelSpec(spec("c")).setInput(input()).build())))
        .isEqualTo(found("c"));
    assertThat(
            extract(
                METADATA,
                frame(
                    GetModelMetadataRequest.newBuilder()
                        .setModelSpec(spec("d"))
                        .addMetadataField("signature_def")
                        .build())))
        .isEqualTo(found("d"));
    assertThat(extract(STATUS, frame(GetModelStatusRequest.newBuilder().setModelSpec(spec("e")).build())))
        .isEqualTo(found("e"));
    assertThat(
            extract(
                MULTI,
                frame(
                    MultiInferenceRequest.newBuilder()
                        .addTasks(task(spec("f"), "tensorflow/serving/classify"))
                        .addTasks(task(spec("f"), "tensorflow/serving/regress"))
                        .setInput(input())
                        .build())))
        .isEqualTo(found("f"));
  }

  @Test
  void versionAndLabelAreRead() {
    assertThat(extract(PREDICT, frame(predict(spec("m", 7), 1))))
        .isEqualTo(new Extraction.Found(ModelRequest.version("m", 7, ApiProtocol.GRPC)));
    assertThat(extract(PREDICT, frame(predict(spec("m", "canary"), 1))))
        .isEqualTo(new Extraction.Found(ModelRequest.label("m", "canary", ApiProtocol.GRPC)));
    assertThat(
            extract(
                MULTI,
                frame(
                    MultiInferenceRequest.newBuilder()
                        .addTasks(task(spec("m", 2), "a"))
                        .addTasks(task(spec("m", 2), "b"))
                        .build())))
        .isEqualTo(new Extraction.Found(ModelRequest.version("m", 2, ApiProtocol.GRPC)));
  }

  @Test
  void modelSpecAfterOtherFieldsIsStillFound() throws IOException {
    // Field order on the wire is the serializer's choice: inputs (2) before model_spec (1).
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeString(3, "output");
    out.writeMessage(1, spec("late", 4));
    out.flush();
    assertThat(extract(PREDICT, frame(0, ByteString.copyFrom(bytes.toByteArray()))))
        .isEqualTo(new Extraction.Found(ModelRequest.version("late", 4, ApiProtocol.GRPC)));
  }

  @Test
  void repeatedModelSpecFieldsMergeAsProtobufDoes() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeMessage(1, spec("m"));
    out.writeMessage(1, ModelSpec.newBuilder().setVersionLabel("stable").build());
    out.flush();
    assertThat(extract(PREDICT, frame(0, ByteString.copyFrom(bytes.toByteArray()))))
        .isEqualTo(new Extraction.Found(ModelRequest.label("m", "stable", ApiProtocol.GRPC)));
  }

  @Test
  void gzipAndDeflateMessagesAreInflatedAndRead() throws IOException {
    PredictRequest request = predict(spec("m", 3), 100);
    assertThat(GrpcBodies.extract(PREDICT, "gzip", frame(1, gzip(request.toByteArray())), BOUND))
        .isEqualTo(new Extraction.Found(ModelRequest.version("m", 3, ApiProtocol.GRPC)));
    assertThat(GrpcBodies.extract(PREDICT, "deflate", frame(1, deflate(request.toByteArray())), BOUND))
        .isEqualTo(new Extraction.Found(ModelRequest.version("m", 3, ApiProtocol.GRPC)));
    // An uncompressed frame in a call that announced gzip is read as is, as gRPC does.
    assertThat(GrpcBodies.extract(PREDICT, "gzip", frame(request), BOUND))
        .isEqualTo(new Extraction.Found(ModelRequest.version("m", 3, ApiProtocol.GRPC)));
  }

  @Test
  void aCompressedFlagWithoutAKnownEncodingIsRefusedNamingIt() throws IOException {
    ByteString body = frame(1, gzip(predict(spec("m"), 1).toByteArray()));
    assertThat(reason(GrpcBodies.extract(PREDICT, "", body, BOUND)))
        .isEqualTo("the request message is flagged compressed but grpc-encoding is absent");
    assertThat(reason(GrpcBodies.extract(PREDICT, "identity", body, BOUND)))
        .isEqualTo("the request message is flagged compressed but grpc-encoding is identity");
    assertThat(reason(GrpcBodies.extract(PREDICT, "snappy", body, BOUND)))
        .isEqualTo("grpc-encoding 'snappy' is not supported (use gzip, deflate or identity)");
    assertThat(reason(GrpcBodies.extract(PREDICT, "gzip", frame(1, ByteString.copyFromUtf8("not gzip")), BOUND)))
        .isEqualTo("the request message is not valid gzip data");
  }

  @Test
  void aMessageThatInflatesPastTheLimitIsRefusedAsTooLarge() throws IOException {
    ByteString bomb = gzip(new byte[10 * 1024 * 1024]);
    assertThat(bomb.size()).isLessThan(20_000);
    Extraction extraction = GrpcBodies.extract(PREDICT, "gzip", frame(1, bomb), BOUND);
    assertThat(extraction)
        .isEqualTo(
            new Extraction.Refused(
                DecisionKind.TOO_LARGE,
                ApiProtocol.GRPC,
                "the gzip-compressed request message inflates past extproc.maxRequestBytes (65536 bytes)"));
  }

  @Test
  void modelSpecFarIntoALargeMessageIsRead() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeMessage(1, spec("a"));
    out.writeString(3, "x".repeat(200_000));
    out.writeMessage(1, spec("c"));
    out.flush();
    assertThat(GrpcBodies.extract(PREDICT, "", frame(0, ByteString.copyFrom(bytes.toByteArray())), 1 << 20))
        .isEqualTo(found("c"));
  }

  @Test
  void aSecondFrameOrTrailingBytesAreRefused() {
    ByteString one = frame(predict(spec("a"), 1));
    assertThat(reason(extract(PREDICT, one.concat(frame(predict(spec("c"), 1))))))
        .startsWith("a unary call carries one message, but ");
    assertThat(reason(extract(PREDICT, one.concat(ByteString.copyFromUtf8("x")))))
        .isEqualTo("a unary call carries one message, but 1 bytes follow the first frame");
  }

  @Test
  void truncatedBodyAtEndOfStreamIsMalformed() {
    ByteString whole = frame(predict(spec("m"), 100));
    assertThat(reason(extract(PREDICT, whole.substring(0, whole.size() - 1))))
        .startsWith("truncated gRPC message: frame says");
    assertThat(reason(extract(PREDICT, whole.substring(0, 3)))).isEqualTo("truncated gRPC frame header");
    assertThat(reason(extract(PREDICT, ByteString.EMPTY))).isEqualTo("empty request body");
  }

  @Test
  void garbageIsMalformedAndNeverThrows() {
    assertThat(reason(extract(PREDICT, frame(0, ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff})))))
        .startsWith("the request message is not a valid PredictRequest: ");
    // Field 1 with the varint wire type: protobuf keeps it as an unknown field, so no model_spec.
    assertThat(reason(extract(PREDICT, frame(0, ByteString.copyFrom(new byte[] {0x08, 0x01})))))
        .isEqualTo("model_spec.name is empty");
    assertThat(reason(extract(PREDICT, frame(2, ByteString.EMPTY)))).contains("compressed flag 2");
    Random random = new Random(42);
    System.out.println("garbage seed 42");
    for (int i = 0; i < 2_000; i++) {
      byte[] noise = new byte[random.nextInt(64)];
      random.nextBytes(noise);
      Extraction extraction =
          GrpcBodies.extract(PREDICT, random.nextBoolean() ? "gzip" : "", ByteString.copyFrom(noise), 32);
      assertThat(extraction).isNotNull();
    }
  }

  @Test
  void missingOrEmptyNamesAreMalformed() {
    assertThat(reason(extract(PREDICT, frame(PredictRequest.getDefaultInstance()))))
        .isEqualTo("model_spec.name is empty");
    assertThat(reason(extract(PREDICT, frame(predict(spec(""), 1)))))
        .isEqualTo("model_spec.name is empty");
    assertThat(reason(extract(PREDICT, frame(predict(spec("m", ""), 1)))))
        .isEqualTo("model_spec.version_label is empty");
    assertThat(reason(extract(MULTI, frame(MultiInferenceRequest.newBuilder().setInput(input()).build()))))
        .isEqualTo("MultiInference request has no tasks");
  }

  @Test
  void multiInferenceWithMixedModelsOrVersionsIsMalformed() {
    MultiInferenceRequest mixed =
        MultiInferenceRequest.newBuilder()
            .addTasks(task(spec("a"), "x"))
            .addTasks(task(spec("b"), "y"))
            .build();
    assertThat(reason(extract(MULTI, frame(mixed))))
        .isEqualTo("MultiInference tasks name different models: 'a' and 'b'");
    MultiInferenceRequest versions =
        MultiInferenceRequest.newBuilder()
            .addTasks(task(spec("a", 1), "x"))
            .addTasks(task(spec("a", "canary"), "y"))
            .build();
    assertThat(reason(extract(MULTI, frame(versions))))
        .isEqualTo("MultiInference tasks name different versions of model 'a'");
  }

  @Test
  void onlyTheInferenceMethodsAreServedExactly() {
    assertThat(GrpcBodies.served(PREDICT)).isTrue();
    assertThat(GrpcBodies.served(PREDICT + "/")).isFalse();
    assertThat(GrpcBodies.served(PREDICT + "?x=1")).isFalse();
    assertThat(GrpcBodies.served("/grpc.health.v1.Health/Check")).isFalse();
    assertThat(GrpcBodies.served("/tensorflow.serving.ModelService/HandleReloadConfigRequest")).isFalse();
    assertThat(GrpcBodies.served("/tensorflow.serving.SessionService/SessionRun")).isFalse();
  }

  static ByteString gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return ByteString.copyFrom(bytes.toByteArray());
  }

  static ByteString deflate(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DeflaterOutputStream out = new DeflaterOutputStream(bytes)) {
      out.write(data);
    }
    return ByteString.copyFrom(bytes.toByteArray());
  }

  private static InferenceTask task(ModelSpec spec, String method) {
    return InferenceTask.newBuilder().setModelSpec(spec).setMethodName(method).build();
  }
}
