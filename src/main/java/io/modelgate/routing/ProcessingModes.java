package io.modelgate.routing;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;

/**
 * The processing-mode contract between Envoy's ext_proc filters and modelgate's ext_proc service
 * ({@code extproc.ExternalProcessorService}): the xDS resources configure the filters with these
 * modes, and the service relies on them.
 *
 * <p>The gateway filter is configured with {@link #FILTER} (request headers only) and {@code
 * allow_mode_override: true}, and must not set {@code
 * send_body_without_waiting_for_header_response} (Envoy then ignores overrides). REST requests
 * are decided on their headers. For a gRPC request to a TF Serving method that names a model, the
 * service answers the request headers with {@link #GRPC_BODY} as {@code mode_override}, so Envoy
 * holds the headers, sends the body as one message, and applies the routing headers the service
 * sets in its body response before it routes. Checked against Envoy 1.40 in ExtProcEnvoyTest.
 *
 * <p>{@code BUFFERED}, not {@code BUFFERED_PARTIAL}: with {@code BUFFERED_PARTIAL}, Envoy 1.40
 * sometimes (about 1 gRPC call in 300 under concurrent load, when the body arrives before the
 * headers answer) routes the request before applying the headers set on the body, so it misses
 * the model's route. {@code BUFFERED} bodies are whole: the service treats one as complete even
 * when {@code end_of_stream} is false (gRPC trailers follow). The listener's buffer limit is
 * {@code extproc.maxRequestBytes}; Envoy 1.40 still hands bigger bodies to the filter (which
 * refuses them RESOURCE_EXHAUSTED) as long as the ext_proc message fits modelgate's gRPC
 * limit, and past that the filter fails open onto a route that refuses the call naming the
 * limit. The service's headers answer removes the client's routing headers, with {@code
 * clear_route_cache}, in the same response as the override (checked on Envoy 1.40 in
 * ExtProcEnvoyTest). Envoy applies an override
 * to both directions, so {@link #GRPC_BODY} repeats every other setting of {@link #FILTER}; change
 * them together.
 *
 * <p>The passive observer, an upstream filter in observability mode, is configured with {@link
 * #OBSERVER}.
 */
public final class ProcessingModes {

  /** The gateway filter's static {@code processing_mode}. */
  public static final ProcessingMode FILTER =
      ProcessingMode.newBuilder()
          .setRequestHeaderMode(HeaderSendMode.SEND)
          .setResponseHeaderMode(HeaderSendMode.SKIP)
          .setRequestBodyMode(BodySendMode.NONE)
          .setResponseBodyMode(BodySendMode.NONE)
          .setRequestTrailerMode(HeaderSendMode.SKIP)
          .setResponseTrailerMode(HeaderSendMode.SKIP)
          .build();

  /** The {@code mode_override} sent with the headers response of a gRPC model request. */
  public static final ProcessingMode GRPC_BODY =
      FILTER.toBuilder().setRequestBodyMode(BodySendMode.BUFFERED).build();

  /**
   * The passive observer's {@code processing_mode}: each try's request and response headers, sent
   * without waiting for an answer. A try with request headers and no response headers is one
   * Envoy gave up on.
   */
  public static final ProcessingMode OBSERVER =
      ProcessingMode.newBuilder()
          .setRequestHeaderMode(HeaderSendMode.SEND)
          .setResponseHeaderMode(HeaderSendMode.SEND)
          .setRequestBodyMode(BodySendMode.NONE)
          .setResponseBodyMode(BodySendMode.NONE)
          .setRequestTrailerMode(HeaderSendMode.SKIP)
          .setResponseTrailerMode(HeaderSendMode.SKIP)
          .build();

  private ProcessingModes() {}
}
