package io.modelgate.bench;

import io.modelgate.view.HealthViews;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.demo.EnvoyLauncher;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every baseline configuration the comparison and chaos benchmarks run is one Envoy accepts. */
class BaselineBootstrapTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @ParameterizedTest
  @EnumSource(BaselineBootstrap.HealthChecking.class)
  void envoyAcceptsTheBaseline(BaselineBootstrap.HealthChecking checking, @TempDir Path dir) throws Exception {
    String json = json(checking, BaselineBootstrap.Tuning.TYPICAL);
    assertThat(json).contains("\"modelgate/a/v2/rest\"");
    assertValid(json, dir);
  }

  @Test
  void envoyAcceptsTheChaosBaselineTunedToCheckForAvailableAndRetryLikeModelgate(@TempDir Path dir)
      throws Exception {
    String json = json(BaselineBootstrap.HealthChecking.REST_STATUS_PATH, ChaosSetups.TUNED);
    assertThat(json)
        .contains("\"retryOn\": \"5xx,reset,connect-failure,refused-stream,retriable-status-codes\"")
        .contains("\"retryOn\": \"5xx,reset,connect-failure,refused-stream,retriable-headers\"")
        .contains("\"interval\": \"0.500s\"")
        // "AVAILABLE", hex-encoded as Envoy's payload text wants it
        .contains("\"text\": \"415641494c41424c45\"");
    assertValid(json, dir);
  }

  private static String json(BaselineBootstrap.HealthChecking checking, BaselineBootstrap.Tuning tuning) {
    ModelgateConfig config =
        new ModelgateConfig(
            List.of(
                new ReplicaConfig("r0", "127.0.0.1", 18500, 18501, Protocol.GRPC),
                new ReplicaConfig("r1", "127.0.0.1", 18510, 18511, Protocol.GRPC)),
            List.of(ModelConfig.any("a"), ModelConfig.any("b")),
            ProbeConfig.defaults(),
            ListenConfig.loopbackEphemeral(),
            new XdsConfig(
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 10000),
                Duration.ofSeconds(1),
                2));
    ReplicaHealth ready = new ReplicaHealth("r0", ReplicaState.READY, new TreeSet<>(Set.of(1L, 2L)), "", T0);
    ReplicaHealth other = new ReplicaHealth("r1", ReplicaState.READY, new TreeSet<>(Set.of(1L)), "", T0);
    HealthView view =
        HealthViews.ofConfigured(
            1,
            T0,
            true,
            Map.of(
                "a", new ModelHealth("a", Map.of("r0", ready, "r1", other)),
                "b", new ModelHealth("b", Map.of("r0", ready, "r1", other))), config.replicas());
    return BaselineBootstrap.json(
        config,
        view,
        checking,
        Map.of("r0", new BaselineBootstrap.SidecarPorts(19081, 19080), "r1", new BaselineBootstrap.SidecarPorts(19091, 19090)),
        19901,
        tuning);
  }

  private static void assertValid(String json, Path dir) throws Exception {
    Path file = dir.resolve("baseline.json");
    Files.writeString(file, json);

    Path envoy = EnvoyLauncher.findBinary(Optional.empty(), System.getenv().getOrDefault("PATH", ""));
    Process validate =
        new ProcessBuilder(envoy.toString(), "--mode", "validate", "-c", file.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(validate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(validate.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(validate.exitValue()).as(output).isZero();
  }
}
