package io.modelgate.extproc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.GrpcStatus;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.modelgate.routing.ProcessingModes;
import io.modelgate.routing.RoutingHeaders;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Map;

/**
 * Builds the ext_proc answers for the gateway's decisions. Stateless and thread-safe.
 *
 * <p>A routed request gets a header mutation that first removes any client-sent {@value
 * RoutingHeaders#MODEL} and {@value RoutingHeaders#VERSION} and then sets ours, with {@code
 * clear_route_cache} on the same response (Envoy honours it only alongside a header mutation).
 *
 * <p>A rejected REST request gets its HTTP status with {@code {"error": "..."}} as JSON. A rejected
 * gRPC request gets a trailers-only response: HTTP 200, {@code content-type: application/grpc},
 * {@code grpc-status}, and {@code grpc-message} percent-encoded as the gRPC spec says. Envoy
 * builds that itself from {@code grpc_status} and the body (which it percent-encodes into {@code
 * grpc-message}) when the request's content-type is gRPC; the same headers are also set
 * explicitly, with the values Envoy would give them, so the answer does not depend on that.
 */
final class ProcessingResponses {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ProcessingResponses() {}

  /**
   * Continue without the client's routing headers, and send the request body: the gRPC model
   * spec is in it. Removed now, so that if Envoy later gives up on the body (message timeout,
   * fail-open) the request has no model to route by and gets the routes' NOT_FOUND.
   */
  static ProcessingResponse clearRoutingAndSendBody() {
    CommonResponse common =
        CommonResponse.newBuilder()
            .setHeaderMutation(
                HeaderMutation.newBuilder()
                    .addRemoveHeaders(RoutingHeaders.MODEL)
                    .addRemoveHeaders(RoutingHeaders.VERSION)
                    .addRemoveHeaders(RoutingHeaders.HELD_MS))
            .setClearRouteCache(true)
            .build();
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder().setResponse(common))
        .setModeOverride(ProcessingModes.GRPC_BODY)
        .build();
  }

  /**
   * Asks Envoy to wait up to {@code wait} for this processing step's answer: the request is held
   * ({@code override_message_timeout}, honoured once per step up to the filter's {@code
   * max_message_timeout}).
   */
  static ProcessingResponse extendTimeout(Duration wait) {
    return ProcessingResponse.newBuilder()
        .setOverrideMessageTimeout(
            com.google.protobuf.Duration.newBuilder()
                .setSeconds(wait.getSeconds())
                .setNanos(wait.getNano()))
        .build();
  }

  /** The answer to a decision made on the request headers or on the request body. */
  static ProcessingResponse decided(Decision decision, boolean onBody) {
    return decided(decision, onBody, Optional.empty());
  }

  /** As above, for a request that was held for {@code held} first. */
  static ProcessingResponse decided(Decision decision, boolean onBody, Optional<Duration> held) {
    if (decision instanceof Decision.Route route) {
      return routed(route, onBody, held);
    }
    return rejected((Decision.Reject) decision);
  }

  /** An answer that changes nothing, matching the kind of {@code request}; null if none. */
  static ProcessingResponse passiveAnswer(ProcessingRequest request) {
    ProcessingResponse.Builder response = ProcessingResponse.newBuilder();
    return switch (request.getRequestCase()) {
      case REQUEST_HEADERS ->
          response.setRequestHeaders(HeadersResponse.getDefaultInstance()).build();
      case RESPONSE_HEADERS ->
          response.setResponseHeaders(HeadersResponse.getDefaultInstance()).build();
      case REQUEST_BODY -> response.setRequestBody(BodyResponse.getDefaultInstance()).build();
      case RESPONSE_BODY -> response.setResponseBody(BodyResponse.getDefaultInstance()).build();
      case REQUEST_TRAILERS ->
          response.setRequestTrailers(TrailersResponse.getDefaultInstance()).build();
      case RESPONSE_TRAILERS ->
          response.setResponseTrailers(TrailersResponse.getDefaultInstance()).build();
      case REQUEST_NOT_SET -> null;
    };
  }

  private static ProcessingResponse routed(Decision.Route route, boolean onBody, Optional<Duration> held) {
    HeaderMutation.Builder mutation =
        HeaderMutation.newBuilder()
            .addRemoveHeaders(RoutingHeaders.MODEL)
            .addRemoveHeaders(RoutingHeaders.VERSION)
            .addRemoveHeaders(RoutingHeaders.HELD_MS)
            .addSetHeaders(header(RoutingHeaders.MODEL, route.model()));
    route
        .version()
        .ifPresent(v -> mutation.addSetHeaders(header(RoutingHeaders.VERSION, Long.toString(v))));
    held.ifPresent(h -> mutation.addSetHeaders(header(RoutingHeaders.HELD_MS, Long.toString(h.toMillis()))));
    CommonResponse common =
        CommonResponse.newBuilder().setHeaderMutation(mutation).setClearRouteCache(true).build();
    ProcessingResponse.Builder response = ProcessingResponse.newBuilder();
    if (onBody) {
      response.setRequestBody(BodyResponse.newBuilder().setResponse(common));
    } else {
      response.setRequestHeaders(HeadersResponse.newBuilder().setResponse(common));
    }
    return response.build();
  }

  private static ProcessingResponse rejected(Decision.Reject reject) {
    ImmediateResponse.Builder immediate =
        ImmediateResponse.newBuilder()
            .setDetails("modelgate_" + reject.kind().name().toLowerCase(Locale.ROOT));
    if (reject.protocol() == ApiProtocol.GRPC) {
      immediate
          .setStatus(HttpStatus.newBuilder().setCodeValue(200))
          .setGrpcStatus(GrpcStatus.newBuilder().setStatus(reject.grpcStatus()))
          .setBody(ByteString.copyFromUtf8(reject.message()))
          .setHeaders(
              HeaderMutation.newBuilder()
                  .addSetHeaders(header("content-type", "application/grpc"))
                  .addSetHeaders(header("grpc-status", Integer.toString(reject.grpcStatus())))
                  .addSetHeaders(
                      header("grpc-message", GrpcMessages.percentEncode(reject.message()))));
    } else {
      immediate
          .setStatus(HttpStatus.newBuilder().setCodeValue(reject.httpStatus()))
          .setBody(ByteString.copyFromUtf8(json(reject.message())))
          .setHeaders(
              HeaderMutation.newBuilder()
                  .addSetHeaders(header("content-type", "application/json")));
    }
    return ProcessingResponse.newBuilder().setImmediateResponse(immediate).build();
  }

  /**
   * One header to overwrite. Envoy reads {@code raw_value} (it rejects a header with both values
   * set, and with {@code send_header_raw_value} on, its default, ignores {@code value}).
   */
  private static HeaderValueOption header(String key, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(
            HeaderValue.newBuilder()
                .setKey(key)
                .setRawValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)))
        .setAppendAction(HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  private static String json(String error) {
    try {
      return JSON.writeValueAsString(Map.of("error", error));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
