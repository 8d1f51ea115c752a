package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;

/**
 * Routes Envoy answers itself, with no replica involved: a gRPC error or a REST JSON error.
 * Stateless.
 */
final class DirectResponses {
  private DirectResponses() {}

  /** A trailers-only gRPC error answered by Envoy itself. */
  static Route grpc(RouteMatch.Builder match, int grpcStatus, String message) {
    return Route.newBuilder()
        .setMatch(match)
        .setDirectResponse(DirectResponseAction.newBuilder().setStatus(200))
        .addResponseHeadersToAdd(header("content-type", "application/grpc"))
        .addResponseHeadersToAdd(header("grpc-status", String.valueOf(grpcStatus)))
        .addResponseHeadersToAdd(header("grpc-message", message))
        .build();
  }

  /** A JSON error answered by Envoy itself (which would call a direct body text/plain). */
  static Route rest(RouteMatch.Builder match, int status, String json) {
    return Route.newBuilder()
        .setMatch(match)
        .setDirectResponse(
            DirectResponseAction.newBuilder()
                .setStatus(status)
                .setBody(DataSource.newBuilder().setInlineString(json + "\n")))
        .addResponseHeadersToAdd(header("content-type", "application/json"))
        .build();
  }

  private static HeaderValueOption header(String key, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(key).setValue(value))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }
}
