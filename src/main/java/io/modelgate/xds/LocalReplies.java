package io.modelgate.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.OptionalInt;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.AndFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.accesslog.v3.StatusCodeFilter;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeUInt32;
import io.envoyproxy.envoy.config.accesslog.v3.HeaderFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.LocalReplyConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ResponseMapper;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;

/**
 * What Envoy says when no replica has the requested model loaded, or a gRPC request is over the
 * gateway's size limit. Envoy's own answers are a bare {@code 503 no healthy upstream} and {@code
 * 413 Payload Too Large} (UNKNOWN to a gRPC client); modelgate's name the model (and version),
 * taken from the metadata of the route that matched, or the limit: REST clients get a JSON body
 * with status 503, gRPC clients UNAVAILABLE or RESOURCE_EXHAUSTED with the sentence as
 * grpc-message. Stateless.
 */
final class LocalReplies {
  /** Route metadata namespace; key {@value #SERVABLE} describes what the route serves. */
  static final String NAMESPACE = "modelgate";

  static final String SERVABLE = "servable";

  private static final String NOT_LOADED =
      "%METADATA(ROUTE:" + NAMESPACE + ":" + SERVABLE + ")% is not loaded on any replica";

  private LocalReplies() {}

  /** Route metadata naming the servable: {@code model 'm'} or {@code version 2 of model 'm'}. */
  static Metadata servable(String description) {
    return Metadata.newBuilder()
        .putFilterMetadata(
            NAMESPACE,
            Struct.newBuilder().putFields(SERVABLE, Value.newBuilder().setStringValue(description).build()).build())
        .build();
  }

  /**
   * @param maxRequestBytes the listener's buffer limit when the gateway filter buffers gRPC
   *     bodies: when Envoy answers a request over it 413 itself, the gRPC client gets
   *     RESOURCE_EXHAUSTED naming the limit instead of the UNKNOWN Envoy maps 413 to; empty
   *     without the filter
   */
  static LocalReplyConfig config(OptionalInt maxRequestBytes) {
    AccessLogFilter noHealthyUpstream =
        AccessLogFilter.newBuilder()
            .setResponseFlagFilter(ResponseFlagFilter.newBuilder().addFlags("UH"))
            .build();
    AccessLogFilter grpcRequest =
        AccessLogFilter.newBuilder()
            .setHeaderFilter(
                HeaderFilter.newBuilder()
                    .setHeader(
                        HeaderMatcher.newBuilder()
                            .setName("content-type")
                            .setStringMatch(StringMatcher.newBuilder().setPrefix("application/grpc"))))
            .build();
    LocalReplyConfig.Builder config = LocalReplyConfig.newBuilder();
    maxRequestBytes.ifPresent(limit -> addTooLarge(config, limit, grpcRequest));
    return config
        // gRPC first: Envoy turns the 503 into UNAVAILABLE and the body into grpc-message.
        .addMappers(
            ResponseMapper.newBuilder()
                .setFilter(
                    AccessLogFilter.newBuilder()
                        .setAndFilter(AndFilter.newBuilder().addFilters(noHealthyUpstream).addFilters(grpcRequest)))
                .setBodyFormatOverride(format(NOT_LOADED, "text/plain")))
        .addMappers(
            ResponseMapper.newBuilder()
                .setFilter(noHealthyUpstream)
                .setBodyFormatOverride(format("{\"error\":\"" + NOT_LOADED + "\"}\n", "application/json")))
        .build();
  }

  private static void addTooLarge(LocalReplyConfig.Builder config, int limit, AccessLogFilter grpcRequest) {
    AccessLogFilter tooLarge =
        AccessLogFilter.newBuilder()
            .setStatusCodeFilter(
                StatusCodeFilter.newBuilder()
                    .setComparison(
                        ComparisonFilter.newBuilder()
                            .setOp(ComparisonFilter.Op.EQ)
                            .setValue(RuntimeUInt32.newBuilder().setDefaultValue(413).setRuntimeKey("modelgate.too_large"))))
            .build();
    String message = "request body over extproc.maxRequestBytes (" + limit + " bytes)";
    // gRPC only: the filter buffers gRPC bodies alone, so only they can meet Envoy's 413.
    config.addMappers(
        ResponseMapper.newBuilder()
            .setFilter(
                AccessLogFilter.newBuilder()
                    .setAndFilter(AndFilter.newBuilder().addFilters(tooLarge).addFilters(grpcRequest)))
            // Envoy keeps a grpc-status already set instead of mapping 413 to UNKNOWN.
            .addHeadersToAdd(
                HeaderValueOption.newBuilder()
                    .setHeader(HeaderValue.newBuilder().setKey("grpc-status").setValue("8"))
                    .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
            .setBodyFormatOverride(format(message, "text/plain")));
  }

  private static SubstitutionFormatString format(String text, String contentType) {
    return SubstitutionFormatString.newBuilder()
        .setTextFormatSource(DataSource.newBuilder().setInlineString(text))
        .setContentType(contentType)
        .build();
  }
}
