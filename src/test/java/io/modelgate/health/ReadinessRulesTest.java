package io.modelgate.health;

import static io.modelgate.health.TestViews.loading;
import static io.modelgate.health.TestViews.model;
import static io.modelgate.health.TestViews.ready;
import static io.modelgate.health.TestViews.replica;
import static io.modelgate.health.TestViews.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.health.v1.HealthCheckResponse.ServingStatus;
import io.modelgate.view.ReplicaState;
import io.modelgate.view.HealthView;
import io.modelgate.view.ReplicaHealth;
import org.junit.jupiter.api.Test;

class ReadinessRulesTest {

  @Test
  void modelReadyOnSomeReplicasSaysHowMany() {
    HealthView v = view(1, true, model("resnet", ready("r0"), ready("r1"), loading("r2")));

    assertThat(ReadinessRules.model(v, "resnet"))
        .contains(HealthStatus.serving("resnet", "model 'resnet' ready on 2 of 3 replicas"));
  }

  @Test
  void modelReadyNowhereListsItsReplicasWithTheirReasons() {
    HealthView v =
        view(
            1,
            true,
            model(
                "bert",
                loading("r0"),
                replica("r1", ReplicaState.NOT_READY, "version 1 failed to load: boom")));

    assertThat(ReadinessRules.model(v, "bert"))
        .contains(
            HealthStatus.notServing(
                "bert",
                "model 'bert' not ready on any replica: r0 LOADING (loading version 2), "
                    + "r1 NOT_READY (version 1 failed to load: boom)"));
  }

  @Test
  void modelReadyNowhereOnAThousandReplicasNamesAFewAndCountsTheRest() {
    ReplicaHealth[] replicas = new ReplicaHealth[1000];
    for (int i = 0; i < replicas.length; i++) {
      replicas[i] = loading("r" + i);
    }
    HealthView v = view(1, true, model("bert", replicas));

    assertThat(ReadinessRules.model(v, "bert").orElseThrow().reason())
        .startsWith("model 'bert' not ready on any replica: r0 LOADING (loading version 2), r1 LOADING")
        .endsWith("r4 LOADING (loading version 2) and 995 more");
  }

  @Test
  void incompleteViewWaitsForTheFirstFullRound() {
    HealthView v = view(1, false, model("resnet", ready("r0")));

    assertThat(ReadinessRules.model(v, "resnet").orElseThrow().reason())
        .isEqualTo("waiting for the first full probe round");
    assertThat(ReadinessRules.overall(v))
        .isEqualTo(HealthStatus.notServing(HealthService.READINESS, "waiting for the first full probe round"));
  }

  @Test
  void modelWithoutReplicasIsNotServing() {
    HealthView v = view(1, true, model("resnet"));

    assertThat(ReadinessRules.model(v, "resnet").orElseThrow().status())
        .isEqualTo(ServingStatus.NOT_SERVING);
  }

  @Test
  void modelMissingFromTheViewIsUnknown() {
    assertThat(ReadinessRules.model(view(1, true, model("resnet", ready("r0"))), "gpt")).isEmpty();
  }

  @Test
  void overallNamesTheModelsThatAreNotReady() {
    HealthView v =
        view(1, true, model("resnet", ready("r0")), model("bert", loading("r0")), model("gpt", loading("r0")));

    assertThat(ReadinessRules.overall(v))
        .isEqualTo(HealthStatus.notServing(HealthService.READINESS, "2 of 3 models not ready: bert, gpt"));
  }

  @Test
  void overallIsServingWhenEveryModelIsReady() {
    HealthView v = view(1, true, model("resnet", ready("r0")), model("bert", ready("r1")));

    assertThat(ReadinessRules.overall(v)).isEqualTo(HealthStatus.serving(HealthService.READINESS, "all 2 models ready"));
  }

  @Test
  void overallWithNoModelsIsNotServing() {
    assertThat(ReadinessRules.overall(view(1, true)).status()).isEqualTo(ServingStatus.NOT_SERVING);
  }
}
