package io.modelgate.view;

import io.modelgate.config.ModelConfig;
import io.modelgate.config.ReplicaConfig;
import io.modelgate.probing.ProbeKey;
import io.modelgate.readiness.ReadinessListener;
import io.modelgate.readiness.ReplicaState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the {@link HealthView}: it folds readiness changes into a new immutable
 * view and tells subscribers.
 *
 * <p>The initial view is version 0: every configured (model, replica) UNKNOWN "not probed yet",
 * {@code complete=false}. Each change of a key's state, versions or reason publishes version + 1;
 * a change that changes nothing publishes nothing. Models and replicas keep configuration order.
 * The view turns complete once every key has reported at least once, or when {@code
 * startupTimeout} has passed since {@link #start} (then a WARN names the keys still unprobed).
 *
 * <p>Thread-safe: {@link #current} and {@link #subscribe} may be called from any thread; changes
 * are queued and applied on {@code executor}, which must run tasks one at a time in order. Views
 * are built and listeners called there, in publication order. Until the view is complete, changes
 * that queue up are folded into one view: a cold start reports every key at once (20,000 for 1,000
 * replicas x 20 models), and a view per report would copy a model's replica map each time. After
 * that each change is its own view. A listener that throws is logged and the others are still
 * called.
 */
public final class HealthViewPublisher
    implements HealthViewSource, ReadinessListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthViewPublisher.class);
  private static final String NOT_PROBED = "not probed yet";

  private final Executor executor;
  private final Clock clock;
  private final Duration startupTimeout;
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final Set<ProbeKey> unprobed = new LinkedHashSet<>(); // touched on executor only
  private final Queue<Change> changes = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainQueued = new AtomicBoolean();
  private volatile HealthView current;
  private ScheduledFuture<?> startupTimer; // guarded by this
  private volatile ScheduledExecutorService timer;

  /** @param executor serialising executor: builds the views and runs the listeners */
  public HealthViewPublisher(
      List<ModelConfig> models,
      List<ReplicaConfig> replicas,
      Duration startupTimeout,
      Clock clock,
      Executor executor) {
    this.executor = executor;
    this.clock = clock;
    this.startupTimeout = startupTimeout;
    Instant now = clock.instant();
    Map<String, ModelHealth> initial = new LinkedHashMap<>();
    for (ModelConfig model : models) {
      Map<String, ReplicaHealth> byReplica = new LinkedHashMap<>();
      for (ReplicaConfig replica : replicas) {
        byReplica.put(
            replica.id(),
            new ReplicaHealth(
                replica.id(), ReplicaState.UNKNOWN, new TreeSet<>(), NOT_PROBED, now));
        unprobed.add(new ProbeKey(replica.id(), model.name()));
      }
      initial.put(model.name(), new ModelHealth(model.name(), byReplica));
    }
    // With nothing to probe there is nothing to wait for.
    this.current = new HealthView(0, now, unprobed.isEmpty(), initial);
  }

  /**
   * Arms the startup timeout on {@code timer}, which until the view is complete also gathers
   * reports for {@link #FIRST_ROUND_BATCH}; the timer only enqueues onto the executor.
   */
  public synchronized void start(ScheduledExecutorService timer) {
    this.timer = timer;
    if (startupTimer != null) {
      throw new IllegalStateException("already started");
    }
    startupTimer =
        timer.schedule(
            () -> executor.execute(this::startupTimedOut),
            startupTimeout.toNanos(),
            TimeUnit.NANOSECONDS);
  }

  @Override
  public HealthView current() {
    return current;
  }

  @Override
  public AutoCloseable subscribe(Consumer<HealthView> listener) {
    Subscription subscription = new Subscription(listener);
    subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Until the view is complete, reports are gathered this long before a view is built: the first
   * round reports every key (20,000 for 1,000 replicas x 20 models) and nothing steers traffic by
   * an incomplete view, while each view copies the replica map of every model it changes.
   */
  static final Duration FIRST_ROUND_BATCH = Duration.ofMillis(200);

  @Override
  public void readinessChanged(String model, ReplicaHealth health) {
    changes.add(new Change(model, health));
    if (drainQueued.compareAndSet(false, true)) {
      ScheduledExecutorService gatherer = timer;
      if (gatherer == null || current.complete()) {
        executor.execute(this::drain);
      } else {
        try {
          gatherer.schedule(
              () -> executor.execute(this::drain), FIRST_ROUND_BATCH.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
          // Shutting down: no more views.
        }
      }
    }
  }

  private record Change(String model, ReplicaHealth health) {}

  /** Cancels the startup timer; views already enqueued are still published. */
  @Override
  public synchronized void close() {
    if (startupTimer != null) {
      startupTimer.cancel(/* mayInterruptIfRunning= */ false);
    }
  }

  /** Applies the queued changes: folded into one view until the view is complete. */
  private void drain() {
    // Cleared first: a change queued from now on queues another drain.
    drainQueued.set(false);
    List<Change> batch = new ArrayList<>();
    for (Change change = changes.poll(); change != null; change = changes.poll()) {
      batch.add(change);
    }
    if (current.complete()) {
      // Once complete every change is its own view: consumers see each state a key passes through.
      batch.forEach(change -> fold(List.of(change)));
    } else {
      fold(batch);
    }
  }

  /** Applies {@code batch} to one new view, published if anything changed. */
  private void fold(List<Change> batch) {
    HealthView view = current;
    Map<String, Map<String, ReplicaHealth>> touched = new LinkedHashMap<>();
    boolean completes = false;
    for (Change change : batch) {
      String model = change.model();
      ReplicaHealth health = change.health();
      ModelHealth modelHealth = view.models().get(model);
      if (modelHealth == null || !modelHealth.replicas().containsKey(health.replicaId())) {
        LOG.warn("ignoring readiness of unconfigured {}/{}", health.replicaId(), model);
        continue;
      }
      completes |= unprobed.remove(new ProbeKey(health.replicaId(), model)) && unprobed.isEmpty();
      Map<String, ReplicaHealth> replicas = touched.get(model);
      ReplicaHealth old = (replicas != null ? replicas : modelHealth.replicas()).get(health.replicaId());
      if (sameHealth(old, health)) {
        continue;
      }
      if (replicas == null) {
        replicas = new LinkedHashMap<>(modelHealth.replicas());
        touched.put(model, replicas);
      }
      replicas.put(health.replicaId(), health);
    }
    boolean newlyComplete = completes && !view.complete();
    if (touched.isEmpty() && !newlyComplete) {
      return;
    }
    Map<String, ModelHealth> models = new LinkedHashMap<>(view.models());
    touched.forEach((model, replicas) -> models.put(model, new ModelHealth(model, replicas)));
    HealthView next = new HealthView(view.version() + 1, clock.instant(), view.complete() || completes, models);
    if (newlyComplete) {
      LOG.info("health view complete: every (replica, model) has been probed; {}", stateCounts(next));
    }
    publish(next);
  }

  /** "20000 READY" or "19998 READY, 2 UNREACHABLE": the first round at a glance. */
  private static String stateCounts(HealthView view) {
    Map<ReplicaState, Integer> counts = new EnumMap<>(ReplicaState.class);
    view.models().values().forEach(
        model -> model.replicas().values().forEach(r -> counts.merge(r.state(), 1, Integer::sum)));
    StringJoiner text = new StringJoiner(", ");
    counts.forEach((state, count) -> text.add(count + " " + state));
    return text.toString();
  }

  private void startupTimedOut() {
    HealthView view = current;
    if (view.complete()) {
      return;
    }
    LOG.warn(
        "no first answer within the startup timeout of {} from {}; publishing without them",
        startupTimeout,
        unprobed);
    publish(new HealthView(view.version() + 1, clock.instant(), true, view.models()));
  }

  private static boolean sameHealth(ReplicaHealth a, ReplicaHealth b) {
    return a.state() == b.state()
        && a.availableVersions().equals(b.availableVersions())
        && a.reason().equals(b.reason());
  }

  private void publish(HealthView view) {
    current = view;
    for (Subscription subscription : subscriptions) {
      subscription.deliver(view);
    }
  }

  /** A listener and its idempotent cancel. */
  private final class Subscription implements AutoCloseable {
    private final Consumer<HealthView> listener;
    private final AtomicBoolean closed = new AtomicBoolean();

    Subscription(Consumer<HealthView> listener) {
      this.listener = listener;
    }

    void deliver(HealthView view) {
      // A listener closed while a publication is under way is not called again.
      if (closed.get()) {
        return;
      }
      try {
        listener.accept(view);
      } catch (RuntimeException e) {
        LOG.error("health view listener failed on version {}", view.version(), e);
      }
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        subscriptions.remove(this);
      }
    }
  }
}
