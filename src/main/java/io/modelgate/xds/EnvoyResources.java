package io.modelgate.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.Percent;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.sources.Replica;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.ClusterNames.Upstream;
import io.modelgate.routing.RoutingHeaders;
import io.modelgate.routing.ServableNotFound;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The Envoy resources (clusters, load assignments, listener, routes) that steer inference traffic
 * for one health view: a function of the configuration and the view (which carries the replicas'
 * IP addresses: EDS takes only IPs), so two modelgate instances given the same view produce
 * byte-identical resources. Thread-safe.
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
 * replica (Predict is idempotent), and when no replica has the model Envoy's 503 is replaced by
 * one naming it ({@link LocalReplies}).
 */
public final class EnvoyResources {
  public static final String LISTENER_NAME = "modelgate";
  public static final String ROUTE_CONFIG_NAME = "modelgate";
  /**
   * A REST path's start. Route regexes stay small: Envoy refuses RE2 programs over size 100, so
   * paths are matched in the documented lower case only (as the gateway filter reads them).
   */
  private static final String MODELS_PATH = "/v1/models/";
  private static final String GRPC_PREFIX = "/tensorflow.serving.";
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
  private static final String GRPC_CONTENT_TYPE = "(?i)application/grpc(\\+proto)?(;.*)?";
  private static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private final ModelgateConfig config;
  private final XdsConfig settings;
  private final Optional<GatewayFilters> gateway;
  /** The last load assignments built per model, and what they were built from. */
  private final Map<String, Built> built = new ConcurrentHashMap<>();
  /** Clusters and routes depend on a view only through each model's versions: built on change. */
  private volatile Memo<List<Cluster>> clusters;
  private volatile Memo<RouteConfiguration> routes;
  /** Guarded by this. */
  private LbEndpoints endpoints;
  private final List<Listener> listeners;

  private record Memo<T>(Map<String, SortedSet<Long>> versions, T value) {}

  /** Each model's versions, kept while its health is the same object; and those of the last view. */
  private final Map<String, ModelVersions> modelVersions = new ConcurrentHashMap<>();
  private volatile ViewVersions viewVersions;

  private record ModelVersions(ModelHealth health, SortedSet<Long> versions) {}

  private record ViewVersions(HealthView view, Map<String, SortedSet<Long>> versions) {}

  /** Resources without the gateway filter. */
  public EnvoyResources(ModelgateConfig config) {
    this(config, Optional.empty());
  }

  /**
   * @param extProc where Envoy reaches modelgate's ext_proc service when the gateway filter is
   *     on; empty for none
   */
  public EnvoyResources(ModelgateConfig config, Optional<InetSocketAddress> extProc) {
    this.config = config;
    this.settings = config.xds();
    this.gateway = extProc.map(address -> new GatewayFilters(config.extProc(), address));
    this.listeners = List.of(listener());
  }

  /** Every version that gets its own clusters: seen AVAILABLE somewhere, pinned, or labelled. */
  SortedSet<Long> versions(ModelConfig model, HealthView view) {
    SortedSet<Long> versions = new TreeSet<>(model.labels().values());
    model.version().ifPresent(versions::add);
    ModelHealth health = view.models().get(model.name());
    if (health != null) {
      health.replicas().values().forEach(r -> versions.addAll(r.availableVersions()));
    }
    return versions;
  }

  /**
   * A complete view in which every model is in {@code state} on every replica (version 1 when
   * READY): for warming the build path up before real views exist.
   */
  HealthView uniformView(ReplicaState state, List<Replica> replicas) {
    return HealthView.uniform(
        config.models().stream().map(ModelConfig::name).toList(),
        replicas,
        state,
        state == ReplicaState.READY ? Set.of(1L) : Set.of(),
        Instant.now());
  }

  /**
   * Every model's {@link #versions}, by model name; computed once per view (clusters, load
   * assignments and routes of one build all ask).
   */
  private Map<String, SortedSet<Long>> versionsByModel(HealthView view) {
    ViewVersions last = viewVersions;
    if (last != null && last.view() == view) {
      return last.versions();
    }
    Map<String, SortedSet<Long>> byModel = new HashMap<>();
    for (ModelConfig model : config.models()) {
      ModelHealth health = view.models().get(model.name());
      ModelVersions known = modelVersions.get(model.name());
      // The view replaces only the models that changed: an unchanged one keeps its versions.
      if (known == null || known.health() != health) {
        known = new ModelVersions(health, versions(model, view));
        modelVersions.put(model.name(), known);
      }
      byModel.put(model.name(), known.versions());
    }
    Map<String, SortedSet<Long>> versions = Map.copyOf(byModel);
    viewVersions = new ViewVersions(view, versions);
    return versions;
  }

