package io.modelgate.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.DnsSourceConfig;
import io.modelgate.config.Protocol;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.xds.InferenceClient;
import io.modelgate.xds.InferenceClient.Answer;
import io.modelgate.xds.TrafficLoop;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Churn end to end: 30 TF Serving replicas behind a DNS name (a real dnsmasq), a core of three
 * always listed and the others joining or leaving at random, ten changes a second for a minute,
 * while a real Envoy carries steady REST and gRPC traffic by what modelgate publishes. Every
 * replica keeps running after it leaves the name, as a terminating pod does during its grace
 * period, so a request Envoy still sends to a draining replica is answered.
 *
 * <p>Afterwards nothing of the churn may be left: the view, the prober's keys and Envoy's hosts are
 * the core's again, the heap is back near where it started, and grpc-java logged no warning (its
 * own leak detector reports a channel collected without being shut down). The random choices are seeded
 * (printed; {@code -Dchurn.seed=N} replays a run).
 */
class ReplicaChurnThroughEnvoyTest {
  private static final String NAME = "tfs.modelgate.test";
  private static final String MODEL = "half_plus_two";
  private static final List<String> CORE = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");
  private static final List<String> CHURNING =
      IntStream.rangeClosed(5, 31).mapToObj(i -> "127.0.0." + i).toList();
  private static final Duration TICK = Duration.ofMillis(100);
  private static final Duration CHURN = Duration.ofSeconds(60);
  private static final Duration DRAIN = Duration.ofMillis(500);
  /**
   * How far the used heap may end above where it started. Measured here it ends within 1 MiB
   * of the start; probe channels of the leaving replicas left open (never shut down) add 6.6 MiB.
   */
  private static final long HEAP_TOLERANCE = 4L << 20;

  private final List<Simulator> replicas = new ArrayList<>();
  /** Held here: java.util.logging keeps loggers only weakly, and with them their handlers. */
  private final Logger grpcLogger = Logger.getLogger("io.grpc");
  private final List<LogRecord> grpcWarnings = new CopyOnWriteArrayList<>();
  private final Handler grpcLog =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            grpcWarnings.add(record);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private DnsServer dns;
  private ModelgateServer modelgate;
  private EnvoyProcess envoy;
  private InferenceClient client;
  private int grpcPort;

  @BeforeEach
  void start() throws Exception {
    grpcLogger.addHandler(grpcLog);
    grpcPort = EnvoyProcess.freePort();
    int restPort = grpcPort + 1; // the simulator's REST port follows its gRPC port
    dns = DnsServer.start("modelgate.test");
    CORE.forEach(this::replica);
    CHURNING.forEach(this::replica);
    dns.set(NAME, CORE.toArray(String[]::new));
    int xdsPort = EnvoyProcess.freePort();
    int listenerPort = EnvoyProcess.freePort();
    modelgate =
        DiscoveryControlPlane.start(
            MODEL,
            xdsPort,
            listenerPort,
            new DnsSourceConfig(NAME, grpcPort, restPort, Protocol.GRPC, TICK, List.of(dns.address()), DRAIN));
    envoy = EnvoyProcess.startWithAds(xdsPort);
    await().atMost(Duration.ofSeconds(20)).until(envoy::ready);
    client = new InferenceClient(listenerPort);
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (envoy != null) {
      envoy.close();
    }
    if (modelgate != null) {
      modelgate.close();
    }
    replicas.forEach(Simulator::close);
    if (dns != null) {
      dns.close();
    }
    grpcLogger.removeHandler(grpcLog);
  }

  @Test
  void tenJoinsOrLeavesASecondForAMinuteFailNoRequestAndLeaveNothingBehind() throws Exception {
    await().atMost(Duration.ofSeconds(15)).until(this::onlyTheCoreIsLeft);
    // Warm the paths the churn uses (traffic, probing, EDS pushes, a join and a leave) so that
    // the heap measured before already holds what the JVM keeps once they have run.
    churnUnderTraffic(new Random(0), Duration.ofSeconds(3));
    settle();
    int keysBefore = modelgate.pipeline().prober().keys();
    long heapBefore = usedHeapAfterGc();

    long seed = Long.getLong("churn.seed", System.nanoTime());
    System.out.println("churn seed " + seed + " (-Dchurn.seed=" + seed + " replays it); load average "
        + loadAverage());
    Outcome outcome = churnUnderTraffic(new Random(seed), CHURN);
    System.out.println(outcome + "; load average " + loadAverage());
    long settleStart = System.nanoTime();
    settle();
    System.out.println("settled back to the core in " + millisSince(settleStart) + " ms");
    int keysAfter = modelgate.pipeline().prober().keys();
    long heapAfter = usedHeapAfterGc();
    System.out.printf("probe keys %d before, %d after; used heap %.1f MiB before, %.1f MiB after (tolerance +%d MiB)%n",
        keysBefore, keysAfter, heapBefore / 1048576.0, heapAfter / 1048576.0, HEAP_TOLERANCE >> 20);

    assertThat(outcome.failures()).as("failed requests under churn").isEmpty();
    assertThat(outcome.requests()).as("requests sent under churn").isGreaterThan(1000);
    assertThat(outcome.joins() + outcome.leaves()).as("changes in %s", CHURN).isGreaterThanOrEqualTo(540);
    assertThat(outcome.churnersServing()).as("joining and leaving replicas that served requests").isPositive();
    assertThat(keysAfter).as("probe keys").isEqualTo(keysBefore);
    assertThat(grpcWarnings).as("grpc-java warnings").extracting(LogRecord::getMessage).isEmpty();
    assertThat(heapAfter).as("used heap after a GC").isLessThan(heapBefore + HEAP_TOLERANCE);
  }

