package io.modelgate.health;

import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.modelgate.probing.ProbeLoopHeartbeat;
import io.modelgate.view.HealthViewSource;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * modelgate's health, served as grpc.health.v1 ({@link #bindableService()}) and read directly by
 * the HTTP twins ({@link HealthHttpHandler}). Services: {@code ""} and {@value #LIVENESS}: the
 * process and its probe loop are alive (liveness; {@code ""} is what a Kubernetes gRPC probe and
 * a plain health client ask by default); {@value #READINESS}: every configured model is ready;
 * {@code "<model>"}: that model is ready on at least one replica.
 *
 * <p>Thread-safe. Answers are computed on demand from the current {@code HealthView} and the
 * injected clock, without locks. Open Watch streams are re-evaluated on each published view (on
 * the publisher's thread, without blocking it: slow clients are coalesced, not queued) and on a
 * liveness tick on the injected scheduler, since liveness changes with time alone. After
 * {@link #enterTerminalState()} every service is NOT_SERVING for good. {@link #close()} stops
 * listening and ends open Watch streams with UNAVAILABLE; it does not shut the scheduler down.
 */
public final class HealthService implements AutoCloseable {
  /** The default service: liveness, the same answer as {@link #LIVENESS}. */
  public static final String PROCESS = "";
  /** The liveness service: the process and its probe loop are alive. */
  public static final String LIVENESS = "modelgate.liveness";
  /** The overall readiness service: every configured model has a READY replica. */
  public static final String READINESS = "modelgate.readiness";
  public static final Duration DEFAULT_LIVENESS_TICK = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(HealthService.class);

  private final HealthEvaluator evaluator;
  private final HealthGrpcService grpc;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object logLock = new Object();
  private Map<String, HealthStatus> lastLogged = Map.of(); // guarded by logLock
  // Set once by start(), before the service is handed out.
  private volatile AutoCloseable subscription;
  private volatile ScheduledFuture<?> tick;

  private HealthService(HealthEvaluator evaluator, WatchLimits watchLimits) {
    this.evaluator = evaluator;
    this.grpc = new HealthGrpcService(evaluator, watchLimits);
  }

  /** {@link #start(HealthViewSource, ProbeLoopHeartbeat, Clock, ScheduledExecutorService, Duration)} with a 1 s liveness tick. */
  public static HealthService start(
      HealthViewSource views,
      ProbeLoopHeartbeat heartbeat,
      Clock clock,
      ScheduledExecutorService scheduler) {
    return start(views, heartbeat, clock, scheduler, DEFAULT_LIVENESS_TICK);
  }

  /**
   * Starts following {@code views}; the liveness grace period before the first probe round counts
   * from now on {@code clock}. {@code livenessTick} is how often Watch streams re-check liveness.
   */
  public static HealthService start(
      HealthViewSource views,
      ProbeLoopHeartbeat heartbeat,
      Clock clock,
      ScheduledExecutorService scheduler,
      Duration livenessTick) {
    return start(views, heartbeat, clock, scheduler, livenessTick, WatchLimits.DEFAULT);
  }

  /** As above, with {@code watchLimits} instead of {@link WatchLimits#DEFAULT}. */
  static HealthService start(
      HealthViewSource views,
      ProbeLoopHeartbeat heartbeat,
      Clock clock,
      ScheduledExecutorService scheduler,
      Duration livenessTick,
      WatchLimits watchLimits) {
    Objects.requireNonNull(views, "views");
    Objects.requireNonNull(scheduler, "scheduler");
    if (livenessTick.isNegative() || livenessTick.isZero()) {
      throw new IllegalArgumentException("livenessTick must be positive, got " + livenessTick);
    }
    LivenessRule liveness = new LivenessRule(Objects.requireNonNull(heartbeat, "heartbeat"), clock.instant());
    HealthService service = new HealthService(new HealthEvaluator(views, liveness, clock), watchLimits);
    service.refresh();
    service.subscription = views.subscribe(view -> service.refresh());
    long tickNanos = livenessTick.toNanos();
    try {
      service.tick =
          scheduler.scheduleWithFixedDelay(service::refresh, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      service.closeSubscription();
      throw e;
    }
    return service;
  }

  /**
   * The grpc.health.v1.Health implementation (Check, List, Watch) to add to a gRPC server, with
   * the bounds described in {@link HealthGrpcService}: unknown service names up to 256 bytes, at
   * most 100 Watch streams per connection and 10,000 in all.
   */
  public BindableService bindableService() {
    return () -> ServerInterceptors.intercept(grpc, new ConnectionInterceptor());
  }

  /** The status of {@code service} now; {@code SERVICE_UNKNOWN} when there is no such service. */
  public HealthStatus statusOf(String service) {
    return evaluator.statusOf(Objects.requireNonNull(service, "service"));
  }

  /** Every known service and its status now: process, liveness, readiness, then each model. */
  public Map<String, HealthStatus> statuses() {
    return evaluator.statuses();
  }

  /**
   * Turns every known service NOT_SERVING and ignores all later changes, so clients move away
   * before the server shuts down. Open Watch streams hear it at once.
   */
  public void enterTerminalState() {
    if (!evaluator.freeze()) {
      log.warn("Health service is already in its terminal state");
      return;
    }
    refresh();
  }

  /** Stops following views and the tick, and ends open Watch streams with UNAVAILABLE. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    tick.cancel(/* mayInterruptIfRunning= */ false);
    closeSubscription();
    grpc.closeAll(Status.UNAVAILABLE.withDescription("health service closed"));
  }

  private void closeSubscription() {
    try {
      subscription.close();
    } catch (Exception e) {
      log.warn("Could not unsubscribe the health service from health views", e);
    }
  }

  /** Watch streams open now (read-only; operators and tests check that dropped ones are gone). */
  public int watcherCount() {
    return grpc.watcherCount();
  }

  /** Logs each status change once, then lets open Watch streams catch up. */
  private void refresh() {
    try {
      Map<String, HealthStatus> now = evaluator.statuses();
      synchronized (logLock) {
        logChanges(lastLogged, now);
        lastLogged = now;
      }
      grpc.notifyWatchers();
    } catch (RuntimeException e) {
      // Runs on the view publisher and on the tick: an exception must not stop either.
      log.error("Health refresh failed", e);
    }
  }

  private static void logChanges(Map<String, HealthStatus> before, Map<String, HealthStatus> after) {
    Map<String, HealthStatus> gone = new HashMap<>(before);
    after.forEach(
        (service, status) -> {
          HealthStatus old = gone.remove(service);
          if (old == null || old.status() != status.status()) {
            log.info(
                "Health service {}: {} -> {} ({})",
                label(service),
                old == null ? "none" : old.status(),
                status.status(),
                status.reason());
          }
        });
    gone.keySet().forEach(service -> log.info("Health service {} removed", label(service)));
  }

  private static String label(String service) {
    return service.isEmpty() ? "'' (default: liveness)" : "'" + service + "'";
  }
}
