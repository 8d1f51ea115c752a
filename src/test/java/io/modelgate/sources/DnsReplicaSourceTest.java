package io.modelgate.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.config.DnsSourceConfig;
import io.modelgate.config.Protocol;
import io.modelgate.grpcserver.LogCapture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DnsReplicaSource} against a real DNS server (dnsmasq, {@link DnsServer}) with a 200 ms
 * refresh: records that come and go are followed within a refresh, an IPv6 record is a replica
 * like any other, and a server that fails (stopped, SERVFAIL, NXDOMAIN) never empties the set.
 */
class DnsReplicaSourceTest {
  private static final String ZONE = "modelgate.test";
  private static final String NAME = "tfs." + ZONE;
  /** Exists (a TXT record) even when it has no address. */
  private static final String EXISTING_NAME = "empty." + ZONE;
  private static final Duration REFRESH = Duration.ofMillis(200);
  /** A refresh, plus a lookup and a report on a busy CI machine. */
  private static final Duration WITHIN_REFRESH = REFRESH.plusMillis(800);
  private static final Duration BOUND = Duration.ofSeconds(10);
  /** Fine enough that the latencies printed are the source's, not the polling's. */
  private static final Duration POLL = Duration.ofMillis(10);

  private final List<SourceReport> reports = new CopyOnWriteArrayList<>();
  private DnsServer dns;
  private DnsReplicaSource source;

  @BeforeEach
  void startDns() throws IOException {
    dns = DnsServer.start(ZONE, EXISTING_NAME);
  }

