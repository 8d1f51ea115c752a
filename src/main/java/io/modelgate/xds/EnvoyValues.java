package io.modelgate.xds;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;

/**
 * The Envoy protobuf values that several resource builders write the same way: socket addresses,
 * durations, and the ADS config source through which clusters take their endpoints and the
 * listener its routes. Stateless.
 */
final class EnvoyValues {
  private EnvoyValues() {}

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

  /** Resources of another type are delivered on the same ADS stream, in xDS v3. */
  static ConfigSource adsConfigSource() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }
}
