package io.modelgate.extproc;

import com.google.protobuf.ByteString;
import io.modelgate.routing.RoutingHeaders;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds the model in one HTTP request as ext_proc presents it, or refuses the request.
 *
 * <p>A request is gRPC when its {@code :path} has the gRPC shape {@code /<package>.<Service>/...}
 * or its {@code content-type} starts with {@code application/grpc}; anything else is REST ({@link
 * RestPaths}). A gRPC request must say {@code application/grpc} or {@code application/grpc+proto}
 * (gRPC-web, JSON or none are refused), call one of the inference methods exactly ({@link
 * GrpcBodies#served}; admin RPCs, other services, a trailing slash or a query are UNIMPLEMENTED),
 * and its model comes from its body alone. A client's own {@code x-model-name} / {@code
 * x-model-version} never route: when sent, they must agree with the body, or the request is
 * refused naming both. Immutable and thread-safe.
 */
final class RequestReader {
  private static final Pattern GRPC_PATH = Pattern.compile("/[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+/.*");
  private static final String SERVED =
      "tensorflow.serving.PredictionService/{Predict,Classify,Regress,MultiInference,GetModelMetadata}"
          + " and tensorflow.serving.ModelService/GetModelStatus";

  private final int maxRequestBytes;

  /** @param maxRequestBytes the largest request message accepted, also once inflated */
  RequestReader(int maxRequestBytes) {
    if (maxRequestBytes < 1) {
      throw new IllegalArgumentException("maxRequestBytes must be positive: " + maxRequestBytes);
    }
    this.maxRequestBytes = maxRequestBytes;
  }

  /**
   * What the request headers alone say; empty when the model is in the body, which must be read.
   *
   * @param headers lower-case names, as HTTP/2 and Envoy give them
   * @param endOfStream whether the request has no body
   */
  Optional<Extraction> fromHeaders(Map<String, String> headers, boolean endOfStream) {
    String path = headers.getOrDefault(":path", "");
    String contentType = headers.getOrDefault("content-type", "");
    boolean grpcType = contentType.toLowerCase(Locale.ROOT).startsWith("application/grpc");
    if (!grpcType && !GRPC_PATH.matcher(path).matches()) {
      return Optional.of(RestPaths.extract(headers.getOrDefault(":method", ""), path));
    }
    if (!isGrpc(contentType)) {
      return Optional.of(
          new Extraction.Refused(
              DecisionKind.UNSUPPORTED_CONTENT_TYPE,
              grpcType ? ApiProtocol.GRPC : ApiProtocol.REST,
              (contentType.isEmpty() ? "no content-type" : "content-type '" + Bounded.of(contentType) + "'")
                  + " on gRPC path "
                  + Bounded.of(path)
                  + ": the gateway serves gRPC as application/grpc or application/grpc+proto"));
    }
    if (!GrpcBodies.served(path)) {
      return Optional.of(
          new Extraction.Refused(
              DecisionKind.NOT_SERVED,
              ApiProtocol.GRPC,
              "method " + Bounded.of(path) + " is not served through this gateway (served: " + SERVED + ")"));
    }
    if (endOfStream) {
      return Optional.of(Extraction.Refused.malformed(ApiProtocol.GRPC, "empty request body"));
    }
    return Optional.empty();
  }

  /** The model of a gRPC request whose headers asked for the body. */
  Extraction fromBody(Map<String, String> headers, ByteString body) {
    Extraction extraction =
        GrpcBodies.extract(
            headers.getOrDefault(":path", ""), headers.getOrDefault("grpc-encoding", ""), body, maxRequestBytes);
    if (extraction instanceof Extraction.Found found) {
      return agreeingWithClientHeaders(found, headers);
    }
    return extraction;
  }

  /** {@code found}, unless the client's routing headers name another model or version. */
  private static Extraction agreeingWithClientHeaders(Extraction.Found found, Map<String, String> headers) {
    ModelRequest body = found.request();
    String model = headers.get(RoutingHeaders.MODEL);
    if (model != null && !model.equals(body.model())) {
      return Extraction.Refused.malformed(
          ApiProtocol.GRPC,
          RoutingHeaders.MODEL
              + " '"
              + Bounded.of(model)
              + "' disagrees with the request's model_spec.name '"
              + Bounded.of(body.model())
              + "'");
    }
    String version = headers.get(RoutingHeaders.VERSION);
    if (version != null
        && !(body.version().isPresent() && version.equals(Long.toString(body.version().getAsLong())))) {
      String asked =
          body.version().isPresent()
              ? "version " + body.version().getAsLong()
              : body.label().map(l -> "label '" + Bounded.of(l) + "'").orElse("no version");
      return Extraction.Refused.malformed(
          ApiProtocol.GRPC,
          RoutingHeaders.VERSION
              + " '"
              + Bounded.of(version)
              + "' disagrees with the request's model_spec, which asks for "
              + asked);
    }
    return found;
  }

  /** {@code application/grpc} or {@code application/grpc+proto}, any case, optional parameters. */
  static boolean isGrpc(String contentType) {
    String type = contentType.toLowerCase(Locale.ROOT);
    int params = type.indexOf(';');
    String bare = (params < 0 ? type : type.substring(0, params)).strip();
    return bare.equals("application/grpc") || bare.equals("application/grpc+proto");
  }
}
