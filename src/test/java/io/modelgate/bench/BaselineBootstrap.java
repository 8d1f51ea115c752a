package io.modelgate.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Admin;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.view.HealthView;
import io.modelgate.xds.EnvoyResources;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The static Envoy configuration of a baseline: the listener, routes (local replies included) and
 * cluster settings modelgate generates, but with STATIC endpoints and Envoy's own active health
 * checking instead of modelgate's EDS health, and the retry policy an operator typically writes
 * ({@code 5xx,reset,connect-failure,refused-stream}, 2 retries) instead of modelgate's (which also
 * retries TF Serving's "Servable not found" on another host and bounds each try), unless a
 * {@link Tuning} asks for the best an operator can do. Stateless.
 */
final class BaselineBootstrap {
  /** How the baseline Envoy decides which endpoints are healthy. */
  enum HealthChecking {
    /** None: every endpoint always routed (the latency baseline). */
    NONE,
    /** HTTP GET of the REST status path of the cluster's model (200 whatever the state). */
    REST_STATUS_PATH,
    /**
     * A modelgate sidecar beside each replica: grpc.health.v1 Check of the model for gRPC
     * clusters; its HTTP twin {@code /readyz/<model>} for REST clusters, since Envoy runs gRPC
     * health checks only on HTTP/2 clusters and TF Serving's REST port is HTTP/1.1.
     */
    SIDECAR
  }

  /** Where a replica's sidecar answers health checks. */
  record SidecarPorts(int grpc, int http) {}

  /**
   * How hard the operator tuned the checks and retries.
   *
   * @param bodyMustContain text the check's answer must contain to pass (Envoy's {@code receive}),
   *     e.g. {@code AVAILABLE} in TF Serving's model status; empty: the status code alone decides
   * @param generatedRetries keep the retry policy modelgate generates (per-try timeout, "Servable
   *     not found" retried on another host) and add {@code 5xx}, instead of the typical policy
   */
  record Tuning(
      java.time.Duration interval,
      java.time.Duration timeout,
      int unhealthyThreshold,
      int healthyThreshold,
      String bodyMustContain,
      boolean generatedRetries) {
    /** What an operator typically writes: 1 s, 500 ms timeout, 2/2, status code, 2 plain retries. */
    static final Tuning TYPICAL =
        new Tuning(java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(500), 2, 2, "", false);
  }

  private BaselineBootstrap() {}

  /**
   * @param view a complete view naming every version the scenario uses, so the version routes and
   *     clusters exist from the start (a static Envoy cannot grow them later)
   * @param sidecars replica id to its sidecar's ports, for {@link HealthChecking#SIDECAR}
   */
  static String json(
      ModelgateConfig config,
      HealthView view,
      HealthChecking checking,
      Map<String, SidecarPorts> sidecars,
      int adminPort) {
    return json(config, view, checking, sidecars, adminPort, Tuning.TYPICAL);
  }

  static String json(
      ModelgateConfig config,
      HealthView view,
      HealthChecking checking,
      Map<String, SidecarPorts> sidecars,
      int adminPort,
      Tuning tuning) {
    EnvoyResources resources = new EnvoyResources(config);
    Map<String, ClusterLoadAssignment> assignments = new HashMap<>();
    resources.loadAssignments(view).forEach(a -> assignments.put(a.getClusterName(), a));
    Bootstrap.Builder bootstrap =
        Bootstrap.newBuilder()
            .setNode(Node.newBuilder().setId("baseline").setCluster("baseline"))
            .setAdmin(Admin.newBuilder().setAddress(address("127.0.0.1", adminPort)));
    for (Listener listener : resources.listeners()) {
      bootstrap.getStaticResourcesBuilder().addListeners(withInlineRoutes(listener, resources, view, tuning));
    }
    for (Cluster cluster : resources.clusters(view)) {
      bootstrap
          .getStaticResourcesBuilder()
          .addClusters(
              staticCluster(
                  cluster, assignments.get(cluster.getName()), config, checking, sidecars, tuning));
    }
    try {
      return JsonFormat.printer().usingTypeRegistry(TYPES).print(bootstrap);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a generated resource has an unregistered Any type", e);
    }
  }

