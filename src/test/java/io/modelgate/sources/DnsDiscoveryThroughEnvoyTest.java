package io.modelgate.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.DnsSourceConfig;
import io.modelgate.config.Protocol;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import io.modelgate.view.ReplicaHealth;
import io.modelgate.xds.InferenceClient;
import io.modelgate.xds.RoutingRig;
import io.modelgate.xds.TrafficLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The README's DNS story end to end: TF Serving replicas behind a DNS name (a real dnsmasq), a
 * modelgate control plane following the name, and a real Envoy routing by what it publishes.
 * Replicas live on 127.0.0.2 to 127.0.0.4, all on the same ports, as pods behind a headless
 * Service do.
 */
class DnsDiscoveryThroughEnvoyTest {
  private static final String NAME = "tfs.modelgate.test";
  private static final String MODEL = "half_plus_two";
  private static final Duration REFRESH = Duration.ofMillis(300);
  /** A new record is probed and in EDS within the refresh, two probe intervals and this margin. */
  private static final Duration MARGIN = Duration.ofSeconds(1);

  private final List<Simulator> replicas = new ArrayList<>();
  private DnsServer dns;
  private ModelgateServer modelgate;
  private EnvoyProcess envoy;
  private InferenceClient client;
  private int grpcPort;
  private int restPort;

  @BeforeEach
  void start() throws Exception {
    grpcPort = EnvoyProcess.freePort();
    restPort = grpcPort + 1; // the simulator's REST port follows its gRPC port
    dns = DnsServer.start("modelgate.test");
    replica("127.0.0.2");
    dns.set(NAME, "127.0.0.2");
    int xdsPort = EnvoyProcess.freePort();
    int listenerPort = EnvoyProcess.freePort();
    modelgate =
        DiscoveryControlPlane.start(
            MODEL,
            xdsPort,
            listenerPort,
            new DnsSourceConfig(
                NAME, grpcPort, restPort, Protocol.GRPC, REFRESH, List.of(dns.address()), Duration.ofSeconds(2)));
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
    dns.close();
  }

  @Test
  void recordsAddedAndRemovedAreFollowedUnderTrafficWithoutAFailedRequest() throws Exception {
    try (TrafficLoop traffic =
        new TrafficLoop(100_000, Duration.ofSeconds(60), () -> client.grpcPredict(MODEL), () -> client.restPredict(MODEL))) {
      replica("127.0.0.3");
      long added = System.nanoTime();
      dns.set(NAME, "127.0.0.2", "127.0.0.3");
      await().atMost(Duration.ofSeconds(10)).until(() -> readyInEnvoy("127.0.0.3"));
      Duration followed = Duration.ofNanos(System.nanoTime() - added);
      System.out.println("a new record was READY and HEALTHY in Envoy after " + followed.toMillis() + " ms");
      assertThat(followed).isLessThan(REFRESH.plus(RoutingRig.FAST_PROBES.interval().multipliedBy(2)).plus(MARGIN));
      await().atMost(Duration.ofSeconds(5)).until(() -> requestsTo("127.0.0.3") > 0);

      dns.set(NAME, "127.0.0.3");
      await().atMost(Duration.ofSeconds(10)).until(() -> !inEds("127.0.0.2"));
      long servedBy2 = requestsTo("127.0.0.2");
      Thread.sleep(500);
      assertThat(requestsTo("127.0.0.2")).as("requests to a replica that left").isEqualTo(servedBy2);

      traffic.close();
      assertThat(traffic.count()).isGreaterThan(50);
      assertThat(traffic.failures()).isEmpty();
    }
  }

  @Test
  void aDnsServerThatGoesDownKeepsTheLastSetAndSaysSoInStatus() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> readyInEnvoy("127.0.0.2"));

    dns.stop();

    await().atMost(Duration.ofSeconds(5)).until(() -> modelgate.view().current().sources().get(0).stale());
    assertThat(modelgate.view().current().replicas()).containsKey(NAME + "_127.0.0.2");
    try (TrafficLoop traffic = new TrafficLoop(50, Duration.ofSeconds(20), () -> client.grpcPredict(MODEL))) {
      traffic.close();
      assertThat(traffic.failures()).isEmpty();
    }
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

  private boolean readyInEnvoy(String address) throws Exception {
    ReplicaHealth health =
        modelgate.view().current().models().get(MODEL).replicas().get(NAME + "_" + address);
    return health != null && health.ready() && envoyHost(address, "health_flags::healthy");
  }

  private boolean inEds(String address) throws Exception {
    return envoy.admin("/clusters").contains("modelgate/" + MODEL + "/grpc::" + address + ":");
  }

  private long requestsTo(String address) throws Exception {
    long total = 0;
    for (String line : envoy.admin("/clusters").split("\n")) {
      if (line.startsWith("modelgate/" + MODEL + "/") && line.contains("::" + address + ":") && line.contains("::rq_total::")) {
        total += Long.parseLong(line.substring(line.lastIndexOf("::") + 2).trim());
      }
    }
    return total;
  }

  private boolean envoyHost(String address, String what) throws Exception {
    String prefix = "modelgate/" + MODEL + "/grpc::" + address + ":" + grpcPort + "::";
    return envoy.admin("/clusters").lines().anyMatch(line -> line.startsWith(prefix) && line.contains(what));
  }
}
