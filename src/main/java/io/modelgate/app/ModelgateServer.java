package io.modelgate.app;

import io.grpc.Server;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.modelgate.admin.AdminHandler;
import io.modelgate.admin.AdminHttpServer;
import io.modelgate.admin.StatusHandler;
import io.modelgate.admin.XdsStatusHandler;
import io.modelgate.config.ConfigException;
import io.modelgate.config.ConfigLoader;
import io.modelgate.config.ExtProcConfig;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.extproc.ExtProcCounters;
import io.modelgate.extproc.ExtProcServer;
import io.modelgate.extproc.ExternalProcessorService;
import io.modelgate.extproc.PassiveDetector;
import io.modelgate.grpcserver.GrpcServerPolicy;
import io.modelgate.health.HealthHttpHandler;
import io.modelgate.health.HealthService;
import io.modelgate.view.HealthViewSource;
import io.modelgate.xds.AppliedViews;
import io.modelgate.xds.EnvoyResources;
import io.modelgate.xds.XdsServer;
import io.modelgate.xds.XdsSnapshotPublisher;
import io.modelgate.xds.XdsStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running modelgate: the readiness pipeline probing the configured replicas, grpc.health.v1
 * (with reflection) on {@code listen.grpc}, the HTTP twins plus {@code /status} on
 * {@code listen.http}, and in control-plane mode the ADS server for Envoy on {@code xds.listen}.
 * The sidecar is the same without xDS.
 *
 * <p>Start with {@link #start}, stop with {@link #close()}: health turns NOT_SERVING first so
 * watchers hear it, then the servers stop, then probing. Failure to bind a port fails the start
 * with the setting and address named, and releases whatever was already started.
 */
public final class ModelgateServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelgateServer.class);

  private final ReadinessPipeline pipeline;
  private final ScheduledExecutorService healthTicks;
  private final HealthService health;
  private final Server grpc;
  private final AdminHttpServer http;
  private final Xds xds;

  /**
   * The ADS server and the publisher feeding it, and the gateway filter's ext_proc service if
   * enabled; absent in sidecar mode.
   */
  private record Xds(XdsServer server, XdsSnapshotPublisher publisher, Gateway gateway, AppliedViews applied)
      implements AutoCloseable {
    static Xds start(ModelgateConfig config, ReadinessPipeline pipeline) {
      AppliedViews applied = new AppliedViews(pipeline.view());
      Gateway gateway = config.extProc().enabled() ? Gateway.start(config, pipeline, applied) : null;
      XdsServer server;
      try {
        server =
            bind(
                "xds.listen",
                config.xds().listen(),
                () -> new XdsServer(config.xds().listen(), config.xds().nodeGroup(), applied));
      } catch (RuntimeException e) {
        if (gateway != null) {
          gateway.close();
        }
        applied.close();
        throw e;
      }
      EnvoyResources resources =
          new EnvoyResources(config, Optional.ofNullable(gateway).map(Gateway::envoyAddress));
      XdsSnapshotPublisher publisher = new XdsSnapshotPublisher(resources, server, pipeline.view(), applied);
      return new Xds(server, publisher, gateway, applied);
    }

    XdsStatus status() {
      return XdsStatus.of(server, publisher);
    }

    @Override
    public void close() throws Exception {
      publisher.close();
      server.close();
      if (gateway != null) {
        gateway.close();
      }
      applied.close();
    }
  }

  /** The ext_proc service of the gateway filter and the server it listens on. */
  private record Gateway(
      ExtProcServer server,
      ExternalProcessorService service,
      ExtProcConfig config,
      Optional<PassiveDetector> passive)
      implements AutoCloseable {
    /** The gateway decides on the views Envoy has applied, so what it lets through finds a replica. */
    static Gateway start(ModelgateConfig config, ReadinessPipeline pipeline, HealthViewSource applied) {
      ExtProcConfig settings = config.extProc();
      Optional<PassiveDetector> passive =
          settings.passive()
              ? Optional.of(
                  new PassiveDetector(pipeline.view(), pipeline.prober(), config.probe().interval()))
              : Optional.empty();
      ExternalProcessorService service =
          new ExternalProcessorService(
              applied,
              settings.maxRequestBytes(),
              passive,
              settings.hold(),
              settings.maxHeld(),
              pipeline.prober());
      service.warmUp();
      ExtProcServer server;
      try {
        server =
            bind(
                "extproc.listen",
                settings.listen(),
                () -> ExtProcServer.start(settings.listen(), service, settings.maxRequestBytes()));
      } catch (RuntimeException e) {
        service.close();
        throw e;
      }
      log.info(
          "gateway filter (ext_proc) on {}:{}, reached by Envoy at {}",
          settings.listen().getHostString(),
          server.port(),
          settings.envoyAddress().map(a -> a.getHostString() + ":" + a.getPort()).orElse("that address"));
      return new Gateway(server, service, settings, passive);
    }

    /** Where Envoy reaches the service: as configured, else the listen host with the bound port. */
    InetSocketAddress envoyAddress() {
      return config
          .envoyAddress()
          .orElseGet(
              () -> InetSocketAddress.createUnresolved(config.listen().getHostString(), server.port()));
    }

    @Override
    public void close() {
      passive.ifPresent(PassiveDetector::close);
      try {
        // First the server, which cuts held requests' streams (Envoy then fails them open).
        server.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      service.close();
    }
  }

  /** What a modelgate process serves besides health. */
  public enum Mode {
    /** Health only, for one local replica. */
    SIDECAR,
    /** Health and xDS for Envoy. */
    CONTROL_PLANE
  }

  private ModelgateServer(
      ReadinessPipeline pipeline,
      ScheduledExecutorService healthTicks,
      HealthService health,
      Server grpc,
      AdminHttpServer http,
      Xds xds) {
    this.pipeline = pipeline;
    this.healthTicks = healthTicks;
    this.health = health;
    this.grpc = grpc;
    this.http = http;
    this.xds = xds;
  }

  /** The names bind errors give the two listen addresses: the file's fields, or the options. */
  public record ListenFields(String grpc, String http) {
    public static final ListenFields FILE = new ListenFields("listen.grpc", "listen.http");
  }

  /** A start that may fail to bind. */
  private interface Binding<T> {
    T start() throws IOException;
  }

  /**
   * Starts a server on {@code address}; a failure to bind names the setting and the address
   * ({@code listen.http 127.0.0.1:8080: Address already in use}).
   */
  private static <T> T bind(String field, InetSocketAddress address, Binding<T> binding) {
    try {
      return binding.start();
    } catch (IOException | UncheckedIOException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String reason = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
      // Netty's native transport prefixes the system call: "bind(..) failed: Address already in use".
      reason = reason.replaceFirst("^bind\\(\\.\\.\\) failed: ", "");
      IOException cause = e instanceof IOException io ? io : ((UncheckedIOException) e).getCause();
      throw new UncheckedIOException(field + " " + ListenConfig.format(address) + ": " + reason, cause);
    }
  }

  public static ModelgateServer start(ModelgateConfig config, Mode mode) {
    return start(config, mode, ListenFields.FILE);
  }

  /**
   * Starts every server of {@code mode}.
   *
   * @param fields how bind errors name {@code listen.grpc} and {@code listen.http}
   * @throws UncheckedIOException when an address cannot be bound, naming its setting and address
   */
  static ModelgateServer start(ModelgateConfig config, Mode mode, ListenFields fields) {
    ReadinessPipeline pipeline = ReadinessPipeline.create(config);
    ScheduledExecutorService healthTicks =
        DaemonThreads.scheduler("modelgate-health-tick");
    HealthService health =
        HealthService.start(pipeline.view(), pipeline.heartbeat(), Clock.systemUTC(), healthTicks);
    Server grpc = null;
    AdminHttpServer http = null;
    Xds xds = null;
    try {
      GrpcServerPolicy healthPolicy = GrpcServerPolicy.health();
      grpc =
          bind(
              fields.grpc(),
              config.listen().grpc(),
              () ->
                  healthPolicy
                      .newBuilder(config.listen().grpc())
                      .addService(healthPolicy.guard(health.bindableService()))
                      .addService(healthPolicy.guard(ProtoReflectionServiceV1.newInstance()))
                      .build()
                      .start());
      Map<String, AdminHandler> routes = AdminRoutes.health(new HealthHttpHandler(health));
      routes.put(StatusHandler.PATH, new StatusHandler(pipeline.view()));
      if (mode == Mode.CONTROL_PLANE) {
        xds = Xds.start(config, pipeline);
        routes.put(XdsStatusHandler.PATH, new XdsStatusHandler(xds::status));
      }
      http = bind(fields.http(), config.listen().http(), () -> AdminHttpServer.start(config.listen(), routes));
      pipeline.start();
      log.info(
          "modelgate probing {} models on {}; gRPC health on {}, HTTP on {}",
          config.models().size(),
          describeSources(config),
          grpc.getListenSockets(),
          http.address());
      return new ModelgateServer(pipeline, healthTicks, health, grpc, http, xds);
    } catch (UncheckedIOException e) {
      if (grpc != null) {
        grpc.shutdownNow();
      }
      if (http != null) {
        http.close();
      }
      if (xds != null) {
        closeXds(xds);
      }
      health.close();
      healthTicks.shutdownNow();
      pipeline.close();
      throw e;
    }
  }

  /**
   * Loads the configuration, starts, and serves until the JVM is asked to stop (SIGTERM,
   * Ctrl-C). A configuration error is printed as one line and gives exit code 2; a port that
   * cannot be bound gives 1.
   */
  static int runUntilShutdown(Supplier<ModelgateConfig> config, Mode mode) {
    return runUntilShutdown(config, mode, ListenFields.FILE, Optional.empty());
  }

  /**
   * As {@link #runUntilShutdown(Supplier, Mode)} for the configuration file {@code file}, which is
   * reloaded when it changes or on SIGHUP ({@link ConfigReloader}).
   */
  static int runUntilShutdown(Path file, Mode mode) {
    return runUntilShutdown(() -> ConfigLoader.load(file), mode, ListenFields.FILE, Optional.of(file));
  }

  /** As {@link #runUntilShutdown(Supplier, Mode)}, naming the listen addresses {@code fields}. */
  static int runUntilShutdown(Supplier<ModelgateConfig> config, Mode mode, ListenFields fields) {
    return runUntilShutdown(config, mode, fields, Optional.empty());
  }

  private static int runUntilShutdown(
      Supplier<ModelgateConfig> config, Mode mode, ListenFields fields, Optional<Path> reloadFrom) {
    ModelgateConfig loaded;
    try {
      loaded = config.get();
    } catch (ConfigException e) {
      System.err.println("modelgate: " + e.getMessage());
      return 2;
    }
    ModelgateServer server;
    try {
      server = start(loaded, mode, fields);
    } catch (UncheckedIOException e) {
      System.err.println("modelgate: " + e.getMessage());
      return 1;
    }
    Optional<ConfigReloader> reloader =
        reloadFrom.map(file -> new ConfigReloader(file, loaded, server::reconfigure));
    reloader.ifPresent(ConfigReloader::start);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  reloader.ifPresent(ConfigReloader::close);
                  server.close();
                  stopped.countDown();
                },
                "modelgate-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private static String describeSources(ModelgateConfig config) {
    int sources = config.sources().size();
    String staticList = config.replicas().isEmpty() ? "" : config.replicas().size() + " static replicas";
    if (sources == 0) {
      return staticList;
    }
    return (staticList.isEmpty() ? "" : staticList + " and ") + sources + " discovery sources";
  }

  /** Follows a reloaded configuration's models and replica sources (see {@link ConfigReloader}). */
  public void reconfigure(ModelgateConfig config) {
    pipeline.reconfigure(config);
  }

  public HealthViewSource view() {
    return pipeline.view();
  }

  public HealthService health() {
    return health;
  }

  public ReadinessPipeline pipeline() {
    return pipeline;
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public int httpPort() {
    return http.port();
  }

  /** The ext_proc port of the gateway filter; only in control-plane mode with it enabled. */
  public int extProcPort() {
    if (xds == null || xds.gateway() == null) {
      throw new IllegalStateException("no gateway filter: sidecar mode or extproc.enabled false");
    }
    return xds.gateway().server().port();
  }

  /** The ADS port; only in control-plane mode. */
  public int xdsPort() {
    if (xds == null) {
      throw new IllegalStateException("a sidecar serves no xDS");
    }
    return xds.server().port();
  }

  /** The xDS side (node groups, streams, NACKs, versions); only in control-plane mode. */
  public XdsStatus xdsStatus() {
    if (xds == null) {
      throw new IllegalStateException("a sidecar serves no xDS");
    }
    return xds.status();
  }

  /** Counts of the gateway filter's decisions and holds; empty without the filter. */
  public Optional<ExtProcCounters> gatewayCounters() {
    return Optional.ofNullable(xds)
        .map(Xds::gateway)
        .map(gateway -> gateway.service().counters());
  }

  /** Requests the gateway filter holds now for a replica to become ready (0 without the filter). */
  public int heldRequests() {
    return Optional.ofNullable(xds).map(Xds::gateway).map(g -> g.service().held()).orElse(0);
  }

  private static void closeXds(Xds xds) {
    try {
      xds.close();
    } catch (Exception e) {
      log.warn("stopping xDS: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    health.enterTerminalState();
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(2, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (xds != null) {
      // Envoy keeps its last configuration when the ADS stream goes away.
      closeXds(xds);
    }
    health.close();
    http.close();
    healthTicks.shutdownNow();
    pipeline.close();
  }
}
