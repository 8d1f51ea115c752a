package io.modelgate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.view.ReplicaState;
import io.modelgate.view.ReplicaHealth;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class DemoReportTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void summaryReadsRequestsFailedAndP99WithOneDecimal() {
    String line = DemoReport.summary(new Tally.Totals(12000, 0, 4.0861));

    assertThat(line).isEqualTo("12000 requests, 0 failed, p99 4.1 ms");
    assertThat(DemoReport.SUMMARY.matcher(line).matches()).isTrue();
  }

  @Test
  void summaryPatternRejectsOtherShapes() {
    assertThat(DemoReport.SUMMARY.matcher("12000 requests, 0 failed, p99 4 ms").matches()).isFalse();
    assertThat(DemoReport.SUMMARY.matcher("12000 requests 0 failed p99 4.1 ms").matches()).isFalse();
  }

  @Test
  void splitNamesBothProtocols() {
    String line =
        DemoReport.split(
            Map.of(Api.REST, new Tally.Totals(6000, 1, 3.25), Api.GRPC, new Tally.Totals(6000, 0, 2.0)));

    assertThat(line)
        .contains("REST: 6000 requests, 1 failed, p99 3.3 ms")
        .contains("gRPC: 6000 requests, 0 failed, p99 2.0 ms");
  }

  @Test
  void stepCountsNameEveryReplicaIncludingThoseThatAnsweredNothing() {
    Tally.StepCounts counts = new Tally.StepCounts(0, 800, 0, 1.5, Map.of("r0", 412L, "r1", 388L), List.of());

    assertThat(DemoReport.stepCounts(counts, List.of("r0", "r1", "r2")))
        .isEqualTo("answered by r0=412 r1=388 r2=0; 800 requests, 0 failed, p99 1.5 ms");
  }

  @Test
  void stepStartCountsFromOne() {
    assertThat(DemoReport.stepStart(2, 8, "roll v2 onto r0")).isEqualTo("step 3/8: roll v2 onto r0");
  }

  @Test
  void timestampIsSecondsSinceStartWithMilliseconds() {
    assertThat(DemoReport.timestamp(Duration.ofMillis(12345))).isEqualTo("[  12.345s]");
  }

  @Test
  void failureNamesCountProtocolErrorAndWhenSuchCallsWereSent() {
    Tally.FailureGroup group = new Tally.FailureGroup(Api.GRPC, "DEADLINE_EXCEEDED: no answer", 12, 0, 0);

    assertThat(DemoReport.failure(group, Duration.ofMillis(3100), Duration.ofMillis(3650)))
        .isEqualTo("FAILED 12x gRPC DEADLINE_EXCEEDED: no answer (sent from 3.100s to 3.650s)");
  }

  @Test
  void stateChangeReadsFromArrowToWithVersionsAndReason() {
    ReplicaHealth before = health(ReplicaState.LOADING, Set.of(), "version 1 LOADING");
    ReplicaHealth after = health(ReplicaState.READY, Set.of(1L), "version 1 AVAILABLE");

    assertThat(DemoReport.healthChange("half_plus_two", before, after))
        .isEqualTo("half_plus_two r2: LOADING -> READY, versions [1] (version 1 AVAILABLE)");
  }

  @Test
  void versionChangeWithinOneStateShowsBothVersionSets() {
    ReplicaHealth before = health(ReplicaState.READY, Set.of(1L), "version 1 AVAILABLE");
    ReplicaHealth after = health(ReplicaState.READY, Set.of(1L, 2L), "");

    assertThat(DemoReport.healthChange("half_plus_two", before, after))
        .isEqualTo("half_plus_two r2: READY, versions [1] -> [1, 2]");
  }

  private static ReplicaHealth health(ReplicaState state, Set<Long> versions, String reason) {
    return new ReplicaHealth("r2", state, new TreeSet<>(versions), reason, NOW);
  }
}
