package io.modelgate.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.Protocol;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MergedSourcesTest {
  private final ManualSource dns = new ManualSource("dns a");
  private final ManualSource kube = new ManualSource("kubernetes ml/tfs");
  private final List<ReplicaSet> sets = new CopyOnWriteArrayList<>();
  private MergedSources merged;

  @AfterEach
  void stop() {
    merged.close();
  }

  private void start(Duration drain, Duration firstReportTimeout) {
    merged =
        new MergedSources(
            List.of(new MergedSources.Entry(dns, drain), new MergedSources.Entry(kube, drain)),
            firstReportTimeout,
            Clock.systemUTC());
    merged.start(sets::add);
  }

  @Test
  void theFirstSetWaitsUntilEverySourceHasReported() {
    start(Duration.ofSeconds(10), Duration.ofHours(1));
    dns.report(replica("a", "198.18.0.1"));
    await().during(Duration.ofMillis(200)).until(sets::isEmpty);

    kube.report(replica("b", "198.18.0.2"));

    await().until(() -> sets.size() == 1);
    assertThat(ids(sets.get(0))).containsExactly("a", "b");
  }

  @Test
  void aSilentSourceHoldsTheFirstSetOnlyUntilTheTimeout() {
    start(Duration.ofSeconds(10), Duration.ofMillis(300));
    dns.report(replica("a", "198.18.0.1"));

    await().atMost(Duration.ofSeconds(2)).until(() -> sets.size() == 1);
    assertThat(ids(sets.get(0))).containsExactly("a");
    assertThat(sets.get(0).sources())
        .extracting(SourceStatus::name, SourceStatus::stale)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("dns a", false),
            org.assertj.core.groups.Tuple.tuple("kubernetes ml/tfs", true));
  }

  @Test
  void aReplicaThatLeavesIsTerminatingForTheDrainTimeThenRemoved() {
    start(Duration.ofMillis(300), Duration.ofHours(1));
    dns.report(replica("a", "198.18.0.1"), replica("c", "198.18.0.3"));
    kube.report();

    dns.report(replica("a", "198.18.0.1"));

    await().until(() -> sets.size() == 2);
    assertThat(sets.get(1).byId().get("c").terminating()).isTrue();
    await().atMost(Duration.ofSeconds(2)).until(() -> sets.size() == 3);
    assertThat(ids(sets.get(2))).containsExactly("a");
  }

  @Test
  void aReplicaBackWithinTheDrainTimeStays() {
    start(Duration.ofMillis(300), Duration.ofHours(1));
    dns.report(replica("a", "198.18.0.1"), replica("c", "198.18.0.3"));
    kube.report();
    dns.report(replica("a", "198.18.0.1"));
    dns.report(replica("a", "198.18.0.1"), replica("c", "198.18.0.3"));

    await().during(Duration.ofMillis(600)).until(() -> sets.size() == 3);
    assertThat(sets.get(2).byId().get("c").terminating()).isFalse();
  }

  @Test
  void anIdListedByTwoSourcesBelongsToTheFirst() {
    start(Duration.ofSeconds(10), Duration.ofHours(1));
    dns.report(replica("a", "198.18.0.1"));
    kube.report(replica("a", "198.18.0.9"), replica("b", "198.18.0.2"));

    await().until(() -> sets.size() == 1);
    assertThat(sets.get(0).byId().get("a").address()).isEqualTo("198.18.0.1");
    assertThat(sets.get(0).sources()).extracting(SourceStatus::replicas).containsExactly(1, 1);
  }

  @Test
  void aFailedLookupKeepsTheLastListAndSaysSo() {
    start(Duration.ofMillis(100), Duration.ofHours(1));
    dns.report(replica("a", "198.18.0.1"));
    kube.report(replica("b", "198.18.0.2"));

    kube.fail("API server unreachable: Connection refused");

    await().until(() -> sets.size() == 2);
    assertThat(ids(sets.get(1))).containsExactly("a", "b");
    assertThat(sets.get(1).sources().get(1).problem()).contains("API server unreachable: Connection refused");
    await().during(Duration.ofMillis(300)).until(() -> sets.size() == 2);
  }

  private static List<String> ids(ReplicaSet set) {
    return set.replicas().stream().map(Replica::id).toList();
  }

  private static Replica replica(String id, String address) {
    return new Replica(id, address, address, 8500, 8501, Protocol.GRPC, "", false);
  }
}
