package io.modelgate.probing;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.config.ModelConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class KeyStandingTest {
  private static final ModelConfig ANY = ModelConfig.any("resnet");
  private static final ModelConfig PINNED_2 =
      new ModelConfig("resnet", OptionalLong.of(2), Optional.empty(), Map.of());
  private static final ModelConfig LABEL_2 =
      new ModelConfig("resnet", OptionalLong.empty(), Optional.of("canary"), Map.of("stable", 1L, "canary", 2L));

  @Test
  void anyAvailableVersionServesAnUnpinnedModel() {
    ProbeOutcome outcome = reported(version(1, VersionState.AVAILABLE), version(2, VersionState.LOADING));

    assertThat(KeyStanding.of(outcome, ANY)).isEqualTo(KeyStanding.SERVING);
  }

  @Test
  void onlyThePinnedVersionServesAPinnedModel() {
    ProbeOutcome loadingPin = reported(version(1, VersionState.AVAILABLE), version(2, VersionState.LOADING));
    ProbeOutcome pinAbsent = reported(version(1, VersionState.AVAILABLE));

    assertThat(KeyStanding.of(loadingPin, PINNED_2)).isEqualTo(KeyStanding.CHANGING);
    assertThat(KeyStanding.of(loadingPin, LABEL_2)).isEqualTo(KeyStanding.CHANGING);
    assertThat(KeyStanding.of(pinAbsent, PINNED_2)).isEqualTo(KeyStanding.SETTLED);
  }

  @Test
  void startLoadingAndUnloadingAreChangesEndAndAbsenceAreSettled() {
    assertThat(KeyStanding.of(reported(version(1, VersionState.START)), ANY)).isEqualTo(KeyStanding.CHANGING);
    assertThat(KeyStanding.of(reported(version(1, VersionState.UNLOADING)), ANY)).isEqualTo(KeyStanding.CHANGING);
    assertThat(KeyStanding.of(reported(version(1, VersionState.END)), ANY)).isEqualTo(KeyStanding.SETTLED);
    assertThat(KeyStanding.of(reported(), ANY)).isEqualTo(KeyStanding.SETTLED);
    assertThat(KeyStanding.of(new ProbeOutcome.ModelNotFound("no such model"), ANY))
        .isEqualTo(KeyStanding.SETTLED);
  }

  @Test
  void aTimeoutOrRefusalIsTheReplicasSilenceABadResponseTheModels() {
    assertThat(KeyStanding.of(failed(ProbeOutcome.Failed.Kind.TIMEOUT), ANY)).isEqualTo(KeyStanding.NO_ANSWER);
    assertThat(KeyStanding.of(failed(ProbeOutcome.Failed.Kind.CONNECTION_FAILED), ANY))
        .isEqualTo(KeyStanding.NO_ANSWER);
    assertThat(KeyStanding.of(failed(ProbeOutcome.Failed.Kind.BAD_RESPONSE), ANY))
        .isEqualTo(KeyStanding.BAD_ANSWER);
    assertThat(KeyStanding.NO_ANSWER.failed()).isTrue();
    assertThat(KeyStanding.BAD_ANSWER.failed()).isTrue();
  }

  private static ProbeOutcome reported(VersionStatus... versions) {
    return new ProbeOutcome.Reported(List.of(versions));
  }

  private static VersionStatus version(long version, VersionState state) {
    return new VersionStatus(version, state, "OK", "");
  }

  private static ProbeOutcome failed(ProbeOutcome.Failed.Kind kind) {
    return new ProbeOutcome.Failed(kind, "test");
  }
}