  @AfterEach
  void stopAll() {
    if (source != null) {
      source.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  @Test
  void recordsAddedAreReportedWithinARefresh() throws IOException {
    dns.set(NAME, "10.0.0.1");
    start(NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1");

    dns.set(NAME, "10.0.0.1", "10.0.0.2");
    long added = System.nanoTime();
    awaitFresh(WITHIN_REFRESH, "10.0.0.1", "10.0.0.2");
    System.out.printf("record added -> reported in %d ms (refresh %d ms)%n", sinceMillis(added), REFRESH.toMillis());

    assertThat(latest().replicas())
        .containsExactly(
            new Replica("tfs.modelgate.test_10.0.0.1", NAME, "10.0.0.1", 8500, 8501, Protocol.GRPC, "", false),
            new Replica("tfs.modelgate.test_10.0.0.2", NAME, "10.0.0.2", 8500, 8501, Protocol.GRPC, "", false));
  }

  @Test
  void removedRecordLeavesTheSet() throws IOException {
    dns.set(NAME, "10.0.0.1", "10.0.0.2", "10.0.0.3");
    start(NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1", "10.0.0.2", "10.0.0.3");

    dns.set(NAME, "10.0.0.1", "10.0.0.3");
    long removed = System.nanoTime();
    awaitFresh(WITHIN_REFRESH, "10.0.0.1", "10.0.0.3");
    System.out.printf("record removed -> reported in %d ms%n", sinceMillis(removed));
  }

  @Test
  void ipv6RecordIsAReplicaWithAValidId() throws IOException {
    dns.set(NAME, "10.0.0.1", "fd00::1");
    start(NAME, dns.address());

    awaitFresh(BOUND, "10.0.0.1", "fd00:0:0:0:0:0:0:1");
    Replica v6 = latest().replicas().get(1);
    assertThat(v6.id()).isEqualTo("tfs.modelgate.test_fd00-0-0-0-0-0-0-1").matches("[A-Za-z0-9_.-]{1,128}");
    assertThat(v6.host()).isEqualTo(NAME);
  }

  @Test
  void setIsReportedOnlyWhenItChanges() throws IOException {
    dns.set(NAME, "10.0.0.1");
    start(NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1");
    long queries = dns.queries("A", NAME);

    // Five more lookups with the same answer: no report.
    await().atMost(BOUND).until(() -> dns.queries("A", NAME) >= queries + 5);
    assertThat(reports).hasSize(1);
  }

  /**
   * The JVM would keep a looked-up name for 30 s ({@code networkaddress.cache.ttl}); this source
   * must ask the server at every refresh, and follow a record that changes and changes back
   * within one second.
   */
  @Test
  void everyRefreshAsksTheServerRatherThanACache() throws IOException {
    dns.set(NAME, "10.0.0.1");
    start(NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1");

    long queries = dns.queries("A", NAME);
    long since = System.nanoTime();
    await().atMost(BOUND).until(() -> dns.queries("A", NAME) >= queries + 5);
    System.out.printf("5 A queries in %d ms (refresh %d ms)%n", sinceMillis(since), REFRESH.toMillis());

    dns.set(NAME, "10.0.0.2");
    awaitFresh(WITHIN_REFRESH, "10.0.0.2");
    dns.set(NAME, "10.0.0.1");
    awaitFresh(WITHIN_REFRESH, "10.0.0.1");
  }

  @Test
  void stoppedServerKeepsTheLastSetUntilItAnswersAgain() throws IOException {
    dns.set(NAME, "10.0.0.1", "10.0.0.2");
    start(NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1", "10.0.0.2");

    long stopped = System.nanoTime();
    dns.stop();
    await().atMost(WITHIN_REFRESH).pollInterval(POLL).until(() -> latest().stale());
    System.out.printf("server stopped -> stale in %d ms%n", sinceMillis(stopped));
    assertThat(latest().problem())
        .hasValue(
            "DNS lookup of " + NAME + " (A) failed: no answer from 127.0.0.1:" + dns.address().getPort()
                + " (java.net.PortUnreachableException)");
    assertThat(addresses(latest())).containsExactly("10.0.0.1", "10.0.0.2");

    long restarted = System.nanoTime();
    dns.answerNormally();
    awaitFresh(BOUND, "10.0.0.1", "10.0.0.2");
    System.out.printf("server back -> fresh in %d ms%n", sinceMillis(restarted));

    dns.set(NAME, "10.0.0.3");
    awaitFresh(WITHIN_REFRESH, "10.0.0.3");
    assertThat(reports).allMatch(report -> !report.replicas().isEmpty());
  }

  @Test
  void serverFailureKeepsTheLastSetLogsOnceAndBacksOff() throws IOException {
    try (LogCapture logs = new LogCapture()) {
      dns.set(NAME, "10.0.0.1");
      start(NAME, dns.address());
      awaitFresh(BOUND, "10.0.0.1");

      dns.answerServerFailure();
      await().atMost(BOUND).until(() -> latest().stale());
      assertThat(latest().problem()).hasValue("DNS lookup of " + NAME + " (A) failed: server failure (SERVFAIL)");
      assertThat(addresses(latest())).containsExactly("10.0.0.1");

      // Retries back off (0.2 s, then 0.4, 0.8, 1.6 s apart): at most 3 in 2 s, where a
      // steady refresh would have asked 10 times.
      long failed = dns.queries("A", NAME);
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
          .until(() -> dns.queries("A", NAME) <= failed + 3);
      assertThat(dns.queries("A", NAME)).isGreaterThan(failed);

      dns.answerNormally();
      awaitFresh(BOUND, "10.0.0.1");

      assertThat(logs.linesWith("dns " + NAME))
          .satisfiesExactly(
              first -> assertThat(first).contains("dns " + NAME + ": 1 replica"),
              stale ->
                  assertThat(stale)
                      .contains(
                          "WARN DnsReplicaSource - dns " + NAME + ": DNS lookup of " + NAME
                              + " (A) failed: server failure (SERVFAIL); keeping the last 1 replica,"
                              + " retrying with backoff up to 30 s"),
              recovered ->
                  assertThat(recovered).contains("dns " + NAME + ": DNS answers again: 1 replica"));
    }
  }

  @Test
  void vanishedNameKeepsTheLastSet() throws IOException {
    dns.set(NAME, "10.0.0.1");
    start(NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1");

    dns.set(NAME);
    await().atMost(WITHIN_REFRESH).pollInterval(POLL).until(() -> latest().stale());
    assertThat(latest().problem())
        .hasValue("DNS lookup of " + NAME + " (A) failed: the name does not exist (NXDOMAIN)");
    assertThat(addresses(latest())).containsExactly("10.0.0.1");
  }

  @Test
  void nameWithoutAddressesIsAFreshEmptySet() throws IOException {
    dns.set(EXISTING_NAME, "10.0.0.1");
    start(EXISTING_NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1");

    dns.set(EXISTING_NAME);
    awaitFresh(WITHIN_REFRESH);
  }

  @Test
  void firstLookupFailingReportsAStaleEmptySet() {
    start(NAME, dns.address());

    await().atMost(BOUND).until(() -> !reports.isEmpty());
    assertThat(reports.get(0).stale()).isTrue();
    assertThat(reports.get(0).replicas()).isEmpty();
  }

  @Test
  void unreachableFirstServerIsPassedOver() throws IOException {
    dns.set(NAME, "10.0.0.1");
    InetSocketAddress dead = new InetSocketAddress("127.0.0.1", deadPort());
    start(NAME, dead, dns.address());

    awaitFresh(BOUND, "10.0.0.1");
  }

  /** A Service with more pods than a 512-byte UDP answer holds: the rest comes over TCP. */
  @Test
  void answerTooLargeForUdpIsReadWhole() throws IOException {
    String[] many = new String[150];
    for (int i = 0; i < many.length; i++) {
      many[i] = "10.0." + (i / 100) + "." + (i % 100 + 1);
    }
    dns.set(NAME, many);
    start(NAME, dns.address());

    await().atMost(BOUND).until(() -> !reports.isEmpty() && latest().replicas().size() == 150);
    assertThat(latest().stale()).isFalse();
  }

  @Test
  void closeEndsReportsAndTheThread() throws IOException {
    dns.set(NAME, "10.0.0.1");
    start(NAME, dns.address());
    awaitFresh(BOUND, "10.0.0.1");

    source.close();
    await().atMost(BOUND).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals("modelgate-source-dns-" + NAME)));

    dns.set(NAME, "10.0.0.2");
    long queries = dns.queries("A", NAME);
    await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
        .until(() -> reports.size() == 1 && dns.queries("A", NAME) == queries);
  }

  @Test
  void longNamesGiveIdsWithinTheNameRulesThatStayApart() {
    String label = "a".repeat(63);
    String longName = label + "." + label + "." + label + ".x" + ".example";
    String otherLongName = label + "." + label + "." + label + ".y" + ".example";

    String id = DnsReplicaSource.id(longName, "fd00:0:0:0:0:0:0:1");
    assertThat(id).hasSize(128).matches("[A-Za-z0-9_.-]+").endsWith("_fd00-0-0-0-0-0-0-1");
    assertThat(DnsReplicaSource.id(otherLongName, "fd00:0:0:0:0:0:0:1")).hasSize(128).isNotEqualTo(id);
    assertThat(DnsReplicaSource.id("tfs.ml.svc.cluster.local.", "10.0.0.7"))
        .isEqualTo("tfs.ml.svc.cluster.local_10.0.0.7");
  }

  private void start(String name, InetSocketAddress... servers) {
    source =
        new DnsReplicaSource(
            new DnsSourceConfig(name, 8500, 8501, Protocol.GRPC, REFRESH, List.of(servers), Duration.ofSeconds(10)),
            Clock.systemUTC());
    assertThat(source.name()).isEqualTo("dns " + name);
    source.start(reports::add);
  }

  private void awaitFresh(Duration atMost, String... addresses) {
    await()
        .atMost(atMost)
        .pollInterval(POLL)
        .untilAsserted(
            () -> {
              assertThat(reports).isNotEmpty();
              assertThat(latest().stale()).isFalse();
              assertThat(addresses(latest())).containsExactly(addresses);
            });
  }

  private SourceReport latest() {
    return reports.get(reports.size() - 1);
  }

  private static List<String> addresses(SourceReport report) {
    return report.replicas().stream().map(Replica::address).toList();
  }

  private static long sinceMillis(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** A UDP port nobody listens on: queries to it get ICMP port unreachable. */
  private static int deadPort() throws IOException {
    try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
