package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.grpcserver.GrpcServerPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shipped Envoy bootstraps ping their xDS connection every 5 s; the xDS server must accept
 * that for good. grpc-java's default policy (one ping per 5 minutes) answered the third ping with
 * GOAWAY {@code too_many_pings}, and Envoy reconnected every ~17 s.
 */
class XdsKeepaliveTest {
  private static final List<Path> SHIPPED_BOOTSTRAPS =
      List.of(Path.of("envoy/bootstrap-local.yaml"), Path.of("envoy/bootstrap-compose.yaml"));

  @Test
  void everyShippedBootstrapPingsTheXdsServerNoMoreOftenThanItPermits() throws IOException {
    for (Path bootstrap : SHIPPED_BOOTSTRAPS) {
      // A second of margin: Envoy only adds jitter to the interval, but arrival times vary.
      assertThat(keepaliveInterval(bootstrap))
          .as(bootstrap.toString())
          .isGreaterThanOrEqualTo(Duration.ofSeconds(GrpcServerPolicy.PERMIT_KEEPALIVE_SECONDS + 1));
    }
  }

  @Test
  void envoyWithTheShippedBootstrapKeepsOneXdsConnectionPastFourKeepaliveIntervals() throws Exception {
    Duration interval = keepaliveInterval(SHIPPED_BOOTSTRAPS.get(0));
    int xdsPort = EnvoyProcess.freePort();
    ModelgateConfig config =
        new ModelgateConfig(
            List.of(new ReplicaConfig("a", "127.0.0.1", EnvoyProcess.freePort(), EnvoyProcess.freePort(), Protocol.GRPC)),
            List.of(ModelConfig.any("m")),
            ProbeConfig.defaults(),
            ListenConfig.loopbackEphemeral(),
            new XdsConfig(
                new InetSocketAddress("127.0.0.1", xdsPort),
                new InetSocketAddress("127.0.0.1", EnvoyProcess.freePort()),
                Duration.ofSeconds(1),
                2));
    try (XdsServer server = new XdsServer(config.xds().listen());
        XdsSnapshotPublisher publisher = new XdsSnapshotPublisher(new EnvoyResources(config), server, new FixedView());
        EnvoyProcess envoy = EnvoyProcess.startWithAds(xdsPort)) {
      await().atMost(Duration.ofSeconds(20)).until(envoy::ready);

      // Nothing changes meanwhile, so only pings cross the idle connection: without them
      // permitted, the third is answered with GOAWAY (at about 3 intervals) and Envoy reconnects.
      Thread.sleep(interval.multipliedBy(4).toMillis());

      assertThat(stat(envoy, "cluster.xds_cluster.upstream_cx_total")).isEqualTo(1);
      assertThat(stat(envoy, "cluster.xds_cluster.upstream_cx_destroy_remote")).isZero();
      assertThat(server.openStreams()).isEqualTo(1);
    }
  }

  private static Duration keepaliveInterval(Path bootstrap) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(bootstrap.toFile());
    for (JsonNode cluster : root.path("static_resources").path("clusters")) {
      if (cluster.path("name").asText().equals("xds_cluster")) {
        String interval =
            cluster
                .path("typed_extension_protocol_options")
                .path("envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                .path("explicit_http_config")
                .path("http2_protocol_options")
                .path("connection_keepalive")
                .path("interval")
                .asText();
        assertThat(interval).as("%s: xds_cluster keepalive interval", bootstrap).matches("\\d+s");
        return Duration.ofSeconds(Long.parseLong(interval.substring(0, interval.length() - 1)));
      }
    }
    throw new AssertionError(bootstrap + " has no xds_cluster");
  }

  private static long stat(EnvoyProcess envoy, String name) throws Exception {
    Matcher matcher =
        Pattern.compile("(?m)^" + Pattern.quote(name) + ": (\\d+)$").matcher(envoy.admin("/stats?filter=" + name));
    assertThat(matcher.find()).as("Envoy stat %s", name).isTrue();
    return Long.parseLong(matcher.group(1));
  }

}
