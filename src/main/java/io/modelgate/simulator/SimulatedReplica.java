package io.modelgate.simulator;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.modelgate.probing.VersionState;
import io.modelgate.probing.VersionStatus;
import io.modelgate.tfserving.framework.Code;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated TensorFlow Serving replica: a gRPC server (ModelService, PredictionService with
 * all five RPCs) and a REST server on loopback, over one {@link ModelRegistry}, with scriptable
 * faults (hang, latency, stop/start on the same ports, {@link Misbehaviour}s on the wire).
 * Thread-safe: model state is lock-free, fault flags are volatile, and the running servers are
 * swapped through an {@link AtomicReference}. stop(), start(), misbehave() and behave() are meant
 * to be called by one controller at a time.
 */
public final class SimulatedReplica implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SimulatedReplica.class);
  private static final long GRPC_TERMINATION_SECONDS = 5;

  /** What listens now; on the gRPC port either the gRPC server or, while misbehaving, an impostor. */
  private record Servers(Server grpc, MisbehavingGrpcPort impostor, HttpServer rest) {}

  private final String id;
  private final String host;
  private final ExecutorService workers;
  private final ModelRegistry registry;
  private final Servables servables;
  private final ResponseGate gate;
  private final ModelServiceImpl modelService;
  private final PredictionServiceImpl predictionService;
  private final ReplicaIdInterceptor replicaIdInterceptor;
  private final MisbehavingRestHandler restHandler;
  private final AtomicReference<Servers> running = new AtomicReference<>();
  private volatile int grpcPort;
  private volatile int restPort;
  private volatile Misbehaviour misbehaviour;

  SimulatedReplica(
      String id,
      String host,
      int grpcPort,
      int restPort,
      ScheduledExecutorService scheduler,
      ExecutorService workers,
      Duration loadTime,
      Duration unloadTime) {
    this.id = id;
    this.host = host;
    this.grpcPort = grpcPort;
    this.restPort = restPort;
    this.workers = workers;
    this.registry = new ModelRegistry(id, scheduler, loadTime, unloadTime);
    this.servables = new Servables(registry);
    this.gate = new ResponseGate(scheduler, workers);
    GatedAnswers answers = new GatedAnswers(gate);
    this.modelService = new ModelServiceImpl(registry, answers);
    this.predictionService = new PredictionServiceImpl(servables, answers);
    this.replicaIdInterceptor = new ReplicaIdInterceptor(id);
    this.restHandler =
        new MisbehavingRestHandler(id, new RestApiHandler(id, registry, new Predictor(servables), gate));
  }

  public String id() {
    return id;
  }

  public String host() {
    return host;
  }

  /** The gRPC port; fixed after the first start, kept across stop() and start(). */
  public int grpcPort() {
    return grpcPort;
  }

  /** The REST port; fixed after the first start, kept across stop() and start(). */
  public int restPort() {
    return restPort;
  }

  /** START -> LOADING -> AVAILABLE using the default load time (0 = AVAILABLE at once). */
  public void loadModel(String model, long version) {
    registry.load(model, version, registry.defaultLoadTime());
  }

  public void loadModel(String model, long version, Duration loadTime) {
    registry.load(model, version, loadTime);
  }

  /** LOADING, then END with status {UNKNOWN, errorMessage} after the default load time. */
  public void failLoad(String model, long version, String errorMessage) {
    failLoad(model, version, Code.UNKNOWN, errorMessage);
  }

  public void failLoad(String model, long version, Code errorCode, String errorMessage) {
    registry.failLoad(model, version, errorCode, errorMessage, registry.defaultLoadTime());
  }

  /** AVAILABLE -> UNLOADING -> END using the default unload time (0 = END at once). */
  public void unloadModel(String model, long version) {
    registry.unload(model, version, registry.defaultUnloadTime());
  }

  public void unloadModel(String model, long version, Duration unloadTime) {
    registry.unload(model, version, unloadTime);
  }

  /** Sets a state directly (status OK), cancelling that version's pending timed step. */
  public void setState(String model, long version, VersionState state) {
    registry.set(model, version, state);
  }

  /** Forgets every version of the model, with no transition: then NOT_FOUND / 404. */
  public void dropModel(String model) {
    registry.drop(model);
  }

  /** Loads {@code newVersion}; once it is AVAILABLE, unloads every other AVAILABLE version. */
  public void rollTo(String model, long newVersion) {
    registry.rollTo(model, newVersion);
  }

  /** TF Serving's version_labels for the model, used by Predict with a version_label. */
  public void setLabels(String model, Map<String, Long> labels) {
    registry.setLabels(model, labels);
  }

  /** While hung, both ports accept connections and requests but never answer. */
  public void hang(boolean hang) {
    gate.hang(hang);
    log.info("{}: {}", id, hang ? "hung (accepts requests, never answers)" : "answering again");
  }

  public boolean hung() {
    return gate.hung();
  }

  /** Answers every request this much later (zero: at once). */
  public void setLatency(Duration latency) {
    gate.latency(latency);
    log.info("{}: latency {} ms", id, latency.toMillis());
  }

  public Duration latency() {
    return gate.latency();
  }

  /**
   * From now on both ports answer every request the wrong way {@code how} says, until {@link
   * #behave()}. The gRPC server leaves its port to a raw responder: its open calls are cut.
   */
  public void misbehave(Misbehaviour how) {
    Objects.requireNonNull(how, "how");
    misbehaviour = how;
    restHandler.misbehave(how);
    swapGrpcPort();
    log.info("{}: misbehaving on the wire: {}", id, how);
  }

  /** Answers properly again; the gRPC server takes its port back. */
  public void behave() {
    misbehaviour = null;
    restHandler.misbehave(null);
    swapGrpcPort();
    log.info("{}: behaving again", id);
  }

  public Optional<Misbehaviour> misbehaviour() {
    return Optional.ofNullable(misbehaviour);
  }

  /** Requests currently held unanswered by a hang. */
  public int heldRequests() {
    return gate.heldCount();
  }

  /**
   * Successful PredictionService answers for the model since the simulator started: every RPC
   * (Predict, Classify, Regress, MultiInference, GetModelMetadata) over gRPC, and REST predict.
   */
  public long requestCount(String model) {
    return servables.servedCount(model);
  }

  /** GetModelStatus calls per model name since the simulator started (what probes cost a replica). */
  public Map<String, Long> statusCallCounts() {
    return modelService.calls();
  }

  /** Every tracked version per model (models alphabetical, versions ascending). */
  public Map<String, List<VersionStatus>> modelStatus() {
    ModelTable table = registry.snapshot();
    Map<String, List<VersionStatus>> status = new LinkedHashMap<>();
    for (String model : table.models()) {
      status.put(model, table.versionsOf(model).stream().map(TrackedVersion::toVersionStatus).toList());
    }
    return status;
  }

  public boolean stopped() {
    return running.get() == null;
  }

  /** Binds both ports (the same ones as before after a stop); does nothing when running. */
  public void start() {
    if (running.get() != null) {
      return;
    }
    Servers servers = bindGrpcPort(null);
    HttpServer rest;
    try {
      rest = HttpServer.create(new InetSocketAddress(host, restPort), 0);
    } catch (IOException e) {
      closeGrpcPort(servers);
      throw new UncheckedIOException(id + ": cannot bind REST " + host + ":" + restPort, e);
    }
    rest.createContext("/", restHandler);
    rest.setExecutor(workers);
    rest.start();
    restPort = rest.getAddress().getPort();
    if (!running.compareAndSet(null, new Servers(servers.grpc(), servers.impostor(), rest))) {
      closeGrpcPort(servers);
      rest.stop(0);
      return;
    }
    log.info("{}: up, grpc={}:{} rest={}:{}", id, host, grpcPort, host, restPort);
  }

  /** Replica down: both ports closed at once (connection refused), open calls cut. */
  public void stop() {
    Servers servers = running.getAndSet(null);
    if (servers == null) {
      return;
    }
    servers.rest().stop(0);
    closeGrpcPort(servers);
    gate.releaseAll();
    log.info("{}: down", id);
  }

  /**
   * Binds the gRPC port (the one already chosen, or a free one the first time) with the gRPC
   * server, or with a raw responder while misbehaving; returns them with no REST server.
   */
  private Servers bindGrpcPort(HttpServer rest) {
    Misbehaviour how = misbehaviour;
    try {
      if (how != null) {
        MisbehavingGrpcPort impostor = MisbehavingGrpcPort.start(id, host, grpcPort, how, workers);
        return new Servers(null, impostor, rest);
      }
      Server grpc =
          NettyServerBuilder.forAddress(new InetSocketAddress(host, grpcPort))
              // The raw responder that held the port may leave closed connections in TIME_WAIT.
              .withOption(ChannelOption.SO_REUSEADDR, true)
              .executor(workers)
              .addService(ServerInterceptors.intercept(modelService, replicaIdInterceptor))
              .addService(ServerInterceptors.intercept(predictionService, replicaIdInterceptor))
              .build()
              .start();
      grpcPort = grpc.getPort();
      return new Servers(grpc, null, rest);
    } catch (IOException e) {
      throw new UncheckedIOException(id + ": cannot bind gRPC " + host + ":" + grpcPort, e);
    }
  }

  /** Closes whatever holds the gRPC port and waits until the port is free to bind again. */
  private void closeGrpcPort(Servers servers) {
    if (servers.impostor() != null) {
      servers.impostor().close();
      return;
    }
    servers.grpc().shutdownNow();
    try {
      servers.grpc().awaitTermination(GRPC_TERMINATION_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** While running, hands the gRPC port to whichever server the current misbehaviour calls for. */
  private void swapGrpcPort() {
    Servers current = running.get();
    if (current == null) {
      return; // start() binds the right one
    }
    closeGrpcPort(current);
    running.set(rebindGrpcPort(current.rest()));
  }

  /**
   * Binds the port just released, retrying for a moment: the kernel may still hold it briefly
   * for connections the previous holder had accepted (seen once in CI as "cannot bind").
   */
  private Servers rebindGrpcPort(HttpServer rest) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (true) {
      try {
        return bindGrpcPort(rest);
      } catch (UncheckedIOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return id + " grpc=" + host + ":" + grpcPort + " rest=" + host + ":" + restPort;
  }
}
