package io.modelgate.extproc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.modelgate.tfserving.api.GetModelMetadataRequest;
import io.modelgate.tfserving.api.GetModelStatusRequest;
import io.modelgate.tfserving.api.InferenceTask;
import io.modelgate.tfserving.api.ModelSpec;
import io.modelgate.tfserving.api.MultiInferenceRequest;
import io.modelgate.tfserving.api.ClassificationRequest;
import io.modelgate.tfserving.api.PredictRequest;
import io.modelgate.tfserving.api.RegressionRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Reads the model from the body of a unary TF Serving gRPC request the way the replica will: the
 * body must be exactly one gRPC frame (5-byte header: compressed flag, big-endian length; then
 * the message), a compressed one is inflated as its {@code grpc-encoding} says ({@code gzip} or
 * {@code deflate}, bounded by the request limit), and the message is parsed whole by the
 * method's generated protobuf parser. The model spec is thus exactly what protobuf makes of the
 * bytes: repeated occurrences merged, the last name and version choice winning, unknown fields
 * skipped. MultiInference tasks must all name the same model and version choice.
 *
 * <p>Anything else is {@link Extraction.Refused}: a bad or short frame, trailing bytes or a
 * second frame, an unknown encoding or a compressed flag without one, a message the parser
 * rejects, no or an empty model name; a body over the limit, or a message that inflates past it,
 * is {@link DecisionKind#TOO_LARGE} (Envoy 1.40 hands the filter buffered bodies over the
 * listener's buffer limit, so the limit is checked here too).
 *
 * <p>Stateless and thread-safe; never throws on any input.
 */
final class GrpcBodies {
  private static final int FRAME_HEADER_BYTES = 5;
  private static final String PREDICTION = "/tensorflow.serving.PredictionService/";

  /** How one method's request message is parsed and where its model specs are. */
  private record Method(String type, Parser<? extends Message> parser, Function<Message, List<ModelSpec>> specs) {}

  /** The inference methods TF Serving documents for clients, by exact HTTP/2 {@code :path}. */
  private static final Map<String, Method> METHODS =
      Map.of(
          PREDICTION + "Predict",
          new Method("PredictRequest", PredictRequest.parser(), m -> List.of(((PredictRequest) m).getModelSpec())),
          PREDICTION + "Classify",
          new Method(
              "ClassificationRequest",
              ClassificationRequest.parser(),
              m -> List.of(((ClassificationRequest) m).getModelSpec())),
          PREDICTION + "Regress",
          new Method(
              "RegressionRequest", RegressionRequest.parser(), m -> List.of(((RegressionRequest) m).getModelSpec())),
          PREDICTION + "GetModelMetadata",
          new Method(
              "GetModelMetadataRequest",
              GetModelMetadataRequest.parser(),
              m -> List.of(((GetModelMetadataRequest) m).getModelSpec())),
          PREDICTION + "MultiInference",
          new Method(
              "MultiInferenceRequest",
              MultiInferenceRequest.parser(),
              m -> ((MultiInferenceRequest) m).getTasksList().stream().map(InferenceTask::getModelSpec).toList()),
          "/tensorflow.serving.ModelService/GetModelStatus",
          new Method(
              "GetModelStatusRequest",
              GetModelStatusRequest.parser(),
              m -> List.of(((GetModelStatusRequest) m).getModelSpec())));

  private GrpcBodies() {}

  /** Whether {@code path} is exactly one of the served inference methods. */
  static boolean served(String path) {
    return METHODS.containsKey(path);
  }

  /**
   * @param path a {@link #served} method
   * @param encoding the request's {@code grpc-encoding}, "" when absent
   * @param body the whole request body (Envoy buffers it whole; trailers may follow)
   * @param maxMessageBytes the largest message accepted, compressed or inflated
   */
  static Extraction extract(String path, String encoding, ByteString body, int maxMessageBytes) {
    Method method = METHODS.get(path);
    if (method == null) {
      throw new IllegalArgumentException("not a served method: " + path);
    }
    if (body.size() > maxMessageBytes) {
      return new Extraction.Refused(
          DecisionKind.TOO_LARGE,
          ApiProtocol.GRPC,
          "request body over extproc.maxRequestBytes (" + maxMessageBytes + " bytes)");
    }
    if (body.size() < FRAME_HEADER_BYTES) {
      return malformed(body.isEmpty() ? "empty request body" : "truncated gRPC frame header");
    }
    int flag = body.byteAt(0) & 0xff;
    long length = 0;
    for (int i = 1; i < FRAME_HEADER_BYTES; i++) {
      length = (length << 8) | (body.byteAt(i) & 0xff);
    }
    long available = body.size() - FRAME_HEADER_BYTES;
    if (length > available) {
      return malformed("truncated gRPC message: frame says " + length + " bytes, body has " + available);
    }
    if (length < available) {
      return malformed(
          "a unary call carries one message, but " + (available - length) + " bytes follow the first frame");
    }
    ByteString message = body.substring(FRAME_HEADER_BYTES);
    if (flag == 1) {
      if (!encoding.equals("gzip") && !encoding.equals("deflate")) {
        return malformed(
            encoding.isEmpty() || encoding.equals("identity")
                ? "the request message is flagged compressed but grpc-encoding is "
                    + (encoding.isEmpty() ? "absent" : "identity")
                : "grpc-encoding '" + Bounded.of(encoding) + "' is not supported (use gzip, deflate or identity)");
      }
      try {
        Optional<ByteString> inflated = inflate(encoding, message, maxMessageBytes);
        if (inflated.isEmpty()) {
          return new Extraction.Refused(
              DecisionKind.TOO_LARGE,
              ApiProtocol.GRPC,
              "the " + encoding + "-compressed request message inflates past extproc.maxRequestBytes ("
                  + maxMessageBytes + " bytes)");
        }
        message = inflated.get();
      } catch (IOException e) {
        return malformed("the request message is not valid " + encoding + " data");
      }
    } else if (flag != 0) {
      return malformed("bad gRPC frame: compressed flag " + flag);
    }
    Message parsed;
    try {
      CodedInputStream in = message.newCodedInput();
      in.enableAliasing(true); // bytes fields (tensor_content) share the body instead of copying it
      parsed = method.parser().parseFrom(in);
      // A stray end-group tag stops parsing early; whole-message parsers (C++, grpc-java's
      // marshaller) then reject the message, so must this.
      in.checkLastTagWas(0);
    } catch (InvalidProtocolBufferException e) {
      return malformed("the request message is not a valid " + method.type() + ": " + e.getMessage());
    }
    List<ModelSpec> specs = method.specs().apply(parsed);
    if (specs.isEmpty()) {
      return malformed("MultiInference request has no tasks");
    }
    return fromSpecs(specs);
  }

  /** {@code message} inflated as {@code encoding} says; empty if it exceeds {@code max} bytes. */
  private static Optional<ByteString> inflate(String encoding, ByteString message, int max) throws IOException {
    // gRPC's "deflate" is the zlib format (RFC 1950), as InflaterInputStream reads it.
    try (InputStream in =
        encoding.equals("gzip")
            ? new GZIPInputStream(message.newInput())
            : new InflaterInputStream(message.newInput())) {
      byte[] out = in.readNBytes(max + 1);
      return out.length > max ? Optional.empty() : Optional.of(ByteString.copyFrom(out));
    }
  }

  private static Extraction fromSpecs(List<ModelSpec> specs) {
    ModelSpec first = specs.get(0);
    for (ModelSpec other : specs) {
      if (!other.getName().equals(first.getName())) {
        return malformed(
            "MultiInference tasks name different models: '"
                + Bounded.of(first.getName())
                + "' and '"
                + Bounded.of(other.getName())
                + "'");
      }
      if (!sameVersionChoice(first, other)) {
        return malformed(
            "MultiInference tasks name different versions of model '" + Bounded.of(first.getName()) + "'");
      }
    }
    if (first.getName().isEmpty()) {
      return malformed("model_spec.name is empty");
    }
    return switch (first.getVersionChoiceCase()) {
      case VERSION ->
          new Extraction.Found(
              ModelRequest.version(first.getName(), first.getVersion().getValue(), ApiProtocol.GRPC));
      case VERSION_LABEL ->
          first.getVersionLabel().isEmpty()
              ? malformed("model_spec.version_label is empty")
              : new Extraction.Found(
                  ModelRequest.label(first.getName(), first.getVersionLabel(), ApiProtocol.GRPC));
      case VERSIONCHOICE_NOT_SET ->
          new Extraction.Found(ModelRequest.latest(first.getName(), ApiProtocol.GRPC));
    };
  }

  private static boolean sameVersionChoice(ModelSpec a, ModelSpec b) {
    return a.getVersionChoiceCase() == b.getVersionChoiceCase()
        && a.getVersion().equals(b.getVersion())
        && a.getVersionLabel().equals(b.getVersionLabel());
  }

  private static Extraction.Refused malformed(String reason) {
    return Extraction.Refused.malformed(ApiProtocol.GRPC, reason);
  }
}
