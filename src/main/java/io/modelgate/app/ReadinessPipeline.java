package io.modelgate.app;

import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.probing.ModelStatusProbes;
import io.modelgate.probing.ProbeLoopHeartbeat;
import io.modelgate.probing.Prober;
import io.modelgate.readiness.ReadinessCache;
import io.modelgate.sources.MergedSources;
import io.modelgate.view.HealthViewPublisher;
import io.modelgate.view.HealthViewSource;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The probing side of modelgate wired together along the data flow: replica sources (merged),
 * prober, readiness cache and health view publisher. Besides the sources' own threads it owns
 * three daemon threads (probe timer, readiness writer, view writer), which keep the prober from
 * ever waiting on the cache, and the cache from ever waiting on a view listener. Build it, {@link
 * #start()} it, read {@link #view()}, {@link #close()} it. Thread-safe.
 */
public final class ReadinessPipeline implements AutoCloseable {
  private final ScheduledExecutorService timer = DaemonThreads.scheduler("modelgate-probe-timer");
  private final ExecutorService readinessWriter = DaemonThreads.single("modelgate-readiness");
  private final ExecutorService viewWriter = DaemonThreads.single("modelgate-view");
  private final ReplicaSources configuredSources;
  private final MergedSources sources;
  private final HealthViewPublisher publisher;
  private final Prober prober;

  private ReadinessPipeline(ModelgateConfig config, Clock clock) {
    this.publisher =
        new HealthViewPublisher(config.models(), config.probe().startupTimeout(), clock, viewWriter);
    ReadinessCache cache =
        new ReadinessCache(
            config.models(),
            config.probe(),
            publisher,
            readinessWriter,
            clock,
            Ticker.systemTicker(),
            Scheduler.forScheduledExecutorService(timer));
    ModelStatusProbes probes = new ModelStatusProbes(config.probe().timeout());
    this.prober = new Prober(config.models(), config.probe(), probes::open, cache, timer, clock);
    this.configuredSources = new ReplicaSources(clock);
    this.sources =
        new MergedSources(configuredSources.entries(config), config.probe().startupTimeout(), clock);
  }

  /** A pipeline probing the replicas of the configured sources, on the system clock. */
  public static ReadinessPipeline create(ModelgateConfig config) {
    return create(config, Clock.systemUTC());
  }

  public static ReadinessPipeline create(ModelgateConfig config, Clock clock) {
    return new ReadinessPipeline(config, clock);
  }

  /** Starts the sources, the probe rounds and the startup timeout. */
  public void start() {
    publisher.start(timer);
    prober.start();
    sources.start(prober::replicasChanged);
  }

  /**
   * Follows a reloaded configuration's models and replica sources; other settings are read at
   * start only. Called by one thread at a time.
   */
  public synchronized void reconfigure(ModelgateConfig config) {
    prober.modelsChanged(config.models());
    sources.replace(configuredSources.entries(config));
  }

  public HealthViewSource view() {
    return publisher;
  }

  public ProbeLoopHeartbeat heartbeat() {
    return prober;
  }

  /** For out-of-band probes ({@link Prober#reprobe}) and counters. */
  public Prober prober() {
    return prober;
  }

  /** Stops discovery and probing, then lets already-enqueued changes drain into the view. */
  @Override
  public void close() {
    sources.close();
    prober.close();
    publisher.close();
    timer.shutdownNow();
    shutDownInOrder(readinessWriter);
    shutDownInOrder(viewWriter);
  }

  private static void shutDownInOrder(ExecutorService executor) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
