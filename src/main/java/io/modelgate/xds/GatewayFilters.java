package io.modelgate.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.routing.ClusterNames;
import io.modelgate.routing.HoldTimeouts;
import io.modelgate.routing.ObserverAttributes;
import io.modelgate.routing.ObserverAuth;
import io.modelgate.routing.ProcessingModes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The Envoy side of modelgate's ext_proc service: the gateway filter in the listener, the
 * cluster that reaches the service, and the passive observer on each model cluster.
 *
 * <p>The gateway filter runs before the router with {@link ProcessingModes#FILTER} and {@code
 * allow_mode_override}, so it sees every request's headers and, for gRPC, the first message.
 * The passive observer is an upstream filter, so it sees the answer of every try (a retried
 * "Servable not found" included, which a downstream filter never sees) and, in observability
 * mode, costs the request no wait; it sends this process's observer token ({@link ObserverAuth})
 * as gRPC initial metadata, so no one else can pose as it. Stateless.
 */
final class GatewayFilters {
  private static final String EXT_PROC = "envoy.filters.http.ext_proc";

  /**
   * Long enough for the last message of a finished try to be sent before its stream closes (at
   * 1 ms Envoy sometimes dropped it), short against the per-try timeout.
   */
  private static final Duration OBSERVER_CLOSE_DELAY = Duration.ofMillis(100);

  private final ExtProcConfig config;
  private final InetSocketAddress service;

  /**
   * @param service where Envoy reaches modelgate's ext_proc service (may be unresolved: a name
   *     Envoy resolves)
   */
  GatewayFilters(ExtProcConfig config, InetSocketAddress service) {
    this.config = config;
    this.service = service;
  }

  HttpFilter gatewayFilter() {
    ExternalProcessor.Builder filter =
        ExternalProcessor.newBuilder()
            .setGrpcService(grpcService())
            .setFailureModeAllow(config.failureModeAllow())
            .setMessageTimeout(EnvoyValues.durationOf(config.messageTimeout()))
            .setAllowModeOverride(true)
            .setProcessingMode(ProcessingModes.FILTER)
            .setStatPrefix("modelgate_gateway");
    if (!config.hold().isZero()) {
      // A held request's answer may come this late: the service extends the wait per request.
      Duration longest = HoldTimeouts.messageTimeout(config.hold());
      filter.setMaxMessageTimeout(
          EnvoyValues.durationOf(longest.compareTo(config.messageTimeout()) > 0 ? longest : config.messageTimeout()));
    }
    return HttpFilter.newBuilder().setName(EXT_PROC).setTypedConfig(Any.pack(filter.build())).build();
  }

  /**
   * The upstream filter chain of a model cluster: the passive observer, then the codec (which an
   * upstream chain must end with).
   */
  List<HttpFilter> upstreamFilters() {
    ExternalProcessor observer =
        ExternalProcessor.newBuilder()
            .setGrpcService(
                grpcService().toBuilder()
                    // Proves to modelgate that the stream is this Envoy's observer.
                    .addInitialMetadata(
                        HeaderValue.newBuilder().setKey(ObserverAuth.HEADER).setValue(ObserverAuth.token())))
            .setFailureModeAllow(true)
            .setObservabilityMode(true)
            .setProcessingMode(ProcessingModes.OBSERVER)
            .addAllRequestAttributes(ObserverAttributes.ALL)
            // A try that times out ends its observer stream this long after the per-try
            // timeout; Envoy's default, 5 s, would make the signal too late to matter.
            .setDeferredCloseTimeout(EnvoyValues.durationOf(OBSERVER_CLOSE_DELAY))
            .setStatPrefix("modelgate_passive")
            .build();
    return List.of(
        HttpFilter.newBuilder().setName(EXT_PROC).setTypedConfig(Any.pack(observer)).build(),
        HttpFilter.newBuilder()
            .setName("envoy.filters.http.upstream_codec")
            .setTypedConfig(Any.pack(UpstreamCodec.getDefaultInstance()))
            .build());
  }

  /** The listener's buffer limit: the largest gRPC request Envoy buffers for the filter. */
  int maxRequestBytes() {
    return config.maxRequestBytes();
  }

  boolean passive() {
    return config.passive();
  }

  /** HTTP/2 to modelgate; STRICT_DNS, so a name as in Compose works as well as an IP. */
  Cluster serviceCluster(com.google.protobuf.Duration connectTimeout) {
    return Cluster.newBuilder()
        .setName(ClusterNames.EXTPROC)
        .setType(Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(connectTimeout)
        .putTypedExtensionProtocolOptions(
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            Any.pack(
                HttpProtocolOptions.newBuilder()
                    .setExplicitHttpConfig(
                        HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                    .build()))
        .setLoadAssignment(
            ClusterLoadAssignment.newBuilder()
                .setClusterName(ClusterNames.EXTPROC)
                .addEndpoints(
                    LocalityLbEndpoints.newBuilder()
                        .addLbEndpoints(
                            LbEndpoint.newBuilder()
                                .setEndpoint(
                                    Endpoint.newBuilder()
                                        .setAddress(
                                            EnvoyValues.socketAddress(
                                                service.getHostString(), service.getPort()))))))
        .build();
  }

  private GrpcService grpcService() {
    return GrpcService.newBuilder()
        .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(ClusterNames.EXTPROC))
        .build();
  }
}
