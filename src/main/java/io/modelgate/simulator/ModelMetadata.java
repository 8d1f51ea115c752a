package io.modelgate.simulator;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.modelgate.tfserving.api.GetModelMetadataRequest;
import io.modelgate.tfserving.api.GetModelMetadataResponse;
import io.modelgate.tfserving.framework.DataType;
import io.modelgate.tfserving.framework.TensorShapeProto;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * GetModelMetadata of one simulated replica, with TF Serving's rules: model_spec required,
 * metadata_field must name only {@value TfServingWire#SIGNATURE_DEF_FIELD} (checked before the
 * servable is looked up), then the servable must be AVAILABLE. The answer carries model_spec
 * (name and resolved version; TF Serving sets no signature_name here) and metadata
 * "signature_def": an {@link Any} holding a {@code tensorflow.serving.SignatureDefMap}, so
 * official clients can unpack it. Our protos do not define SignatureDefMap, so its bytes are
 * written here field by field; it describes the simulated model's one signature,
 * {@value TfServingWire#DEFAULT_SIGNATURE}: input {@value TfServingWire#INPUT_KEY} and output
 * {@value TfServingWire#OUTPUT_KEY}, DT_FLOAT of unknown shape, method tensorflow/serving/predict.
 * Thread-safe: the metadata is one immutable value.
 */
final class ModelMetadata {

  private static final String SIGNATURE_DEF_MAP_TYPE_URL = "type.googleapis.com/tensorflow.serving.SignatureDefMap";

  private static final Any SIGNATURE_DEFS =
      Any.newBuilder().setTypeUrl(SIGNATURE_DEF_MAP_TYPE_URL).setValue(signatureDefMap()).build();

  private final Servables servables;

  ModelMetadata(Servables servables) {
    this.servables = servables;
  }

  GetModelMetadataResponse metadata(GetModelMetadataRequest request) {
    Servables.requireModelSpec(request.hasModelSpec());
    if (request.getMetadataFieldCount() == 0) {
      throw ServingError.invalidArgument(TfServingWire.NO_METADATA_FIELD);
    }
    for (String field : request.getMetadataFieldList()) {
      if (!field.equals(TfServingWire.SIGNATURE_DEF_FIELD)) {
        throw ServingError.invalidArgument(TfServingWire.unsupportedMetadataField(field));
      }
    }
    return servables.serve(
        request.getModelSpec(),
        served ->
            GetModelMetadataResponse.newBuilder()
                .setModelSpec(served.modelSpec())
                .putMetadata(TfServingWire.SIGNATURE_DEF_FIELD, SIGNATURE_DEFS)
                .build());
  }

  /** SignatureDefMap{map<string, SignatureDef> signature_def = 1}. */
  private static ByteString signatureDefMap() {
    // SignatureDef{map<string, TensorInfo> inputs = 1, outputs = 2; string method_name = 3}
    ByteString signature =
        encode(
            out -> {
              out.writeBytes(1, mapEntry(TfServingWire.INPUT_KEY, floatTensorInfo(TfServingWire.INPUT_KEY + ":0")));
              out.writeBytes(2, mapEntry(TfServingWire.OUTPUT_KEY, floatTensorInfo(TfServingWire.OUTPUT_KEY + ":0")));
              out.writeString(3, TfServingWire.PREDICT_METHOD);
            });
    return encode(out -> out.writeBytes(1, mapEntry(TfServingWire.DEFAULT_SIGNATURE, signature)));
  }

  /** TensorInfo{string name = 1; DataType dtype = 2; TensorShapeProto tensor_shape = 3}. */
  private static ByteString floatTensorInfo(String tensorName) {
    return encode(
        out -> {
          out.writeString(1, tensorName);
          out.writeEnum(2, DataType.DT_FLOAT_VALUE);
          out.writeMessage(3, TensorShapeProto.newBuilder().setUnknownRank(true).build());
        });
  }

  /** A map entry on the wire: key = 1, value = 2. */
  private static ByteString mapEntry(String key, ByteString value) {
    return encode(
        out -> {
          out.writeString(1, key);
          out.writeBytes(2, value);
        });
  }

  private interface Fields {
    void writeTo(CodedOutputStream out) throws IOException;
  }

  private static ByteString encode(Fields fields) {
    ByteString.Output bytes = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      fields.writeTo(out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return bytes.toByteString();
  }
}
