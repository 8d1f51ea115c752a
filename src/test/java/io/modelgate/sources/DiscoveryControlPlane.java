package io.modelgate.sources;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.SourceConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.xds.RoutingRig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** The control plane of the discovery tests: one model, fast probes, replicas only from a source. */
final class DiscoveryControlPlane {
  private DiscoveryControlPlane() {}

  /** Serves ADS on {@code xdsPort} and gives Envoy a listener on {@code listenerPort}. */
  static ModelgateServer start(String model, int xdsPort, int listenerPort, SourceConfig source) {
    return ModelgateServer.start(
        new ModelgateConfig(
            List.of(),
            List.of(ModelConfig.any(model)),
            RoutingRig.FAST_PROBES,
            ListenConfig.loopbackEphemeral(),
            new XdsConfig(
                new InetSocketAddress("127.0.0.1", xdsPort),
                new InetSocketAddress("127.0.0.1", listenerPort),
                Duration.ofMillis(250),
                2),
            ExtProcConfig.disabled(),
            List.of(source)),
        ModelgateServer.Mode.CONTROL_PLANE);
  }
}