  public List<Cluster> clusters(HealthView view) {
    Map<String, SortedSet<Long>> versions = versionsByModel(view);
    Memo<List<Cluster>> last = clusters;
    if (last == null || !last.versions().equals(versions)) {
      last = new Memo<>(versions, buildClusters(versions));
      clusters = last;
    }
    return last.value();
  }

  private List<Cluster> buildClusters(Map<String, SortedSet<Long>> versions) {
    List<Cluster> clusters = new ArrayList<>();
    gateway.ifPresent(g -> clusters.add(g.serviceCluster(durationOf(settings.connectTimeout()))));
    for (ModelConfig model : config.models()) {
      for (Upstream upstream : Upstream.values()) {
        clusters.add(cluster(ClusterNames.model(model.name(), upstream), upstream));
        for (long version : versions.get(model.name())) {
          clusters.add(cluster(ClusterNames.version(model.name(), version, upstream), upstream));
        }
      }
    }
    return List.copyOf(clusters);
  }

  /** Synchronized: one build at a time fills the shared endpoint table. */
  public synchronized List<ClusterLoadAssignment> loadAssignments(HealthView view) {
    List<ClusterLoadAssignment> assignments = new ArrayList<>();
    // Kept while the replicas stay the same, so a rebuilt assignment shares its endpoint messages
    // with the one it replaces and comparing the two is mostly comparing references.
    if (endpoints == null || !endpoints.replicas().equals(view.replicas())) {
      endpoints = new LbEndpoints(view.replicas());
    }
    for (ModelConfig model : config.models()) {
      ModelHealth health = view.models().get(model.name());
      SortedSet<Long> versions = versionsByModel(view).get(model.name());
      Built last = built.get(model.name());
      if (last == null || last.endpoints() != endpoints || !sameForEds(last, health, versions)) {
        last = new Built(health, versions, endpoints, modelAssignments(model, health, versions, endpoints));
        built.put(model.name(), last);
      } else if (last.health() != health) {
        // Remembered with the newest health, so the next build settles it by identity.
        last = new Built(health, versions, endpoints, last.assignments());
        built.put(model.name(), last);
      }
      assignments.addAll(last.assignments());
    }
    return assignments;
  }

  /**
   * One model's load assignments and what they were built from. A change elsewhere (one model on
   * one replica) then rebuilds one model's assignments, and the others are the same objects as
   * before, which java-control-plane and {@link SnapshotVersions} compare and serialize cheaply.
   */
  private record Built(
      ModelHealth health, SortedSet<Long> versions, LbEndpoints endpoints, List<ClusterLoadAssignment> assignments) {}

  /**
   * Whether {@code health} gives every replica the state and versions the assignments were built
   * from (EDS carries nothing else of it, not the reason, not the time). The view replaces only the
   * models that changed, so the same object settles it at once; compared without allocating, as
   * the first build after a start compares 20,000 entries on a busy host.
   */
  private boolean sameForEds(Built last, ModelHealth health, SortedSet<Long> versions) {
    if (last.health() == health) {
      return true;
    }
    if (!last.versions().equals(versions)) {
      return false;
    }
    for (String replica : last.endpoints().replicas().keySet()) {
      ReplicaHealth before = replicaHealth(last.health(), replica);
      ReplicaHealth now = replicaHealth(health, replica);
      if (before.state() != now.state() || !before.availableVersions().equals(now.availableVersions())) {
        return false;
      }
    }
    return true;
  }

  private List<ClusterLoadAssignment> modelAssignments(
      ModelConfig model, ModelHealth health, SortedSet<Long> versions, LbEndpoints endpoints) {
    List<ClusterLoadAssignment> assignments = new ArrayList<>();
    for (Upstream upstream : Upstream.values()) {
      assignments.add(
          assignment(
              ClusterNames.model(model.name(), upstream),
              upstream,
              endpoints,
              replica -> EndpointHealth.forModel(replicaHealth(health, replica))));
      for (long version : versions) {
        assignments.add(
            assignment(
                ClusterNames.version(model.name(), version, upstream),
                upstream,
                endpoints,
                replica -> EndpointHealth.forVersion(replicaHealth(health, replica), version)));
      }
    }
    return List.copyOf(assignments);
  }

  public List<Listener> listeners() {
    return listeners;
  }

