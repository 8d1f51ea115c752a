package io.modelgate.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.envoy.EnvoyProcess;
import io.modelgate.simulator.SimulatedReplica;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatorOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything between a client and simulated TF Serving replicas, all on loopback: the simulator,
 * a modelgate control plane ({@link ModelgateServer} in CONTROL_PLANE mode, restartable on the
 * same xDS port) and a real Envoy taking its configuration from it over ADS. {@link #close()}
 * stops what is running, Envoy first.
 */
public final class RoutingRig implements AutoCloseable {
  /** Fast probes so tests and the benchmark see changes within a fraction of a second. */
  public static final ProbeConfig FAST_PROBES =
      new ProbeConfig(
          Duration.ofMillis(200), Duration.ofMillis(150), 1, 2, Duration.ofSeconds(1), 16, 0.1, Duration.ofSeconds(3), Duration.ofMillis(100));

  private static final Duration ENVOY_START = Duration.ofSeconds(20);
  private static final Pattern REJECTED = Pattern.compile("(?m)^(\\S*update_rejected): (\\d+)$");

  private final Simulator simulator;
  private final List<ModelConfig> models;
  private final int xdsPort;
  private final int listenerPort;
  private final ExtProcConfig extProc;
  private final UnaryOperator<XdsConfig> xdsSettings;
  private ModelgateServer controlPlane;
  private EnvoyProcess envoy;
  private InferenceClient client;

  private RoutingRig(
      Simulator simulator,
      List<ModelConfig> models,
      int xdsPort,
      int listenerPort,
      ExtProcConfig extProc,
      UnaryOperator<XdsConfig> xdsSettings) {
    this.simulator = simulator;
    this.models = models;
    this.xdsPort = xdsPort;
    this.listenerPort = listenerPort;
    this.extProc = extProc;
    this.xdsSettings = xdsSettings;
  }

  /**
   * Starts the replicas, lets {@code prepare} set them up, starts a control plane with {@code
   * probes} and Envoy; returns once Envoy has its first configuration (admin {@code /ready} is
   * LIVE).
   */
  public static RoutingRig start(
      SimulatorOptions replicas, Consumer<Simulator> prepare, List<ModelConfig> models, ProbeConfig probes) {
    return start(replicas, prepare, models, probes, ExtProcConfig.disabled());
  }

  /**
   * As above, with the gateway filter configured by {@code extProc} (its listen port replaced by a
   * free one, kept across control plane restarts) unless it is disabled.
   */
  public static RoutingRig start(
      SimulatorOptions replicas,
      Consumer<Simulator> prepare,
      List<ModelConfig> models,
      ProbeConfig probes,
      ExtProcConfig extProc) {
    return start(replicas, prepare, models, probes, extProc, UnaryOperator.identity());
  }

  /**
   * As above, with the xDS settings (ports and timeouts chosen by the rig) changed by {@code
   * xdsSettings}, e.g. another retry budget.
   */
  public static RoutingRig start(
      SimulatorOptions replicas,
      Consumer<Simulator> prepare,
      List<ModelConfig> models,
      ProbeConfig probes,
      ExtProcConfig extProc,
      UnaryOperator<XdsConfig> xdsSettings) {
    Simulator simulator = Simulator.start(replicas);
    RoutingRig rig = null;
    try {
      prepare.accept(simulator);
      ExtProcConfig pinned =
          extProc.listeningOn(extProc.enabled(), new InetSocketAddress("127.0.0.1", EnvoyProcess.freePort()));
      rig =
          new RoutingRig(
              simulator, models, EnvoyProcess.freePort(), EnvoyProcess.freePort(), pinned, xdsSettings);
      rig.startControlPlane(probes);
      rig.envoy = EnvoyProcess.startWithAds(rig.xdsPort);
      await().atMost(ENVOY_START).until(rig.envoy::ready);
      rig.client = new InferenceClient(rig.listenerPort);
      return rig;
    } catch (IOException | RuntimeException e) {
      if (rig != null) {
        rig.close();
      } else {
        simulator.close();
      }
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /** As above with {@link #FAST_PROBES}; {@code prepare} sets the replicas' models before the first probe. */
  public static RoutingRig start(SimulatorOptions replicas, Consumer<Simulator> prepare, List<ModelConfig> models) {
    return start(replicas, prepare, models, FAST_PROBES);
  }

  /** Starts a control plane on the rig's xDS port (the same one after a restart). */
  public void startControlPlane(ProbeConfig probes) {
    if (controlPlane != null) {
      throw new IllegalStateException("control plane already running");
    }
    controlPlane = ModelgateServer.start(config(probes), ModelgateServer.Mode.CONTROL_PLANE);
  }

  public void stopControlPlane() {
    controlPlane.close();
    controlPlane = null;
  }

  private ModelgateConfig config(ProbeConfig probes) {
    List<ReplicaConfig> replicas =
        simulator.replicas().stream()
            .map(r -> new ReplicaConfig(r.id(), r.host(), r.grpcPort(), r.restPort(), Protocol.GRPC))
            .toList();
    XdsConfig xds =
        new XdsConfig(
            new InetSocketAddress("127.0.0.1", xdsPort),
            new InetSocketAddress("127.0.0.1", listenerPort),
            Duration.ofMillis(250),
            2);
    return new ModelgateConfig(
        replicas, models, probes, ListenConfig.loopbackEphemeral(), xdsSettings.apply(xds), extProc);
  }

  public SimulatedReplica replica(String id) {
    return simulator.replica(id);
  }

  public ModelgateServer controlPlane() {
    return controlPlane;
  }

  public EnvoyProcess envoy() {
    return envoy;
  }

  public InferenceClient client() {
    return client;
  }

  public int listenerPort() {
    return listenerPort;
  }

  /** Envoy's view of every modelgate host now. */
  public EnvoyHosts hosts() {
    return EnvoyHosts.parse(admin("/clusters"));
  }

  /** Waits until Envoy routes (or stops routing) {@code cluster} traffic to {@code replica}. */
  public void awaitRoutable(String cluster, String replica, boolean routable) {
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> hosts().routable(cluster, replica) == routable);
  }

  /**
   * Configuration updates Envoy rejected (NACKed), summed over every {@code *update_rejected}
   * counter: LDS, RDS, CDS, and EDS per cluster.
   */
  public long rejectedUpdates() {
    Matcher matcher = REJECTED.matcher(admin("/stats?filter=update_rejected"));
    long total = 0;
    while (matcher.find()) {
      total += Long.parseLong(matcher.group(2));
    }
    return total;
  }

  /** One Envoy counter by its full name (0 when Envoy has not created it yet). */
  public long counter(String name) {
    Matcher matcher =
        Pattern.compile("(?m)^" + Pattern.quote(name) + ": (\\d+)$")
            .matcher(admin("/stats?usedonly"));
    return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
  }

  /** Envoy's {@code control_plane.connected_state}: 1 while its ADS stream is up. */
  public boolean envoyConnectedToControlPlane() {
    return admin("/stats?filter=control_plane.connected_state").contains("control_plane.connected_state: 1");
  }

  public String admin(String path) {
    try {
      return envoy.admin(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Checks that Envoy rejected no configuration update of this rig's, then closes it either way. */
  public void closeExpectingNoRejectedUpdate() {
    try {
      assertThat(rejectedUpdates()).as("configuration updates Envoy rejected").isZero();
    } finally {
      close();
    }
  }

  @Override
  public void close() {
    try {
      if (client != null) {
        client.close();
      }
      if (envoy != null) {
        envoy.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (controlPlane != null) {
        controlPlane.close();
      }
      simulator.close();
    }
  }
}
