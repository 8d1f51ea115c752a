package io.modelgate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosOracleTest {
  private static final long S = 1_000_000_000L;

  @Test
  void requestWhileTheOnlyAvailableReplicaHangsIsUnavoidable() {
    ChaosOracle oracle = new ChaosOracle();
    oracle.available("r0", "a", Long.MIN_VALUE);
    oracle.down("r0", 10 * S);
    oracle.up("r0", 12 * S);

    assertThat(oracle.servable("a", 9 * S)).isTrue();
    assertThat(oracle.servable("a", 11 * S)).isFalse();
    assertThat(oracle.servable("a", 12 * S)).isTrue();
  }

  @Test
  void requestWhileAnotherReplicaHadTheModelAvailableIsAvoidable() {
    ChaosOracle oracle = new ChaosOracle();
    oracle.available("r0", "a", Long.MIN_VALUE);
    oracle.available("r1", "a", Long.MIN_VALUE);
    oracle.down("r0", 10 * S);

    assertThat(oracle.servable("a", 11 * S)).isTrue();
    assertThat(oracle.servable("b", 11 * S)).isFalse();
  }

  @Test
  void loadingModelIsServableOnlyOnceAvailableAndUntilUnloaded() {
    ChaosOracle oracle = new ChaosOracle();
    oracle.available("r0", "a", 5 * S); // loaded at some earlier time, AVAILABLE from 5 s
    oracle.unavailable("r0", "a", 8 * S);

    assertThat(oracle.servable("a", 4 * S)).isFalse();
    assertThat(oracle.servable("a", 5 * S)).isTrue();
    assertThat(oracle.servable("a", 8 * S)).isFalse();
  }

  @Test
  void loadCutShortBeforeItCompletedNeverMakesTheModelServable() {
    ChaosOracle oracle = new ChaosOracle();
    oracle.available("r0", "a", 5 * S);
    oracle.unavailable("r0", "a", 3 * S); // the replica died while loading

    assertThat(oracle.servable("a", 6 * S)).isFalse();
  }

  @Test
  void hangWindowLastsThePerTryTimeoutPastTheHangAndADeathOpensNone() {
    ChaosOracle oracle = new ChaosOracle();
    oracle.hung("r2", 10 * S);
    oracle.unhung("r2", 12 * S);
    oracle.down("r3", 20 * S);
    oracle.up("r3", 22 * S);
    long grace = S / 2;

    assertThat(oracle.inHangWindow(9 * S, grace)).isFalse();
    assertThat(oracle.inHangWindow(12 * S + grace - 1, grace)).isTrue();
    assertThat(oracle.inHangWindow(12 * S + grace, grace)).isFalse();
    assertThat(oracle.inHangWindow(21 * S, grace)).isFalse();
  }

  @Test
  void sameSeedGivesTheSamePlanAndKeepsAtMostTwoReplicasOut() {
    List<String> replicas = List.of("r0", "r1", "r2", "r3", "r4", "r5");
    List<String> models = List.of("a", "b", "c", "d");
    ChaosPlan plan = ChaosPlan.generate(14, replicas, models, 60_000);

    assertThat(ChaosPlan.generate(14, replicas, models, 60_000)).isEqualTo(plan);
    assertThat(ChaosPlan.generate(15, replicas, models, 60_000)).isNotEqualTo(plan);
    int out = 0;
    int most = 0;
    for (ChaosPlan.Action action : plan.actions()) {
      switch (action.kind()) {
        case HANG, KILL -> most = Math.max(most, ++out);
        case UNHANG, REVIVE -> out--;
        default -> {}
      }
    }
    assertThat(most).isEqualTo(ChaosPlan.MAX_DOWN);
  }
}
