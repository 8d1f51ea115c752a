package io.modelgate.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.modelgate.config.XdsConfig;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The LDS resource: one listener on {@code xds.envoyListener} whose HTTP connection manager takes
 * its routes over ADS ({@link RouteBuilder#ROUTE_CONFIG_NAME}), runs the gateway filter before
 * the router when it is on, and answers in modelgate's words when Envoy answers itself ({@link
 * LocalReplies}). It depends on the configuration only: built once. Stateless.
 */
final class ListenerBuilder {
  static final String LISTENER_NAME = "modelgate";

  private ListenerBuilder() {}

  static Listener listener(XdsConfig settings, Optional<GatewayFilters> gateway) {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(LISTENER_NAME)
            .setCodecType(HttpConnectionManager.CodecType.AUTO)
            .setLocalReplyConfig(
                LocalReplies.config(
                    gateway.map(g -> OptionalInt.of(g.maxRequestBytes())).orElse(OptionalInt.empty())))
            .setRds(
                Rds.newBuilder()
                    .setRouteConfigName(RouteBuilder.ROUTE_CONFIG_NAME)
                    .setConfigSource(EnvoyValues.adsConfigSource()))
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
        .setAddress(
            EnvoyValues.socketAddress(
                settings.envoyListener().getHostString(), settings.envoyListener().getPort()))
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
}
