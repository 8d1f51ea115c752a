package io.modelgate.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.grpcserver.LogCapture;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.view.ReplicaState;
import io.modelgate.xds.RoutingRig;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * A replica whose host does not resolve, probed every 200 ms for 3 s: the log says so once, when
 * the replica turns UNREACHABLE, with the reason, and never with a stack trace. grpc-java's channel
 * used to log a warning with a ~29-line stack trace on every resolution attempt.
 */
class UnresolvableReplicaLogTest {
  private static final String GHOST_HOST = "no-such-host.invalid";

  @Test
  void anUnresolvableReplicaHostIsLoggedOncePerStateChangeWithoutAStackTrace() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      ModelgateServer modelgate =
          ModelgateServer.start(
              new ModelgateConfig(
                  List.of(new ReplicaConfig("ghost", GHOST_HOST, 8500, 8501, Protocol.GRPC)),
                  List.of(ModelConfig.any("m")),
                  RoutingRig.FAST_PROBES,
                  ListenConfig.loopbackEphemeral(),
                  XdsConfig.defaults(),
                  ExtProcConfig.disabled()),
              ModelgateServer.Mode.SIDECAR);
      try {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> {
              ReplicaHealth ghost = modelgate.view().current().models().get("m").replicas().get("ghost");
              return ghost != null && ghost.state() == ReplicaState.UNREACHABLE;
            });
        Thread.sleep(3_000);
      } finally {
        modelgate.close();
      }

      // One line each: the source (the name does not resolve), the set (the replica joined),
      // readiness (its state).
      assertThat(logs.linesWith(GHOST_HOST))
          .hasSize(3)
          .anySatisfy(line -> assertThat(line).contains("replica host " + GHOST_HOST + " does not resolve"))
          .anySatisfy(line -> assertThat(line).contains("replicas joined (1): ghost at " + GHOST_HOST + " (unresolved)"))
          .anySatisfy(line -> assertThat(line).contains("replica=ghost UNKNOWN -> UNREACHABLE: CONNECTION_FAILED: Unable to resolve host " + GHOST_HOST));
      assertThat(logs.lines()).noneMatch(line -> line.startsWith("\tat ") || line.startsWith("Caused by"));
      assertThat(logs.records(Level.WARNING)).isEmpty();
    }
  }
}
