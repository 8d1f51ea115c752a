package io.modelgate.extproc;

import io.modelgate.view.HealthViews;
import static io.modelgate.extproc.Views.complete;
import static io.modelgate.extproc.Views.model;
import static io.modelgate.extproc.Views.replica;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.config.ModelConfig;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.ReplicaHealth;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.TreeSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RoutingPolicyTest {
  private static final ModelConfig RESNET =
      new ModelConfig("resnet", OptionalLong.empty(), Optional.empty(), Map.of("stable", 1L, "canary", 2L));
  private static final List<ModelConfig> CATALOG = List.of(RESNET, ModelConfig.any("bert"));
  private final RoutingPolicy policy = new RoutingPolicy();

  private static final HealthView READY_V1 =
      complete(
          model(
              "resnet",
              replica("r0", ReplicaState.READY, "version 1 AVAILABLE", 1L),
              replica("r1", ReplicaState.LOADING, "version 2 LOADING")),
          model("bert", replica("r0", ReplicaState.READY, "version 1 AVAILABLE", 1L)));

  @Test
  void unknownModelIsNotFoundNamingTheKnownOnes() {
    Decision decision = decide(ModelRequest.latest("gpt", ApiProtocol.REST), READY_V1);
    assertThat(decision)
        .isEqualTo(
            new Decision.Reject(
                DecisionKind.UNKNOWN_MODEL,
                ApiProtocol.REST,
                "model 'gpt' is not served here (known: resnet, bert)"));
    Decision.Reject reject = (Decision.Reject) decision;
    assertThat(reject.httpStatus()).isEqualTo(404);
    assertThat(reject.grpcStatus()).isEqualTo(5);
  }

  @Test
  void readyModelIsRoutedWithoutVersionWhenNoneWasAsked() {
    assertThat(decide(ModelRequest.latest("resnet", ApiProtocol.GRPC), READY_V1))
        .isEqualTo(new Decision.Route("resnet", OptionalLong.empty()));
  }

  @Test
  void versionIsRoutedOnlyWhereAReadyReplicaHasItAvailable() {
    assertThat(decide(ModelRequest.version("resnet", 1, ApiProtocol.GRPC), READY_V1))
        .isEqualTo(new Decision.Route("resnet", OptionalLong.of(1)));
    Decision.Reject reject =
        (Decision.Reject) decide(ModelRequest.version("resnet", 2, ApiProtocol.GRPC), READY_V1);
    assertThat(reject.kind()).isEqualTo(DecisionKind.NOT_LOADED);
    assertThat(reject.message())
        .isEqualTo(
            "model 'resnet' version 2 is not loaded on any replica"
                + " (1 serving other versions, 1 loading)");
    assertThat(reject.grpcStatus()).isEqualTo(14);
    assertThat(reject.httpStatus()).isEqualTo(503);
  }

  @Test
  void labelResolvesThroughTheModelsLabels() {
    assertThat(decide(ModelRequest.label("resnet", "stable", ApiProtocol.REST), READY_V1))
        .isEqualTo(new Decision.Route("resnet", OptionalLong.of(1)));
    Decision.Reject canary =
        (Decision.Reject) decide(ModelRequest.label("resnet", "canary", ApiProtocol.REST), READY_V1);
    assertThat(canary.message())
        .startsWith("model 'resnet' label 'canary' (version 2) is not loaded on any replica");
  }

  @Test
  void unknownLabelIsInvalidArgumentNamingTheKnownOnes() {
    Decision.Reject reject =
        (Decision.Reject) decide(ModelRequest.label("resnet", "beta", ApiProtocol.GRPC), READY_V1);
    assertThat(reject.kind()).isEqualTo(DecisionKind.UNKNOWN_LABEL);
    assertThat(reject.grpcStatus()).isEqualTo(3);
    assertThat(reject.message())
        .isEqualTo("model 'resnet' has no version label 'beta' (known: canary, stable)");
    Decision.Reject none =
        (Decision.Reject) decide(ModelRequest.label("bert", "x", ApiProtocol.GRPC), READY_V1);
    assertThat(none.message()).isEqualTo("model 'bert' has no version label 'x' (known: none)");
  }

  @Test
  void nowhereReadyCountsReplicasByStateAndQuotesTheActionableReasons() {
    HealthView view =
        complete(
            model(
                "resnet",
                replica("r0", ReplicaState.LOADING, "version 3 LOADING"),
                replica("r1", ReplicaState.NOT_READY, "version 3 failed to load: out of memory"),
                replica("r2", ReplicaState.LOADING, "version 3 START"),
                replica("r3", ReplicaState.UNREACHABLE, "connection refused"),
                replica("r4", ReplicaState.NOT_READY, "version 3 unloaded (END)"),
                replica("r5", ReplicaState.DRAINING, "version 3 UNLOADING"),
                replica("r6", ReplicaState.UNKNOWN, "no answer within the staleness bound")));
    Decision.Reject reject =
        (Decision.Reject) decide(ModelRequest.version("resnet", 3, ApiProtocol.REST), view);
    assertThat(reject.message())
        .isEqualTo(
            "model 'resnet' version 3 is not loaded on any replica (2 loading, 1 draining,"
                + " 2 failed: version 3 failed to load: out of memory,"
                + " 1 unreachable: connection refused,"
                + " 1 unknown: no answer within the staleness bound)");
  }

  @Test
  void modelWithoutReplicasIsNotLoaded() {
    Decision.Reject reject =
        (Decision.Reject)
            decide(ModelRequest.latest("bert", ApiProtocol.GRPC), complete(model("bert")));
    assertThat(reject.message())
        .isEqualTo("model 'bert' is not loaded on any replica (no replicas configured)");
  }

  @Test
  void incompleteViewRoutesKnownModelsButStillRejectsUnknownOnes() {
    HealthView starting =
        Views.view(false, model("resnet", replica("r0", ReplicaState.UNKNOWN, "not probed yet")));
    assertThat(decide(ModelRequest.version("resnet", 9, ApiProtocol.GRPC), starting))
        .isEqualTo(new Decision.Route("resnet", OptionalLong.of(9)));
    assertThat(decide(ModelRequest.latest("gpt", ApiProtocol.GRPC), starting).kind())
        .isEqualTo(DecisionKind.UNKNOWN_MODEL);
  }

  @Test
  void withAHoldARequestWaitsForAReplicaThatIsLoadingOrNotYetProbed() {
    RoutingPolicy holding = holdingPolicy();
    for (ReplicaState state : List.of(ReplicaState.LOADING, ReplicaState.UNKNOWN)) {
      HealthView view = complete(model("bert", replica("r0", state, "on its way")));
      Decision decision = holding.decide(ModelRequest.latest("bert", ApiProtocol.REST), HealthViews.withCatalog(view, CATALOG));
      assertThat(decision).as(state.name()).isInstanceOf(Decision.Hold.class);
      Decision.Hold hold = (Decision.Hold) decision;
      assertThat(hold.route()).isEqualTo(new Decision.Route("bert", OptionalLong.empty()));
      assertThat(hold.meanwhile().kind()).isEqualTo(DecisionKind.NOT_LOADED);
      assertThat(hold.meanwhile().protocol()).isEqualTo(ApiProtocol.REST);
    }
  }

  @Test
  void aReplicaUnreachableForLongerThanTheHoldIsNotWaitedFor() {
    RoutingPolicy holding = holdingPolicy();
    HealthView recent = complete(model("bert", unreachableSince("r0", Views.T0.plusSeconds(7))));
    HealthView old = complete(model("bert", unreachableSince("r0", Views.T0.plusSeconds(4))));
    assertThat(holding.decide(ModelRequest.latest("bert", ApiProtocol.GRPC), HealthViews.withCatalog(recent, CATALOG)))
        .isInstanceOf(Decision.Hold.class);
    assertThat(holding.decide(ModelRequest.latest("bert", ApiProtocol.GRPC), HealthViews.withCatalog(old, CATALOG)))
        .isInstanceOf(Decision.Reject.class);
  }

  @Test
  void aModelFailedDrainingOrAbsentEverywhereFailsAtOnceEvenWithAHold() {
    RoutingPolicy holding = holdingPolicy();
    for (ReplicaState state : List.of(ReplicaState.NOT_READY, ReplicaState.DRAINING)) {
      HealthView view = complete(model("bert", replica("r0", state, "gone")));
      assertThat(holding.decide(ModelRequest.latest("bert", ApiProtocol.GRPC), HealthViews.withCatalog(view, CATALOG)))
          .as(state.name())
          .isInstanceOf(Decision.Reject.class);
    }
    assertThat(holding.decide(ModelRequest.latest("bert", ApiProtocol.GRPC), HealthViews.withCatalog(complete(model("bert")), CATALOG)))
        .isInstanceOf(Decision.Reject.class);
  }

  /** Holds up to 5 s, at T0 + 10 s. */
  private static RoutingPolicy holdingPolicy() {
    return new RoutingPolicy(
        Duration.ofSeconds(5),
        Clock.fixed(Views.T0.plusSeconds(10), ZoneOffset.UTC));
  }

  private static ReplicaHealth unreachableSince(String id, Instant since) {
    return new ReplicaHealth(
        id, ReplicaState.UNREACHABLE, new TreeSet<>(), "connection refused", since);
  }

  /** The policy's decision on {@code view} carrying the test's catalog. */
  private Decision decide(ModelRequest request, HealthView view) {
    return policy.decide(request, HealthViews.withCatalog(view, CATALOG));
  }
}