  private static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(Router.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .add(PreviousHostsPredicate.getDescriptor())
          .build();

  private static Listener withInlineRoutes(
      Listener listener, EnvoyResources resources, HealthView view, Tuning tuning) {
    Listener.Builder builder = listener.toBuilder();
    for (var chain : builder.getFilterChainsBuilderList()) {
      for (Filter.Builder filter : chain.getFiltersBuilderList()) {
        try {
          HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
          filter.setTypedConfig(
              Any.pack(
                  hcm.toBuilder().clearRds().setRouteConfig(retries(resources.routes(view), tuning)).build()));
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("the generated listener has no HTTP connection manager", e);
        }
      }
    }
    return builder.build();
  }

  private static RouteConfiguration retries(RouteConfiguration routes, Tuning tuning) {
    RouteConfiguration.Builder builder = routes.toBuilder();
    for (VirtualHost.Builder host : builder.getVirtualHostsBuilderList()) {
      for (Route.Builder route : host.getRoutesBuilderList()) {
        if (route.hasRoute() && tuning.generatedRetries()) {
          RetryPolicy.Builder generated = route.getRouteBuilder().getRetryPolicyBuilder();
          generated.setRetryOn("5xx," + generated.getRetryOn());
        } else if (route.hasRoute()) {
          route
              .getRouteBuilder()
              .setRetryPolicy(
                  RetryPolicy.newBuilder()
                      .setRetryOn("5xx,reset,connect-failure,refused-stream")
                      .setNumRetries(UInt32Value.of(2)));
        }
      }
    }
    return builder.build();
  }

  private static Cluster staticCluster(
      Cluster generated,
      ClusterLoadAssignment assignment,
      ModelgateConfig config,
      HealthChecking checking,
      Map<String, SidecarPorts> sidecars,
      Tuning tuning) {
    // modelgate/<model>/[v<n>/]<grpc|rest>
    String[] parts = generated.getName().split("/");
    String model = parts[1];
    String version = parts.length == 4 ? parts[2].substring(1) : null;
    boolean grpc = generated.getName().endsWith("/grpc");
    Cluster.Builder cluster =
        generated.toBuilder()
            .setType(Cluster.DiscoveryType.STATIC)
            .clearEdsClusterConfig()
            .setLoadAssignment(staticEndpoints(assignment, config, checking, sidecars, grpc));
    // Per-version clusters get no checks: the benchmark's traffic does not use them, and checking
    // them would multiply the baseline's probe load by a design choice of modelgate's.
    switch (version == null ? checking : HealthChecking.NONE) {
      case NONE -> {}
      case REST_STATUS_PATH ->
          cluster.addHealthChecks(timing(tuning).setHttpHealthCheck(statusPath(model, tuning)));
      case SIDECAR ->
          cluster.addHealthChecks(
              grpc
                  ? timing(tuning).setGrpcHealthCheck(HealthCheck.GrpcHealthCheck.newBuilder().setServiceName(model))
                  : timing(tuning).setHttpHealthCheck(HealthCheck.HttpHealthCheck.newBuilder().setPath("/readyz/" + model)));
    }
    return cluster.build();
  }

  private static HealthCheck.HttpHealthCheck.Builder statusPath(String model, Tuning tuning) {
    HealthCheck.HttpHealthCheck.Builder check = HealthCheck.HttpHealthCheck.newBuilder().setPath("/v1/models/" + model);
    if (!tuning.bodyMustContain().isEmpty()) {
      check.addReceive(
          HealthCheck.Payload.newBuilder()
              .setText(HexFormat.of().formatHex(tuning.bodyMustContain().getBytes(StandardCharsets.UTF_8))));
    }
    return check;
  }

  /** The tuning's interval, timeout and thresholds, with checks from the start (not every 60 s until traffic). */
  private static HealthCheck.Builder timing(Tuning tuning) {
    com.google.protobuf.Duration interval = duration(tuning.interval());
    return HealthCheck.newBuilder()
        .setTimeout(duration(tuning.timeout()))
        .setInterval(interval)
        .setNoTrafficInterval(interval)
        .setUnhealthyThreshold(UInt32Value.of(tuning.unhealthyThreshold()))
        .setHealthyThreshold(UInt32Value.of(tuning.healthyThreshold()));
  }

  private static ClusterLoadAssignment staticEndpoints(
      ClusterLoadAssignment generated,
      ModelgateConfig config,
      HealthChecking checking,
      Map<String, SidecarPorts> sidecars,
      boolean grpc) {
    Map<String, ReplicaConfig> replicas = new HashMap<>();
    config.replicas().forEach(r -> replicas.put(r.id(), r));
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    for (LocalityLbEndpoints generatedLocality : generated.getEndpointsList()) {
      for (LbEndpoint endpoint : generatedLocality.getLbEndpointsList()) {
        ReplicaConfig replica = replicas.get(endpoint.getEndpoint().getHostname());
        Endpoint.Builder target = endpoint.getEndpoint().toBuilder();
        switch (checking) {
          case NONE -> {}
          case REST_STATUS_PATH ->
              target.setHealthCheckConfig(
                  Endpoint.HealthCheckConfig.newBuilder().setPortValue(replica.restPort()));
          case SIDECAR -> {
            SidecarPorts ports = sidecars.get(replica.id());
            target.setHealthCheckConfig(
                Endpoint.HealthCheckConfig.newBuilder().setPortValue(grpc ? ports.grpc() : ports.http()));
          }
        }
        // Health comes from Envoy's checks alone; EDS health as modelgate set it is dropped.
        locality.addLbEndpoints(
            endpoint.toBuilder().setEndpoint(target).clearHealthStatus());
      }
    }
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(generated.getClusterName())
        .addEndpoints(locality)
        .build();
  }

  private static Address address(String host, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
        .build();
  }

  private static com.google.protobuf.Duration duration(java.time.Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
