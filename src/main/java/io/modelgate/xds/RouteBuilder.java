package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.ClusterNames.Upstream;
import io.modelgate.routing.RoutingHeaders;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.regex.Pattern;

/**
 * The RDS resource: one route configuration, rebuilt only when the models' {@link
 * ClusterVersions} change ({@link VersionsMemo}). Thread-safe.
 *
 * <p>Routes, first match wins. They refuse by themselves what the gateway filter refuses, so
 * nothing else reaches a replica when the filter fails open: first gRPC (content-type {@code
 * application/grpc...}) calling anything but TF Serving's six inference RPCs (exact {@code
 * :path}: UNIMPLEMENTED) or with another content-type than {@code application/grpc[+proto]}
 * (INVALID_ARGUMENT). Then per model its version routes (REST {@code /versions/0*<n>}, gRPC
 * header {@code x-model-version}) and label routes, an error for any other version or label,
 * and the model's own REST and gRPC routes; REST routes match TF Serving's documented shapes
 * only, {@code POST ...:predict|:classify|:regress} and {@code GET ...[/metadata]}. Last: unknown
 * models (REST 404, gRPC NOT_FOUND), a documented REST shape with another method (405), other
 * gRPC (UNIMPLEMENTED) and any other path (404 JSON). Every upstream route retries on another
 * replica ({@link UpstreamRoutes}), and when no replica has the model Envoy's 503 is replaced by
 * one naming it ({@link LocalReplies}). With the gateway filter, a response tells how long the
 * filter held its request ({@link RoutingHeaders#HELD_MS}), when it did.
 */
final class RouteBuilder {
  static final String ROUTE_CONFIG_NAME = "modelgate";

  /**
   * A REST path's start. Route regexes stay small: Envoy refuses RE2 programs over size 100, so
   * paths are matched in the documented lower case only (as the gateway filter reads them).
   */
  private static final String MODELS_PATH = "/v1/models/";
  /** The inference RPCs TF Serving documents for clients: exact {@code :path}s, no query. */
  private static final List<String> GRPC_METHODS =
      List.of(
          "/tensorflow.serving.PredictionService/Predict",
          "/tensorflow.serving.PredictionService/Classify",
          "/tensorflow.serving.PredictionService/Regress",
          "/tensorflow.serving.PredictionService/MultiInference",
          "/tensorflow.serving.PredictionService/GetModelMetadata",
          "/tensorflow.serving.ModelService/GetModelStatus");
  private static final String NOT_SERVED =
      "not served through this gateway: only TF Serving's inference RPCs (PredictionService"
          + " Predict, Classify, Regress, MultiInference, GetModelMetadata; ModelService"
          + " GetModelStatus) as application/grpc";

  private final Optional<GatewayFilters> gateway;
  private final UpstreamRoutes upstream;
  private final VersionsMemo<RouteConfiguration> memo = new VersionsMemo<>(this::build);

  RouteBuilder(XdsConfig settings, Optional<GatewayFilters> gateway) {
    this.gateway = gateway;
    this.upstream = new UpstreamRoutes(settings);
  }

  /** The routes for {@code versions}, by model (from {@link ClusterVersions#of}). */
  RouteConfiguration routes(CatalogVersions versions) {
    return memo.get(versions);
  }

