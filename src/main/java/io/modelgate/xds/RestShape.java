package io.modelgate.xds;

import io.envoyproxy.envoy.config.route.v3.RouteMatch;

/**
 * The two kinds of TF Serving REST call, as its handler tells them apart (case-insensitive
 * path, {@code (\\d+)} versions).
 */
enum RestShape {
  /** {@code POST <servable>:predict|:classify|:regress}. */
  INFERENCE("POST", ":(predict|classify|regress)"),
  /** {@code GET <servable>[/metadata]}: model status or metadata. */
  STATUS("GET", "(/metadata)?");

  private final String method;
  private final String suffix;

  RestShape(String method, String suffix) {
    this.method = method;
    this.suffix = suffix;
  }

  /** Requests with this shape's method whose path is {@code servableRegex} then the suffix. */
  RouteMatch.Builder match(String servableRegex) {
    return RouteMatch.newBuilder()
        .setSafeRegex(RouteMatches.regex(servableRegex + suffix))
        .addHeaders(RouteMatches.exactHeader(":method", method));
  }
}
