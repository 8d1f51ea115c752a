package io.modelgate.app;

import static io.modelgate.probing.GrpcStatusPeer.version;
import static io.modelgate.probing.RestStatusPeer.statusBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.probing.GrpcStatusPeer;
import io.modelgate.probing.RestStatusPeer;
import io.modelgate.tfserving.api.ModelVersionStatus.State;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReadinessPipelineTest {
  private static final ProbeConfig PROBE =
      new ProbeConfig(
          Duration.ofMillis(100),
          Duration.ofMillis(300),
          2,
          2,
          Duration.ofSeconds(5),
          8,
          0.2,
          Duration.ofSeconds(30),
          Duration.ofMillis(100));

  private GrpcStatusPeer grpcPeer;
  private RestStatusPeer restPeer;
  private ReadinessPipeline pipeline;

  @BeforeEach
  void startPeers() throws Exception {
    grpcPeer = GrpcStatusPeer.start();
    restPeer = RestStatusPeer.start();
    ModelgateConfig config =
        new ModelgateConfig(
            List.of(grpcPeer.replica("r1"), restPeer.replica("r2")),
            List.of(ModelConfig.any("resnet"), ModelConfig.any("bert")),
            PROBE,
            ListenConfig.loopbackEphemeral());
    pipeline = ReadinessPipeline.create(config);
  }

  @AfterEach
  void stop() throws Exception {
    pipeline.close();
    grpcPeer.close();
    restPeer.close();
  }

  @Test
  void viewReachesEachReplicasStateForEachModel() {
    grpcPeer.reply("resnet", version(1, State.AVAILABLE));
    grpcPeer.reply("bert", version(1, State.LOADING));
    restPeer.reply("bert", 200, statusBody(2, "AVAILABLE"));
    // resnet is unknown on r2: 404

    pipeline.start();

    HealthViewSource view = pipeline.view();
    await().until(() -> summary(view.current()).equals(
        "resnet: r1=READY r2=NOT_READY | bert: r1=LOADING r2=READY"));
    assertThat(view.current().complete()).isTrue();
    assertThat(view.current().models().get("resnet").replicas().get("r2").reason())
        .isEqualTo("model not found: Could not find any versions of model resnet");
    assertThat(view.current().models().get("bert").replicas().get("r2").availableVersions())
        .containsExactly(2L);
    assertThat(pipeline.heartbeat().lastRoundStarted()).isPresent();
    assertThat(pipeline.heartbeat().interval()).isEqualTo(PROBE.interval());
  }

  @Test
  void changesOnAReplicaReachTheView() {
    grpcPeer.reply("resnet", version(1, State.AVAILABLE));
    grpcPeer.reply("bert", version(1, State.AVAILABLE));
    restPeer.reply("resnet", 200, statusBody(1, "AVAILABLE"));
    restPeer.reply("bert", 200, statusBody(1, "AVAILABLE"));
    pipeline.start();
    HealthViewSource view = pipeline.view();
    await().until(() -> summary(view.current()).equals(
        "resnet: r1=READY r2=READY | bert: r1=READY r2=READY"));

    grpcPeer.reply("bert", version(1, State.UNLOADING));
    restPeer.hang("resnet");

    await().until(() -> summary(view.current()).equals(
        "resnet: r1=READY r2=UNREACHABLE | bert: r1=DRAINING r2=READY"));
    assertThat(view.current().models().get("resnet").replicas().get("r2").reason())
        .isEqualTo("TIMEOUT: no answer within 300 ms");
    assertThat(view.current().models().get("bert").replicas().get("r1").reason())
        .isEqualTo("version 1 UNLOADING");
  }

  @Test
  void readyKeptThroughFailuresTurnsUnknownOnceStaleThenUnreachable() throws Exception {
    pipeline.close();
    ProbeConfig patient =
        new ProbeConfig(
            Duration.ofMillis(100),
            Duration.ofMillis(200),
            1,
            /* unhealthyThreshold= */ 1000,
            /* staleness= */ Duration.ofMillis(800),
            8,
            0,
            Duration.ofSeconds(30),
            Duration.ofMillis(100));
    pipeline =
        ReadinessPipeline.create(
            new ModelgateConfig(
                List.of(grpcPeer.replica("r1")),
                List.of(ModelConfig.any("resnet")),
                patient,
                ListenConfig.loopbackEphemeral()));
    grpcPeer.reply("resnet", version(1, State.AVAILABLE));
    List<String> states = new CopyOnWriteArrayList<>();
    pipeline.view().subscribe(view -> states.add(
        view.models().get("resnet").replicas().get("r1").state() + ": "
            + view.models().get("resnet").replicas().get("r1").reason()));
    pipeline.start();
    await().until(() -> states.contains("READY: version 1 AVAILABLE"));

    grpcPeer.hang("resnet");

    await().until(() -> states.get(states.size() - 1).startsWith("UNREACHABLE"));
    assertThat(states)
        .containsSubsequence(
            "READY: version 1 AVAILABLE",
            "UNKNOWN: no answer for 800ms",
            "UNREACHABLE: TIMEOUT: no answer within 200 ms");
  }

  @Test
  void viewIsIncompleteAndKnowsNoReplicaBeforeStart() {
    HealthView view = pipeline.view().current();

    assertThat(view.complete()).isFalse();
    assertThat(view.replicas()).isEmpty();
    assertThat(view.models().keySet()).containsExactly("resnet", "bert");
  }

  private static String summary(HealthView view) {
    StringBuilder out = new StringBuilder();
    view.models().forEach((model, health) -> {
      out.append(out.length() == 0 ? "" : " | ").append(model).append(":");
      health.replicas()
          .forEach((id, replica) -> out.append(' ').append(id).append('=').append(replica.state()));
    });
    return out.toString();
  }
}