  private Listener listener() {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(LISTENER_NAME)
            .setCodecType(HttpConnectionManager.CodecType.AUTO)
            .setLocalReplyConfig(
                LocalReplies.config(
                    gateway.map(g -> OptionalInt.of(g.maxRequestBytes())).orElse(OptionalInt.empty())))
            .setRds(
                Rds.newBuilder()
                    .setRouteConfigName(ROUTE_CONFIG_NAME)
                    .setConfigSource(adsConfigSource()))
            .addAllHttpFilters(gateway.map(g -> List.of(g.gatewayFilter())).orElse(List.of()))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.router")
                    .setTypedConfig(Any.pack(Router.getDefaultInstance())))
            .build();
    Listener.Builder listener = Listener.newBuilder().setName(LISTENER_NAME);
    // The gateway filter buffers a gRPC request whole; the default 1 MiB would refuse big tensors.
    gateway.ifPresent(
        g -> listener.setPerConnectionBufferLimitBytes(UInt32Value.of(g.maxRequestBytes())));
    return listener
        .setAddress(socketAddress(settings.envoyListener().getHostString(), settings.envoyListener().getPort()))
        .addFilterChains(
            FilterChain.newBuilder()
                .addFilters(
                    Filter.newBuilder()
                        // Envoy picks the filter by its typed_config; this older name is the one
                        // java-control-plane's consistency check looks for to find the RDS name.
                        .setName("envoy.http_connection_manager")
                        .setTypedConfig(Any.pack(hcm))))
        .build();
  }

  public RouteConfiguration routes(HealthView view) {
    Map<String, SortedSet<Long>> versions = versionsByModel(view);
    Memo<RouteConfiguration> last = routes;
    if (last == null || !last.versions().equals(versions)) {
      last = new Memo<>(versions, buildRoutes(versions));
      routes = last;
    }
    return last.value();
  }

  private RouteConfiguration buildRoutes(Map<String, SortedSet<Long>> versions) {
    VirtualHost.Builder host = VirtualHost.newBuilder().setName("tfserving").addDomains("*");
    // First, gRPC that no model route may take (the same answers the gateway filter gives, for
    // when it fails open): a method other than the inference RPCs, then another content-type.
    RouteMatch.Builder otherMethod = RouteMatch.newBuilder().setPrefix("/").addHeaders(grpcContentTypePrefix());
    for (String method : GRPC_METHODS) {
      otherMethod.addHeaders(
          HeaderMatcher.newBuilder()
              .setName(":path")
              .setStringMatch(StringMatcher.newBuilder().setExact(method))
              .setInvertMatch(true));
    }
    host.addRoutes(grpcDirect(otherMethod, 12, NOT_SERVED));
    host.addRoutes(
        grpcDirect(
            RouteMatch.newBuilder()
                .setPrefix("/")
                .addHeaders(grpcContentTypePrefix())
                .addHeaders(
                    HeaderMatcher.newBuilder()
                        .setName("content-type")
                        .setStringMatch(StringMatcher.newBuilder().setSafeRegex(regex(GRPC_CONTENT_TYPE)))
                        .setInvertMatch(true)),
            3,
            "the gateway serves gRPC as application/grpc or application/grpc+proto only"));
    for (ModelConfig model : config.models()) {
      String name = model.name();
      String quoted = Pattern.quote(name);
      for (long version : versions.get(name)) {
        String servable = versionOf(name, version);
        restRoutes(
            host,
            MODELS_PATH + quoted + "/versions/0*" + version,
            ClusterNames.version(name, version, Upstream.REST),
            servable);
        host.addRoutes(
            grpcRoute(
                grpcMatch(name).addHeaders(exactHeader(RoutingHeaders.VERSION, String.valueOf(version))),
                ClusterNames.version(name, version, Upstream.GRPC),
                servable));
      }
      model
          .labels()
          .forEach(
              (label, version) ->
                  restRoutes(
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
            restDirect(shape.match(anyVersion), 503, "{\"error\":\"" + versionNotLoaded + "\"}"));
      }
      host.addRoutes(
          grpcDirect(
              grpcMatch(name).addHeaders(HeaderMatcher.newBuilder().setName(RoutingHeaders.VERSION).setPresentMatch(true)),
              14,
              versionNotLoaded));
      OptionalLong pinned = model.wantedVersion();
      String servable = pinned.isPresent() ? versionOf(name, pinned.getAsLong()) : "model '" + name + "'";
      restRoutes(
          host,
          MODELS_PATH + quoted,
          pinned.isPresent()
              ? ClusterNames.version(name, pinned.getAsLong(), Upstream.REST)
              : ClusterNames.model(name, Upstream.REST),
          servable);
      host.addRoutes(
          grpcRoute(
              grpcMatch(name),
              pinned.isPresent()
                  ? ClusterNames.version(name, pinned.getAsLong(), Upstream.GRPC)
                  : ClusterNames.model(name, Upstream.GRPC),
              servable));
    }
    // What no model route took: the same answers the gateway filter gives, for when it fails
    // open, so nothing but a served inference call ever reaches a replica.
    String anyModel = MODELS_PATH + "[^/:]+(/versions/[0-9]+|/labels/[^/:]+)?";
    for (RestShape shape : RestShape.values()) {
      host.addRoutes(
          restDirect(
              shape.match(anyModel), 404, "{\"error\":\"Servable not found: modelgate serves no such model\"}"));
    }
    host.addRoutes(
        restDirect(
            RouteMatch.newBuilder()
                .setSafeRegex(regex(anyModel + "(:(predict|classify|regress)|/metadata)?")),
            405,
            "{\"error\":\"method not allowed: use POST for :predict, :classify and :regress, GET for"
                + " model status and /metadata\"}"));
    host.addRoutes(
        grpcDirect(
            grpcMethods(),
            5,
            "Servable not found: modelgate cannot tell which model this call is for: the gateway"
                + " filter could not read it (the filter is down, or the request is over"
                + gateway.map(g -> " extproc.maxRequestBytes, " + g.maxRequestBytes() + " bytes)").orElse(" its limit)")));
    host.addRoutes(grpcDirect(RouteMatch.newBuilder().setPrefix("/").addHeaders(grpcContentTypePrefix()), 12, NOT_SERVED));
    host.addRoutes(
        restDirect(
            RouteMatch.newBuilder().setPrefix("/"),
            404,
            "{\"error\":\"not a TF Serving inference path: POST"
                + " /v1/models/<name>[/versions/<n>|/labels/<label>]:predict|:classify|:regress, GET"
                + " /v1/models/<name>[/versions/<n>|/labels/<label>][/metadata]\"}"));
    return RouteConfiguration.newBuilder().setName(ROUTE_CONFIG_NAME).addVirtualHosts(host).build();
  }

  /**
   * The two kinds of TF Serving REST call, as its handler tells them apart (case-insensitive
   * path, {@code (\\d+)} versions).
   */
  private enum RestShape {
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
          .setSafeRegex(regex(servableRegex + suffix))
          .addHeaders(exactHeader(":method", method));
    }
  }

  /** A route of each {@link RestShape} for the servable whose path is {@code servableRegex}. */
  private void restRoutes(VirtualHost.Builder host, String servableRegex, String cluster, String servable) {
    for (RestShape shape : RestShape.values()) {
      host.addRoutes(restRoute(shape.match(servableRegex), cluster, servable));
    }
  }

  private static String versionOf(String model, long version) {
    return "version " + version + " of model '" + model + "'";
  }

  private static HeaderMatcher grpcContentTypePrefix() {
    return HeaderMatcher.newBuilder()
        .setName("content-type")
        .setStringMatch(StringMatcher.newBuilder().setPrefix("application/grpc").setIgnoreCase(true))
        .build();
  }

  /**
   * TF Serving's gRPC services with a gRPC protobuf content-type; the routes before have taken
   * every other method.
   */
  private static RouteMatch.Builder grpcMethods() {
    return RouteMatch.newBuilder()
        .setPrefix(GRPC_PREFIX)
        .addHeaders(
            HeaderMatcher.newBuilder()
                .setName("content-type")
                .setStringMatch(StringMatcher.newBuilder().setSafeRegex(regex(GRPC_CONTENT_TYPE))));
  }

  private static RouteMatch.Builder grpcMatch(String model) {
    return grpcMethods().addHeaders(exactHeader(RoutingHeaders.MODEL, model));
  }

  private Route restRoute(RouteMatch.Builder match, String cluster, String servable) {
    return Route.newBuilder()
        .setMatch(match)
        .setMetadata(LocalReplies.servable(servable))
        .setRoute(
            RouteAction.newBuilder()
                .setCluster(cluster)
                .setRetryPolicy(
                    retryPolicy("reset,connect-failure,refused-stream,retriable-status-codes")
                        // TF Serving's "Servable not found": the model left that replica.
                        .addRetriableStatusCodes(ServableNotFound.HTTP_STATUS)))
        .build();
  }

  private Route grpcRoute(RouteMatch.Builder match, String cluster, String servable) {
    return Route.newBuilder()
        .setMatch(match)
        .setMetadata(LocalReplies.servable(servable))
        .setRoute(
            RouteAction.newBuilder()
                .setCluster(cluster)
                .setRetryPolicy(
                    retryPolicy("reset,connect-failure,refused-stream,retriable-headers")
                        // NOT_FOUND, trailers-only, so the status is in the response headers.
                        .addRetriableHeaders(
                            exactHeader("grpc-status", Integer.toString(ServableNotFound.GRPC_STATUS)))))
        .build();
  }

  /**
   * Predict is idempotent, so a failed try goes to another replica. A hung replica answers
   * nothing: the per-try timeout moves the call on instead of waiting out the route timeout.
   */
  private RetryPolicy.Builder retryPolicy(String retryOn) {
    return RetryPolicy.newBuilder()
        .setRetryOn(retryOn)
        .setNumRetries(UInt32Value.of(settings.retries()))
        .setPerTryTimeout(durationOf(settings.perTryTimeout()))
        .addRetryHostPredicate(
            RetryPolicy.RetryHostPredicate.newBuilder()
                .setName("envoy.retry_host_predicates.previous_hosts")
                .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
        .setHostSelectionRetryMaxAttempts(3);
  }

  /** A trailers-only gRPC error answered by Envoy itself. */
  private static Route grpcDirect(RouteMatch.Builder match, int grpcStatus, String message) {
    return Route.newBuilder()
        .setMatch(match)
        .setDirectResponse(DirectResponseAction.newBuilder().setStatus(200))
        .addResponseHeadersToAdd(header("content-type", "application/grpc"))
        .addResponseHeadersToAdd(header("grpc-status", String.valueOf(grpcStatus)))
        .addResponseHeadersToAdd(header("grpc-message", message))
        .build();
  }

  /** A JSON error answered by Envoy itself (which would call a direct body text/plain). */
  private static Route restDirect(RouteMatch.Builder match, int status, String json) {
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

  private static HeaderMatcher exactHeader(String name, String value) {
    return HeaderMatcher.newBuilder()
        .setName(name)
        .setStringMatch(StringMatcher.newBuilder().setExact(value))
        .build();
  }

  private static RegexMatcher regex(String regex) {
    return RegexMatcher.newBuilder().setRegex(regex).build();
  }

  private Cluster cluster(String name, Upstream upstream) {
    Cluster.Builder cluster =
        Cluster.newBuilder()
            .setName(name)
            .setType(Cluster.DiscoveryType.EDS)
            .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(adsConfigSource()))
            .setConnectTimeout(durationOf(settings.connectTimeout()))
            .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
            .setCommonLbConfig(
                Cluster.CommonLbConfig.newBuilder()
                    // Below the panic threshold Envoy routes to unhealthy hosts too: an unloaded
                    // model must never receive traffic, so there is no panic mode.
                    .setHealthyPanicThreshold(Percent.newBuilder().setValue(0))
                    // The 1 s default merge window would delay health flips.
                    .setUpdateMergeWindow(com.google.protobuf.Duration.getDefaultInstance()));
    HttpProtocolOptions.ExplicitHttpConfig.Builder protocol =
        HttpProtocolOptions.ExplicitHttpConfig.newBuilder();
    if (upstream == Upstream.GRPC) {
      protocol.setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance());
    } else {
      protocol.setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance());
    }
    HttpProtocolOptions.Builder options = HttpProtocolOptions.newBuilder().setExplicitHttpConfig(protocol);
    gateway.filter(GatewayFilters::passive).ifPresent(g -> options.addAllHttpFilters(g.upstreamFilters()));
    cluster.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(options.build()));
    return cluster.build();
  }

  private static ClusterLoadAssignment assignment(
      String cluster,
      Upstream upstream,
      LbEndpoints endpoints,
      Function<String, HealthStatus> health) {
    ClusterLoadAssignment.Builder assignment = ClusterLoadAssignment.newBuilder().setClusterName(cluster);
    for (LbEndpoints.Zone zone : endpoints.zones()) {
      LocalityLbEndpoints.Builder locality = zone.locality();
      for (int i : zone.indexes()) {
        locality.addLbEndpoints(endpoints.get(i, upstream, health.apply(endpoints.replica(i).id())));
      }
      assignment.addEndpoints(locality);
    }
    return assignment.build();
  }

  private static ReplicaHealth replicaHealth(ModelHealth health, String replica) {
    ReplicaHealth found = health == null ? null : health.replicas().get(replica);
    if (found == null) {
      throw new IllegalStateException("health view has no entry for replica " + replica);
    }
    return found;
  }

  private static ConfigSource adsConfigSource() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  /** An Envoy socket address: EDS endpoints, the listener, the ext_proc cluster. */
  static Address socketAddress(String host, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
        .build();
  }

  static com.google.protobuf.Duration durationOf(java.time.Duration duration) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(duration.getSeconds())
        .setNanos(duration.getNano())
        .build();
  }
}
