package io.modelgate.view;

import io.modelgate.config.ModelConfig;
import io.modelgate.probing.ProbeKey;
import io.modelgate.sources.Replica;
import io.modelgate.sources.ReplicaSet;
import io.modelgate.sources.SourceStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
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
 * <p>The initial view is version 0: the configured models and no replicas, {@code
 * complete=false}. A replica set adds each new replica UNKNOWN "not probed yet" and drops each one
 * that left; a replica that is terminating is DRAINING in every model whatever its probes say (and
 * gets its probed state back if it stops terminating). Each change of a key's state, versions or
 * reason publishes a new view; a change that changes nothing publishes nothing. Models keep
 * configuration order, replicas the set's order. The view turns complete once every key of the
 * replicas known by then has reported at least once, or when {@code startupTimeout} has passed
 * since {@link #start} (then a WARN names the keys still unprobed). A replica that joins a
 * complete view never makes it incomplete: it is UNKNOWN, not routed, until its probe answers.
 *
 * <p>Thread-safe: {@link #current} and {@link #subscribe} may be called from any thread; changes
 * are queued and applied on {@code executor}, which must run tasks one at a time in order. Views
 * are built and listeners called there, in publication order. Until the view is complete, changes
 * that queue up are folded into one view: a cold start reports every key at once (20,000 for 1,000
 * replicas x 20 models), and a view per report would copy a model's replica map each time. After
 * that, changes that queue up share a view as long as no key changes twice in it (so each state a
 * key passes through is still seen), and a change of replicas or models is a view of its own. A
 * listener that throws is logged and the others are still
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
  private List<String> modelNames; // on the executor only, after construction
  private List<ModelConfig> catalog; // on the executor only, after construction
  // Touched on the executor only:
  private final Set<ProbeKey> unprobed = new LinkedHashSet<>();
  /** The probed health of terminating replicas, shown DRAINING meanwhile. */
  private final Map<ProbeKey, ReplicaHealth> probedWhileTerminating = new HashMap<>();
  private boolean firstSet = true;
  private final Queue<Change> changes = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainQueued = new AtomicBoolean();
  private volatile HealthView current;
  private ScheduledFuture<?> startupTimer; // guarded by this
  private volatile ScheduledExecutorService timer;

  /** @param executor serialising executor: builds the views and runs the listeners */
  public HealthViewPublisher(
      List<ModelConfig> models, Duration startupTimeout, Clock clock, Executor executor) {
    this.executor = executor;
    this.clock = clock;
    this.startupTimeout = startupTimeout;
    this.catalog = List.copyOf(models);
    this.modelNames = models.stream().map(ModelConfig::name).toList();
    Instant now = clock.instant();
    Map<String, ModelHealth> initial = new LinkedHashMap<>();
    for (String model : modelNames) {
      initial.put(model, new ModelHealth(model, Map.of()));
    }
    this.current = new HealthView(0, now, false, catalog, Map.of(), initial, List.of());
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
    enqueue(new Probed(model, health));
  }

  @Override
  public void replicasChanged(ReplicaSet set) {
    enqueue(new Members(set));
  }

  @Override
  public void modelsChanged(List<ModelConfig> models) {
    enqueue(new Catalog(List.copyOf(models)));
  }

  private void enqueue(Change change) {
    changes.add(change);
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

  private sealed interface Change permits Probed, Members, Catalog {}

  private record Catalog(List<ModelConfig> models) implements Change {}

  private record Probed(String model, ReplicaHealth health) implements Change {}

  private record Members(ReplicaSet set) implements Change {}

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
    if (!current.complete()) {
      fold(batch);
      return;
    }
    // Once complete, changes queued together share a view as long as no key changes twice in
    // it: consumers still see each state a key passes through, and a thousand replicas joining
    // at once build a handful of views instead of a thousand copies of every model's map.
    List<Change> run = new ArrayList<>();
    Set<ProbeKey> inRun = new HashSet<>();
    for (Change change : batch) {
      if (change instanceof Probed probed) {
        if (!inRun.add(new ProbeKey(probed.health().replicaId(), probed.model()))) {
          fold(run);
          run = new ArrayList<>();
          inRun.clear();
          inRun.add(new ProbeKey(probed.health().replicaId(), probed.model()));
        }
        run.add(change);
      } else {
        if (!run.isEmpty()) {
          fold(run);
          run = new ArrayList<>();
          inRun.clear();
        }
        fold(List.of(change));
      }
    }
    if (!run.isEmpty()) {
      fold(run);
    }
  }

  /** Applies {@code batch} to one new view, published if anything changed. */
  private void fold(List<Change> batch) {
    HealthView view = current;
    Map<String, Replica> replicas = view.replicas();
    Map<String, Map<String, ReplicaHealth>> models = new LinkedHashMap<>();
    view.models().forEach((model, health) -> models.put(model, health.replicas()));
    Set<String> touched = new HashSet<>();
    boolean membersChanged = false;
    boolean completes = false;
    List<SourceStatus> sources = view.sources();
    for (Change change : batch) {
      if (change instanceof Catalog catalog) {
        membersChanged |= applyCatalog(catalog.models(), replicas, models, touched);
        continue;
      }
      if (change instanceof Members members) {
        Map<String, Replica> next = members.set().byId();
        membersChanged |= !next.equals(replicas) || !members.set().sources().equals(sources);
        completes |= applyMembers(replicas, next, models, touched);
        replicas = next;
        sources = members.set().sources();
        continue;
      }
      Probed probed = (Probed) change;
      String model = probed.model();
      ReplicaHealth health = probed.health();
      Map<String, ReplicaHealth> byReplica = models.get(model);
      Replica replica = replicas.get(health.replicaId());
      if (byReplica == null || replica == null) {
        LOG.debug("ignoring readiness of unknown {}/{}", health.replicaId(), model);
        continue;
      }
      ProbeKey key = new ProbeKey(health.replicaId(), model);
      completes |= unprobed.remove(key) && unprobed.isEmpty();
      if (replica.terminating()) {
        probedWhileTerminating.put(key, health);
        health = draining(health);
      }
      if (sameHealth(byReplica.get(health.replicaId()), health)) {
        continue;
      }
      if (touched.add(model)) {
        byReplica = new LinkedHashMap<>(byReplica);
        models.put(model, byReplica);
      }
      byReplica.put(health.replicaId(), health);
    }
    boolean newlyComplete = completes && !view.complete();
    if (touched.isEmpty() && !membersChanged && !newlyComplete && catalog.equals(view.catalog())) {
      return;
    }
    Map<String, ModelHealth> next = new LinkedHashMap<>();
    models.forEach(
        (model, byReplica) ->
            next.put(model, touched.contains(model) ? new ModelHealth(model, byReplica) : view.models().get(model)));
    HealthView built =
        new HealthView(
            view.version() + 1, clock.instant(), view.complete() || completes, catalog, replicas, next, sources);
    if (newlyComplete) {
      LOG.info("health view complete: every (replica, model) has been probed; {}", stateCounts(built));
    }
    publish(built);
  }

  /**
   * Adds the replicas that joined (UNKNOWN "not probed yet"), drops those that left, and turns
   * terminating ones DRAINING (or back); true if that completes the view.
   */
  private boolean applyMembers(
      Map<String, Replica> before,
      Map<String, Replica> after,
      Map<String, Map<String, ReplicaHealth>> models,
      Set<String> touched) {
    Instant now = clock.instant();
    boolean waitFor = !current.complete();
    boolean anyWaited = !unprobed.isEmpty();
    for (String model : modelNames) {
      Map<String, ReplicaHealth> old = models.get(model);
      Map<String, ReplicaHealth> byReplica = new LinkedHashMap<>();
      for (Replica replica : after.values()) {
        ProbeKey key = new ProbeKey(replica.id(), model);
        Replica was = before.get(replica.id());
        ReplicaHealth health = was != null && was.sameEndpoint(replica) ? old.get(replica.id()) : null;
        if (health == null) {
          health = new ReplicaHealth(replica.id(), ReplicaState.UNKNOWN, new TreeSet<>(), NOT_PROBED, now);
          probedWhileTerminating.remove(key);
          if (waitFor) {
            unprobed.add(key);
          }
        }
        boolean wasTerminating = was != null && was.terminating();
        if (replica.terminating()) {
          // What the probes say is kept aside, to be shown again if it stops terminating.
          ReplicaHealth probed = wasTerminating ? probedWhileTerminating.getOrDefault(key, health) : health;
          probedWhileTerminating.put(key, probed);
          health = draining(probed);
        } else if (wasTerminating) {
          ReplicaHealth probed = probedWhileTerminating.remove(key);
          health = probed != null ? probed : health;
        }
        byReplica.put(replica.id(), health);
      }
      for (String gone : old.keySet()) {
        if (!after.containsKey(gone)) {
          unprobed.remove(new ProbeKey(gone, model));
          probedWhileTerminating.remove(new ProbeKey(gone, model));
        }
      }
      if (!byReplica.equals(old)) {
        models.put(model, byReplica);
        touched.add(model);
      }
    }
    boolean first = firstSet;
    firstSet = false;
    // The first set completes the view if there is nothing to probe in it; a later one if it
    // removed the last replicas the view was waiting for.
    return waitFor && unprobed.isEmpty() && (first || anyWaited);
  }

  /**
   * Adds the models now configured (UNKNOWN "not probed yet" on every replica; a complete view
   * stays complete) and drops those no longer configured, in the new order; true if any changed.
   */
  private boolean applyCatalog(
      List<ModelConfig> configs,
      Map<String, Replica> replicas,
      Map<String, Map<String, ReplicaHealth>> models,
      Set<String> touched) {
    if (configs.equals(catalog)) {
      return false;
    }
    List<String> names = configs.stream().map(ModelConfig::name).toList();
    Instant now = clock.instant();
    boolean waitFor = !current.complete();
    Map<String, Map<String, ReplicaHealth>> next = new LinkedHashMap<>();
    for (String model : names) {
      Map<String, ReplicaHealth> byReplica = models.get(model);
      if (byReplica == null) {
        byReplica = new LinkedHashMap<>();
        for (Replica replica : replicas.values()) {
          ReplicaHealth unknown =
              new ReplicaHealth(replica.id(), ReplicaState.UNKNOWN, new TreeSet<>(), NOT_PROBED, now);
          if (replica.terminating()) {
            probedWhileTerminating.put(new ProbeKey(replica.id(), model), unknown);
            unknown = draining(unknown);
          }
          byReplica.put(replica.id(), unknown);
          if (waitFor) {
            unprobed.add(new ProbeKey(replica.id(), model));
          }
        }
        touched.add(model);
      }
      next.put(model, byReplica);
    }
    for (String gone : models.keySet()) {
      if (!next.containsKey(gone)) {
        unprobed.removeIf(key -> key.model().equals(gone));
        probedWhileTerminating.keySet().removeIf(key -> key.model().equals(gone));
        touched.remove(gone);
      }
    }
    models.clear();
    models.putAll(next);
    modelNames = names;
    catalog = List.copyOf(configs);
    return true;
  }

  private static ReplicaHealth draining(ReplicaHealth probed) {
    return new ReplicaHealth(
        probed.replicaId(),
        ReplicaState.DRAINING,
        probed.availableVersions(),
        "terminating: drained until it is removed (probe says " + probed.state() + ")",
        probed.since());
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
    publish(
        new HealthView(
            view.version() + 1, clock.instant(), true, view.catalog(), view.replicas(), view.models(), view.sources()));
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