  /** What one churn under traffic did; the traffic's answers themselves are gone with it. */
  private record Outcome(
      int joins, int leaves, Duration took, Duration worstLateTick, int requests, List<Answer> failures, int churnersServing) {
    @Override
    public String toString() {
      return String.format(
          "%d joins and %d leaves in %d ms (the latest change %d ms behind its tick); %d requests, %d failed,"
              + " %d of the %d joining and leaving replicas served some",
          joins, leaves, took.toMillis(), worstLateTick.toMillis(), requests, failures.size(), churnersServing, CHURNING.size());
    }
  }

  /**
   * Each tick one replica outside the core, drawn from {@code random}, joins the name if it is not
   * listed, or leaves it if it is, under steady REST and gRPC traffic through Envoy.
   */
  private Outcome churnUnderTraffic(Random random, Duration length) throws Exception {
    Set<String> listed = new TreeSet<>(CORE);
    long[] servedBefore = churnersRequests();
    int joins = 0;
    int leaves = 0;
    long worstLate = 0;
    long start = System.nanoTime();
    TrafficLoop traffic =
        new TrafficLoop(
            1_000_000, length.plusSeconds(30), () -> client.grpcPredict(MODEL), () -> client.restPredict(MODEL));
    try {
      long ticks = length.toNanos() / TICK.toNanos();
      for (long tick = 0; tick < ticks; tick++) {
        long due = start + tick * TICK.toNanos();
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait); // pacing the changes, not waiting for anything
        }
        worstLate = Math.max(worstLate, System.nanoTime() - due);
        String address = CHURNING.get(random.nextInt(CHURNING.size()));
        if (listed.remove(address)) {
          leaves++;
        } else {
          listed.add(address);
          joins++;
        }
        dns.set(NAME, listed.toArray(String[]::new));
      }
    } finally {
      traffic.close();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    return new Outcome(
        joins, leaves, took, Duration.ofNanos(worstLate), traffic.count(), traffic.failures(),
        servedSince(servedBefore));
  }

  /** Requests answered so far by each replica outside the core, in {@link #CHURNING} order. */
  private long[] churnersRequests() {
    return replicas.subList(CORE.size(), replicas.size()).stream()
        .mapToLong(s -> s.replicas().get(0).requestCount(MODEL))
        .toArray();
  }

  private int servedSince(long[] before) {
    long[] now = churnersRequests();
    return (int) IntStream.range(0, now.length).filter(i -> now[i] > before[i]).count();
  }

  /** Lists the core only and waits until the view, the prober and Envoy have followed. */
  private void settle() throws Exception {
    dns.set(NAME, CORE.toArray(String[]::new));
    await().atMost(Duration.ofSeconds(15)).until(this::onlyTheCoreIsLeft);
  }

  private boolean onlyTheCoreIsLeft() throws Exception {
    Set<String> core = CORE.stream().map(a -> NAME + "_" + a).collect(Collectors.toSet());
    return modelgate.view().current().replicas().keySet().equals(core)
        && modelgate.pipeline().prober().keys() == CORE.size()
        && envoyHosts().equals(new TreeSet<>(CORE))
        && CORE.stream().allMatch(this::healthyInEnvoy);
  }

  /** The addresses of every host of modelgate's clusters in Envoy's /clusters. */
  private Set<String> envoyHosts() throws Exception {
    Set<String> hosts = new TreeSet<>();
    for (String line : envoy.admin("/clusters").split("\n")) {
      if (line.startsWith("modelgate/") && line.contains("::health_flags::")) {
        String host = line.substring(line.indexOf("::") + 2);
        hosts.add(host.substring(0, host.indexOf(':')));
      }
    }
    return hosts;
  }

  private boolean healthyInEnvoy(String address) {
    String prefix = "modelgate/" + MODEL + "/grpc::" + address + ":" + grpcPort + "::health_flags::healthy";
    try {
      return envoy.admin("/clusters").lines().anyMatch(line -> line.startsWith(prefix));
    } catch (Exception e) {
      return false;
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200); // lets reference processing and finalisation of the previous cycle finish
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String loadAverage() throws Exception {
    return Files.readString(Path.of("/proc/loadavg")).trim();
  }

  private static long millisSince(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  private void replica(String address) {
    replicas.add(
        Simulator.start(
            SimulatorOptions.defaults()
                .withReplicas(1)
                .withHost(address)
                .withBasePort(grpcPort)
                .withModel(MODEL, 1)));
  }
}
