package io.modelgate.xds;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.modelgate.routing.RoutingHeaders;

/**
 * The request matchers the routes are made of: TF Serving's gRPC calls, told apart by
 * content-type and routing header, exact headers and RE2 regexes. Stateless.
 */
final class RouteMatches {
  private static final String GRPC_PREFIX = "/tensorflow.serving.";
  private static final String GRPC_CONTENT_TYPE = "(?i)application/grpc(\\+proto)?(;.*)?";

  private RouteMatches() {}

  /** Any gRPC content-type: {@code application/grpc...}, any case. */
  static HeaderMatcher grpcContentTypePrefix() {
    return HeaderMatcher.newBuilder()
        .setName("content-type")
        .setStringMatch(StringMatcher.newBuilder().setPrefix("application/grpc").setIgnoreCase(true))
        .build();
  }

  /** The content-types the gateway serves gRPC as: {@code application/grpc[+proto][;...]}. */
  static HeaderMatcher.Builder grpcProtobufContentType() {
    return HeaderMatcher.newBuilder()
        .setName("content-type")
        .setStringMatch(StringMatcher.newBuilder().setSafeRegex(regex(GRPC_CONTENT_TYPE)));
  }

  /**
   * TF Serving's gRPC services with a gRPC protobuf content-type; the routes before have taken
   * every other method.
   */
  static RouteMatch.Builder grpcMethods() {
    return RouteMatch.newBuilder().setPrefix(GRPC_PREFIX).addHeaders(grpcProtobufContentType());
  }

  /** {@link #grpcMethods} for {@code model}, as its routing header names it. */
  static RouteMatch.Builder grpcMatch(String model) {
    return grpcMethods().addHeaders(exactHeader(RoutingHeaders.MODEL, model));
  }

  static HeaderMatcher exactHeader(String name, String value) {
    return HeaderMatcher.newBuilder()
        .setName(name)
        .setStringMatch(StringMatcher.newBuilder().setExact(value))
        .build();
  }

  static RegexMatcher regex(String regex) {
    return RegexMatcher.newBuilder().setRegex(regex).build();
  }
}
