package io.modelgate.demo;

import io.modelgate.app.ModelgateServer;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.config.Protocol;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.config.XdsConfig;
import io.modelgate.simulator.Simulator;
import io.modelgate.simulator.SimulatedReplica;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One run of {@code modelgate demo}: simulated TF Serving replicas, a modelgate control plane and
 * a real Envoy, all on loopback, with open-loop Predict traffic through Envoy while the {@link
 * RolloutScript} changes the replicas; prints state changes, steps and counts, and returns what
 * it measured.
 *
 * <p>{@link #run()} is called once, by one thread. {@link #close()} may come from any thread
 * (a shutdown hook on Ctrl-C) at any time: it cuts the current pause short and stops, in
 * order, traffic, Envoy, modelgate and the simulator. Closing twice is harmless.
 */
public final class Demo implements AutoCloseable {
  private static final String LOOPBACK = "127.0.0.1";
  private static final Duration ENVOY_READY_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_IN_FLIGHT = 1000;
  private static final int MAX_FAILURE_LINES = 8;
  private static final Duration ROUTING_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration RETRY_PAUSE = Duration.ofMillis(100);

  private final DemoSettings settings;
  private final PrintWriter out;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final Tally tally = new Tally();
  private volatile int step;
  // Set by run() as things start; closed by close(). Guarded by this.
  private final List<AutoCloseable> started = new ArrayList<>();
  private boolean closed;

  Demo(DemoSettings settings, PrintWriter out) {
    this.settings = settings;
    this.out = out;
  }

  /**
   * Runs the whole demo and prints its report.
   *
   * @throws DemoSetupException when Envoy or its bootstrap is missing, or Envoy never gets ready
   */
  DemoResult run() throws DemoSetupException, InterruptedException {
    Console console = new Console(out, System.nanoTime());
    Path binary = EnvoyLauncher.findBinary(settings.envoy(), settings.searchPath());
    if (!Files.isReadable(settings.bootstrap())) {
      throw new DemoSetupException(
          "no Envoy bootstrap at "
              + settings.bootstrap().toAbsolutePath()
              + ": run the demo from the modelgate repository root, or pass --bootstrap");
    }
    List<RolloutStep> steps = RolloutScript.steps();

    Simulator simulator = keep(Simulator.start(RolloutScript.simulator(settings.speed())));
    RolloutScript.prepare(simulator);
    console.event("simulated TF Serving replicas, model " + PredictClient.MODEL + ":");
    simulator.replicas().forEach(r -> console.detail(r.toString()));

    InetSocketAddress listener = new InetSocketAddress(LOOPBACK, portOrFree(settings.listenerPort()));
    ModelgateServer modelgate;
    try {
      modelgate = keep(ModelgateServer.start(config(simulator, listener), ModelgateServer.Mode.CONTROL_PLANE));
    } catch (UncheckedIOException e) {
      throw new DemoSetupException("modelgate " + e.getMessage(), e);
    }
    console.event(
        "modelgate control plane: xDS (ADS) on " + LOOPBACK + ":" + modelgate.xdsPort()
            + ", health gRPC on " + LOOPBACK + ":" + modelgate.grpcPort()
            + ", HTTP on http://" + LOOPBACK + ":" + modelgate.httpPort() + "/status");
    keep(new HealthChangePrinter(modelgate.view(), console));

    int adminPort = portOrFree(settings.adminPort());
    EnvoyLauncher envoy = keep(EnvoyLauncher.start(binary, settings.bootstrap(), modelgate.xdsPort(), adminPort));
    console.event("envoy " + binary + " started, admin http://" + LOOPBACK + ":" + adminPort + ", log " + envoy.log());
    envoy.awaitReady(ENVOY_READY_TIMEOUT);
    console.event("envoy LIVE: inference listener " + LOOPBACK + ":" + listener.getPort());

    List<PredictClient> clients = List.of(
            keep(new RestPredictClient(listener, PredictClient.MODEL)),
            keep(new GrpcPredictClient(listener, PredictClient.MODEL, /* routingHeader= */ false)));
    awaitRouting(clients);
    console.event("Predict answers through Envoy on both protocols");
    LoadGenerator load =
        keep(new LoadGenerator(clients, settings.rate(), settings.deadline(), MAX_IN_FLIGHT, () -> step, tally));
    load.start();
    console.event(
        String.format(
            Locale.ROOT,
            "traffic: %.0f Predict/s through Envoy, REST and gRPC alternating, deadline %d ms",
            settings.rate(),
            settings.deadline().toMillis()));

    for (int i = 0; i < steps.size() && stopping.getCount() > 0; i++) {
      RolloutStep current = steps.get(i);
      console.event(DemoReport.stepStart(i, steps.size(), current.name()));
      current.action().accept(simulator);
      // After the action: every call counted in a step was sent once the step's change was made.
      step = i;
      stopping.await(RolloutScript.scale(current.hold(), settings.speed()).toNanos(), TimeUnit.NANOSECONDS);
      printCounts(console, tally.step(i));
    }
    if (!load.stop(settings.deadline().plus(Duration.ofSeconds(2)))) {
      console.event("some calls were still open when the demo stopped waiting for them");
    }

    List<Tally.StepCounts> counts = new ArrayList<>();
    console.plain("");
    console.plain("per step (final):");
    for (int i = 0; i < steps.size(); i++) {
      Tally.StepCounts c = tally.step(i);
      counts.add(c);
      console.plain(DemoReport.stepStart(i, steps.size(), steps.get(i).name()));
      printCounts(console, c);
    }
    Tally.Summary summary = tally.summary();
    console.plain(DemoReport.split(summary.byApi()));
    console.plain(DemoReport.summary(summary.all()));
    return new DemoResult(summary, counts);
  }

  /**
   * Waits until one Predict per protocol succeeds through Envoy. LIVE only says Envoy has its
   * first configuration, which may predate the first READY replica.
   */
  private void awaitRouting(List<PredictClient> clients) throws DemoSetupException, InterruptedException {
    long deadline = System.nanoTime() + ROUTING_TIMEOUT.toNanos();
    for (PredictClient client : clients) {
      while (true) {
        try {
          client.predict(settings.deadline()).get();
          break;
        } catch (ExecutionException e) {
          if (System.nanoTime() > deadline || stopping.getCount() == 0) {
            throw new DemoSetupException(
                "envoy is LIVE but " + client.api() + " Predict through it still fails after "
                    + ROUTING_TIMEOUT.toSeconds() + " s: " + e.getCause().getMessage());
          }
          Thread.sleep(RETRY_PAUSE.toMillis());
        }
      }
    }
  }

  private static void printCounts(Console console, Tally.StepCounts counts) {
    console.detail(DemoReport.stepCounts(counts, RolloutScript.REPLICA_IDS));
    List<Tally.FailureGroup> failures = counts.failures();
    for (Tally.FailureGroup failure : failures.subList(0, Math.min(failures.size(), MAX_FAILURE_LINES))) {
      console.detail(
          DemoReport.failure(
              failure, console.sinceStart(failure.firstSentNanos()), console.sinceStart(failure.lastSentNanos())));
    }
    if (failures.size() > MAX_FAILURE_LINES) {
      console.detail("... and " + (failures.size() - MAX_FAILURE_LINES) + " more kinds of failure");
    }
  }

  private ModelgateConfig config(Simulator simulator, InetSocketAddress listener) {
    List<ReplicaConfig> replicas = new ArrayList<>();
    for (SimulatedReplica replica : simulator.replicas()) {
      replicas.add(new ReplicaConfig(replica.id(), replica.host(), replica.grpcPort(), replica.restPort(), Protocol.GRPC));
    }
    // Fast probes, so that the demo shows changes within a fraction of a second.
    ProbeConfig probe =
        new ProbeConfig(
            Duration.ofMillis(250), Duration.ofMillis(200), 1, 2, Duration.ofSeconds(1), 64, 0.1, Duration.ofSeconds(5), Duration.ofMillis(100));
    XdsConfig defaults = XdsConfig.defaults();
    XdsConfig xds =
        new XdsConfig(
            new InetSocketAddress(LOOPBACK, settings.xdsPort()), listener, defaults.connectTimeout(), defaults.retries());
    return new ModelgateConfig(
        replicas,
        List.of(ModelConfig.any(PredictClient.MODEL)),
        probe,
        ListenConfig.loopbackEphemeral(),
        xds,
        ExtProcConfig.loopbackEphemeral());
  }

  private static int portOrFree(int port) throws DemoSetupException {
    if (port != 0) {
      return port;
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new DemoSetupException("cannot find a free loopback port: " + e.getMessage(), e);
    }
  }

  /** Registers something to close; if the demo is already closing, closes it at once. */
  private <T extends AutoCloseable> T keep(T resource) throws DemoSetupException {
    boolean closeNow;
    synchronized (this) {
      closeNow = closed;
      if (!closeNow) {
        started.add(resource);
      }
    }
    if (closeNow) {
      closeQuietly(resource);
      throw new DemoSetupException("stopped before it was fully started");
    }
    return resource;
  }

  /** Stops everything started so far, newest first. */
  @Override
  public synchronized void close() {
    stopping.countDown();
    if (closed) {
      return;
    }
    closed = true;
    for (int i = started.size() - 1; i >= 0; i--) {
      closeQuietly(started.get(i));
    }
  }

  private static void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      System.err.println("modelgate demo: stopping " + resource.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
