package io.modelgate.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.PredictRequest;
import java.nio.ByteBuffer;

/** The synthetic ext_proc messages of {@link ExternalProcessorService#warmUp()}. Stateless. */
final class WarmUpRequests {
  private WarmUpRequests() {}

  static ProcessingRequest restHeaders(String model) {
    return headers(
        HeaderMap.newBuilder()
            .addHeaders(header(":method", "POST"))
            .addHeaders(header(":path", "/v1/models/" + model + ":predict"))
            .addHeaders(header("content-type", "application/json")));
  }

  static ProcessingRequest grpcHeaders() {
    return headers(
        HeaderMap.newBuilder()
            .addHeaders(header(":method", "POST"))
            .addHeaders(header(":path", "/tensorflow.serving.PredictionService/Predict"))
            .addHeaders(header("content-type", "application/grpc")));
  }

  /** One gRPC-framed, uncompressed PredictRequest naming {@code model}. */
  static ProcessingRequest grpcPredictBody(String model) {
    byte[] message =
        PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model)).build().toByteArray();
    ByteBuffer frame = ByteBuffer.allocate(5 + message.length);
    frame.put((byte) 0).putInt(message.length).put(message);
    return ProcessingRequest.newBuilder()
        .setRequestBody(
            HttpBody.newBuilder().setBody(ByteString.copyFrom(frame.array())).setEndOfStream(true))
        .build();
  }

  private static ProcessingRequest headers(HeaderMap.Builder headers) {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(headers))
        .build();
  }

  private static HeaderValue header(String key, String value) {
    return HeaderValue.newBuilder().setKey(key).setRawValue(ByteString.copyFromUtf8(value)).build();
  }
}