  private RouteConfiguration build(CatalogVersions versions) {
    VirtualHost.Builder host = VirtualHost.newBuilder().setName("tfserving").addDomains("*");
    if (gateway.isPresent()) {
      // Absent on the request (not held), the value formats empty and Envoy adds no header.
      host.addResponseHeadersToAdd(
          HeaderValueOption.newBuilder()
              .setHeader(
                  HeaderValue.newBuilder()
                      .setKey(RoutingHeaders.HELD_MS)
                      .setValue("%REQ(" + RoutingHeaders.HELD_MS + ")%"))
              .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }
    addGrpcRefusals(host);
    for (ModelConfig model : versions.models()) {
      addModelRoutes(host, model, versions.of(model));
    }
    addFallbacks(host);
    return RouteConfiguration.newBuilder().setName(ROUTE_CONFIG_NAME).addVirtualHosts(host).build();
  }

  /**
   * First, gRPC that no model route may take (the same answers the gateway filter gives, for when
   * it fails open): a method other than the inference RPCs, then another content-type.
   */
  private static void addGrpcRefusals(VirtualHost.Builder host) {
    RouteMatch.Builder otherMethod =
        RouteMatch.newBuilder().setPrefix("/").addHeaders(RouteMatches.grpcContentTypePrefix());
    for (String method : GRPC_METHODS) {
      otherMethod.addHeaders(
          HeaderMatcher.newBuilder()
              .setName(":path")
              .setStringMatch(StringMatcher.newBuilder().setExact(method))
              .setInvertMatch(true));
    }
    host.addRoutes(DirectResponses.grpc(otherMethod, 12, NOT_SERVED));
    host.addRoutes(
        DirectResponses.grpc(
            RouteMatch.newBuilder()
                .setPrefix("/")
                .addHeaders(RouteMatches.grpcContentTypePrefix())
                .addHeaders(RouteMatches.grpcProtobufContentType().setInvertMatch(true)),
            3,
            "the gateway serves gRPC as application/grpc or application/grpc+proto only"));
  }

  /**
   * One model's routes: its versions', its labels', an error for any other version or label, then
   * its own (to its pinned version, if any).
   */
  private void addModelRoutes(VirtualHost.Builder host, ModelConfig model, SortedSet<Long> versions) {
    String name = model.name();
    String quoted = Pattern.quote(name);
    for (long version : versions) {
      String servable = versionOf(name, version);
      addRestRoutes(
          host,
          MODELS_PATH + quoted + "/versions/0*" + version,
          ClusterNames.version(name, version, Upstream.REST),
          servable);
      host.addRoutes(
          upstream.grpc(
              RouteMatches.grpcMatch(name)
                  .addHeaders(RouteMatches.exactHeader(RoutingHeaders.VERSION, String.valueOf(version))),
              ClusterNames.version(name, version, Upstream.GRPC),
              servable));
    }
    model
        .labels()
        .forEach(
            (label, version) ->
                addRestRoutes(
                    host,
                    MODELS_PATH + quoted + "/labels/" + Pattern.quote(label),
                    ClusterNames.version(name, version, Upstream.REST),
                    versionOf(name, version)));
    // A version (or label) no replica has ever reported: without these routes the request
    // would fall through to the model's route and be served by whatever version is loaded.
    String versionNotLoaded = "the requested version of model '" + name + "' is not loaded on any replica";
    String anyVersion = MODELS_PATH + quoted + "/(versions/[0-9]+|labels/[^/:]+)";
    for (RestShape shape : RestShape.values()) {
      host.addRoutes(
          DirectResponses.rest(shape.match(anyVersion), 503, "{\"error\":\"" + versionNotLoaded + "\"}"));
    }
    host.addRoutes(
        DirectResponses.grpc(
            RouteMatches.grpcMatch(name)
                .addHeaders(HeaderMatcher.newBuilder().setName(RoutingHeaders.VERSION).setPresentMatch(true)),
            14,
            versionNotLoaded));
    OptionalLong pinned = model.wantedVersion();
    String servable = pinned.isPresent() ? versionOf(name, pinned.getAsLong()) : "model '" + name + "'";
    addRestRoutes(
        host,
        MODELS_PATH + quoted,
        pinned.isPresent()
            ? ClusterNames.version(name, pinned.getAsLong(), Upstream.REST)
            : ClusterNames.model(name, Upstream.REST),
        servable);
    host.addRoutes(
        upstream.grpc(
            RouteMatches.grpcMatch(name),
            pinned.isPresent()
                ? ClusterNames.version(name, pinned.getAsLong(), Upstream.GRPC)
                : ClusterNames.model(name, Upstream.GRPC),
            servable));
  }

  /**
   * What no model route took: the same answers the gateway filter gives, for when it fails open,
   * so nothing but a served inference call ever reaches a replica.
   */
  private void addFallbacks(VirtualHost.Builder host) {
    String anyModel = MODELS_PATH + "[^/:]+(/versions/[0-9]+|/labels/[^/:]+)?";
    for (RestShape shape : RestShape.values()) {
      host.addRoutes(
          DirectResponses.rest(
              shape.match(anyModel), 404, "{\"error\":\"Servable not found: modelgate serves no such model\"}"));
    }
    host.addRoutes(
        DirectResponses.rest(
            RouteMatch.newBuilder()
                .setSafeRegex(RouteMatches.regex(anyModel + "(:(predict|classify|regress)|/metadata)?")),
            405,
            "{\"error\":\"method not allowed: use POST for :predict, :classify and :regress, GET for"
                + " model status and /metadata\"}"));
    host.addRoutes(
        DirectResponses.grpc(
            RouteMatches.grpcMethods(),
            5,
            "Servable not found: modelgate cannot tell which model this call is for: the gateway"
                + " filter could not read it (the filter is down, or the request is over"
                + gateway.map(g -> " extproc.maxRequestBytes, " + g.maxRequestBytes() + " bytes)").orElse(" its limit)")));
    host.addRoutes(
        DirectResponses.grpc(
            RouteMatch.newBuilder().setPrefix("/").addHeaders(RouteMatches.grpcContentTypePrefix()),
            12,
            NOT_SERVED));
    host.addRoutes(
        DirectResponses.rest(
            RouteMatch.newBuilder().setPrefix("/"),
            404,
            "{\"error\":\"not a TF Serving inference path: POST"
                + " /v1/models/<name>[/versions/<n>|/labels/<label>]:predict|:classify|:regress, GET"
                + " /v1/models/<name>[/versions/<n>|/labels/<label>][/metadata]\"}"));
  }

  /** A route of each {@link RestShape} for the servable whose path is {@code servableRegex}. */
  private void addRestRoutes(VirtualHost.Builder host, String servableRegex, String cluster, String servable) {
    for (RestShape shape : RestShape.values()) {
      host.addRoutes(upstream.rest(shape.match(servableRegex), cluster, servable));
    }
  }

  private static String versionOf(String model, long version) {
    return "version " + version + " of model '" + model + "'";
  }
}
