package io.modelgate.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.modelgate.tfserving.api.GetModelMetadataRequest;
import io.modelgate.tfserving.api.GetModelMetadataResponse;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorShapeProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GetModelMetadata over real gRPC: the metadata_field rule and the packed SignatureDefMap, read
 * back from its wire format with field numbers from TensorFlow's meta_graph.proto.
 */
class ModelMetadataRpcTest {

  private Simulator simulator;
  private SimulatedReplica r0;
  private GrpcTestClient client;

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(1));
    r0 = simulator.replica("r0");
    r0.loadModel("m", 2);
    client = GrpcTestClient.to(r0);
  }

  @AfterEach
  void stop() throws InterruptedException {
    client.close();
    simulator.close();
  }

  @Test
  void signatureDefIsAPackedSignatureDefMapOfTheServingDefaultSignature() throws InvalidProtocolBufferException {
    GetModelMetadataResponse response = client.predictions().getModelMetadata(request(spec("m"), "signature_def"));

    assertThat(response.getModelSpec()).isEqualTo(spec("m").setVersion(Int64Value.of(2)).build());
    assertThat(response.getMetadataMap()).containsOnlyKeys("signature_def");
    Any packed = response.getMetadataOrThrow("signature_def");
    assertThat(packed.getTypeUrl()).isEqualTo("type.googleapis.com/tensorflow.serving.SignatureDefMap");

    Map<String, ByteString> signatures = mapField(UnknownFieldSet.parseFrom(packed.getValue()), 1);
    assertThat(signatures).containsOnlyKeys("serving_default");
    UnknownFieldSet signature = UnknownFieldSet.parseFrom(signatures.get("serving_default"));
    assertThat(mapField(signature, 1)).containsOnlyKeys("x");
    assertThat(mapField(signature, 2)).containsOnlyKeys("y");
    assertThat(signature.getField(3).getLengthDelimitedList())
        .containsExactly(ByteString.copyFromUtf8("tensorflow/serving/predict"));
    UnknownFieldSet input = UnknownFieldSet.parseFrom(mapField(signature, 1).get("x"));
    assertThat(input.getField(1).getLengthDelimitedList()).containsExactly(ByteString.copyFromUtf8("x:0"));
    assertThat(input.getField(2).getVarintList()).containsExactly((long) DataType.DT_FLOAT_VALUE);
    assertThat(TensorShapeProto.parseFrom(input.getField(3).getLengthDelimitedList().get(0)).getUnknownRank()).isTrue();
  }

  @Test
  void metadataFieldMustNameOnlySignatureDefAndIsCheckedBeforeTheServable() {
    assertInvalid(request(spec("m")), "GetModelMetadataRequest must specify at least one metadata_field");
    assertInvalid(request(spec("m"), "signature_def", "graph_def"), "Metadata field graph_def is not supported");
    assertInvalid(request(spec("nope"), "graph_def"), "Metadata field graph_def is not supported");
    assertThat(r0.requestCount("m")).isZero();
  }

  private void assertInvalid(GetModelMetadataRequest request, String message) {
    assertThatThrownBy(() -> client.predictions().getModelMetadata(request))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo(message);
        });
  }

  /** A map<string, message> field: entries are {key = 1, value = 2}. */
  private static Map<String, ByteString> mapField(UnknownFieldSet message, int field)
      throws InvalidProtocolBufferException {
    Map<String, ByteString> entries = new LinkedHashMap<>();
    for (ByteString bytes : message.getField(field).getLengthDelimitedList()) {
      UnknownFieldSet entry = UnknownFieldSet.parseFrom(bytes);
      List<ByteString> values = entry.getField(2).getLengthDelimitedList();
      entries.put(entry.getField(1).getLengthDelimitedList().get(0).toStringUtf8(),
          values.isEmpty() ? ByteString.EMPTY : values.get(0));
    }
    return entries;
  }

  private static GetModelMetadataRequest request(ModelSpec.Builder spec, String... fields) {
    return GetModelMetadataRequest.newBuilder().setModelSpec(spec).addAllMetadataField(List.of(fields)).build();
  }

  private static ModelSpec.Builder spec(String model) {
    return ModelSpec.newBuilder().setName(model);
  }
}
