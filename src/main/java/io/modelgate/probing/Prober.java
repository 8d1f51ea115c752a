package io.modelgate.probing;

import io.grpc.Context;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.sources.Replica;
import io.modelgate.sources.ReplicaSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The probe loop: every interval it starts one status probe per (replica, model), each start
 * delayed by a random share of {@code jitter × interval}, and hands every outcome to a {@link
 * ProbeResultSink}.
 *
 * <p>Every {@code urgentInterval} it also probes the keys whose model is wanted but that do not
 * serve it yet: a key that is not serving and whose replica answered its last probe is probed
 * urgently while its model has requests waiting ({@link #demand}), or while this key is loading or
 * unloading (a transition lasts seconds; seen at once, it reaches Envoy at once), or for {@value
 * #RECOVERY_INTERVALS} intervals after
 * its replica answered again after going silent (timeouts or refused connections). A key whose
 * last probe failed is never probed urgently, so a dead or hung replica costs no more than the
 * round probe and its one confirmation.
 *
 * <p>Thread-safe and lock-free. At most {@code maxConcurrency} calls are in flight; a key that
 * finds no free permit waits in a queue and starts as soon as one frees. A key is pending from
 * its start until its outcome has been handed over, and a round that finds its key pending skips
 * it (counted) instead of queueing a second probe, so the queue never holds more than one entry
 * per key and outcomes of one key reach the sink in order. A key's standing is written only by
 * the completion of its one pending probe. Probes are asynchronous with a deadline, so a hung
 * replica costs one timed-out call per key per interval and never delays other replicas. A probe
 * or sink that throws is logged; it never stops the loop.
 */
public final class Prober
    implements ProbeLoopHeartbeat, OutOfBandProbes, ProbeDemand, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Prober.class);
  /**
   * How long, in intervals, a replica that answers again after failing has its keys that do not
   * serve probed urgently: long enough to see the models it loads on restart become AVAILABLE.
   */
  static final int RECOVERY_INTERVALS = 10;

  private final Map<ProbeKey, Slot> slots = new ConcurrentHashMap<>();
  /** The probed replicas by id; guarded by this. */
  private final Map<String, Probed> replicas = new HashMap<>();
  private List<ModelConfig> models; // guarded by this
  /** The configured model names, for {@link #demand} to read without the lock. */
  private volatile Set<String> modelNames;
  /** Models with requests waiting for a replica. */
  private final Set<String> demanded = ConcurrentHashMap.newKeySet();
  private final Function<Replica, ModelStatusProbe> openProbe;
  private final ProbeConfig config;
  private final ProbeResultSink sink;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;

  private final Semaphore permits;
  private final Queue<Slot> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Instant> lastRoundStarted = new AtomicReference<>();
  private final LongAdder sent = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder urgent = new LongAdder();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closed;
  private ScheduledFuture<?> rounds; // guarded by this
  private ScheduledFuture<?> urgentTicks; // guarded by this
  /** Where the next urgent tick starts; only the tick (never two at once) uses it. */
  private int urgentCursor;

  /**
   * @param openProbe opens one probe per replica (see {@link ModelStatusProbes#open}); the
   *     prober closes them
   * @param scheduler runs rounds and delayed starts; owned by the caller
   */
  public Prober(
      List<ModelConfig> models,
      ProbeConfig config,
      Function<Replica, ModelStatusProbe> openProbe,
      ProbeResultSink sink,
      ScheduledExecutorService scheduler,
      Clock clock) {
    this.models = List.copyOf(models);
    this.modelNames = names(this.models);
    this.config = config;
    this.openProbe = openProbe;
    this.sink = sink;
    this.scheduler = scheduler;
    this.clock = clock;
    this.permits = new Semaphore(config.maxConcurrency());
  }

  /** A replica being probed: its probe and its slots, one per model. */
  private record Probed(Replica replica, ModelStatusProbe probe, Siblings siblings) {
    List<Slot> slots() {
      return siblings.slots;
    }
  }

  /** The slots of one replica, replaced as a whole when the models change. */
  private static final class Siblings {
    volatile List<Slot> slots = List.of();
    /**
     * Until when (clock millis) the replica counts as recovering: it answered again after failing.
     * Written by the completions of its keys; any of their writes is as good.
     */
    volatile long recoveringUntilMillis = Long.MIN_VALUE;
  }

  /**
   * Follows a new replica set: drops the replicas that left (or moved), tells the sink, then
   * probes the new ones at once (once started).
   */
  public synchronized void replicasChanged(ReplicaSet set) {
    if (closed) {
      return;
    }
    Map<String, Replica> next = set.byId();
    List<Slot> added = new ArrayList<>();
    for (Probed probed : List.copyOf(replicas.values())) {
      Replica now = next.get(probed.replica().id());
      if (now == null || !now.sameEndpoint(probed.replica())) {
        drop(probed);
      } else if (!now.equals(probed.replica())) {
        // Same endpoint, other zone or termination: the probe and its state carry over.
        replicas.put(now.id(), new Probed(now, probed.probe(), probed.siblings()));
      }
    }
    for (Replica replica : next.values()) {
      if (!replicas.containsKey(replica.id())) {
        Probed probed = open(replica);
        replicas.put(replica.id(), probed);
        added.addAll(probed.slots());
      }
    }
    sink.replicasChanged(set);
    if (rounds != null) {
      // Before start() the first round probes them.
      added.forEach(this::tryStart);
    }
  }

  /**
   * Follows new models: a replica's slots of models no longer configured are dropped (as for a
   * replica that left), the sink hears of the models, then the new models are probed at once
   * (once started) on every replica. A model whose settings changed keeps its slots.
   */
  public synchronized void modelsChanged(List<ModelConfig> next) {
    if (closed) {
      return;
    }
    models = List.copyOf(next);
    modelNames = names(models);
    demanded.retainAll(modelNames);
    List<Slot> added = new ArrayList<>();
    for (Probed probed : replicas.values()) {
      Map<String, Slot> byModel = new HashMap<>();
      probed.slots().forEach(slot -> byModel.put(slot.key.model(), slot));
      List<Slot> ofReplica = new ArrayList<>();
      for (ModelConfig model : models) {
        Slot slot = byModel.remove(model.name());
        if (slot == null) {
          slot = newSlot(probed.replica(), model, probed.probe(), probed.siblings());
          added.add(slot);
        } else {
          // A new pin changes which versions serve; the standing follows at the key's next probe.
          slot.model = model;
        }
        ofReplica.add(slot);
      }
      byModel.values().forEach(this::remove);
      probed.siblings().slots = List.copyOf(ofReplica);
    }
    sink.modelsChanged(models);
    if (rounds != null) {
      added.forEach(this::tryStart);
    }
  }

  private Probed open(Replica replica) {
    ModelStatusProbe probe = openProbe.apply(replica);
    Siblings siblings = new Siblings();
    List<Slot> ofReplica = new ArrayList<>();
    for (ModelConfig model : models) {
      ofReplica.add(newSlot(replica, model, probe, siblings));
    }
    siblings.slots = List.copyOf(ofReplica);
    return new Probed(replica, probe, siblings);
  }

  private Slot newSlot(Replica replica, ModelConfig model, ModelStatusProbe probe, Siblings siblings) {
    ProbeKey key = new ProbeKey(replica.id(), model.name());
    Slot slot = new Slot(key, model, probe, siblings);
    slots.put(key, slot);
    return slot;
  }

  private void drop(Probed probed) {
    replicas.remove(probed.replica().id());
    probed.slots().forEach(this::remove);
    probed.probe().close();
  }

  private void remove(Slot slot) {
    synchronized (slot) {
      slot.removed = true;
    }
    slots.remove(slot.key, slot);
  }

  /** How many (replica, model) keys are probed now. */
  public int keys() {
    return slots.size();
  }

  /**
   * Starts the rounds, the first one at once, then one every interval; and the urgent ticks, one
   * every urgent interval.
   */
  public synchronized void start() {
    if (rounds != null || closed) {
      throw new IllegalStateException("prober already started or closed");
    }
    rounds =
        scheduler.scheduleAtFixedRate(
            this::runRound, 0, config.interval().toNanos(), TimeUnit.NANOSECONDS);
    long urgentNanos = config.urgentInterval().toNanos();
    urgentTicks =
        scheduler.scheduleAtFixedRate(
            this::runUrgentTick, urgentNanos, urgentNanos, TimeUnit.NANOSECONDS);
  }

  /** Unknown models are ignored: only configured ones are probed. Never blocks. */
  @Override
  public void demand(String model, boolean waiting) {
    if (!waiting) {
      if (demanded.remove(model)) {
        LOG.debug("no requests wait for model {} any more", model);
      }
    } else if (modelNames.contains(model) && demanded.add(model)) {
      LOG.debug("requests wait for model {}: its keys that do not serve it are probed urgently", model);
    }
  }

  /** False for a key that is not probed (any more): its replica has left. */
  @Override
  public boolean reprobe(String replicaId, String model) {
    Slot slot = slots.get(new ProbeKey(replicaId, model));
    return slot != null && reprobe(slot);
  }

  /**
   * The sink may count the failure as the key's first, and the probe started here confirms or
   * clears it: a replica that hangs then leaves after one probe timeout instead of waiting for
   * its next probe and two timeouts. False when a probe is pending already: that one decides.
   */
  @Override
  public boolean failedInTraffic(String replicaId, String model, String reason) {
    Slot slot = slots.get(new ProbeKey(replicaId, model));
    if (slot == null || closed) {
      return false;
    }
    sink.failedInTraffic(replicaId, model, reason);
    return reprobe(slot);
  }

  private boolean reprobe(Slot slot) {
    // Callers may be inside a gRPC call (the ext_proc service): a probe started in that call's
    // Context would be cancelled with it, and a cancelled probe reads as an unreachable replica.
    Context previous = Context.ROOT.attach();
    try {
      return tryStart(slot);
    } finally {
      Context.ROOT.detach(previous);
    }
  }

  public ProbeCounters counters() {
    return new ProbeCounters(sent.sum(), failed.sum(), skipped.sum(), urgent.sum(), inFlight.get());
  }

  @Override
  public Optional<Instant> lastRoundStarted() {
    return Optional.ofNullable(lastRoundStarted.get());
  }

  @Override
  public Duration interval() {
    return config.interval();
  }

  /** Stops the rounds and closes every probe; outcomes that arrive afterwards are dropped. */
  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      if (rounds != null) {
        rounds.cancel(/* mayInterruptIfRunning= */ false);
        urgentTicks.cancel(/* mayInterruptIfRunning= */ false);
      }
      replicas.values().forEach(probed -> probed.probe().close());
    }
  }

  /** One round: stamps the heartbeat and starts (or schedules) a probe per key. */
  void runRound() {
    // scheduleAtFixedRate stops for good after a task throws, so nothing may escape.
    try {
      lastRoundStarted.set(clock.instant());
      long spreadNanos = (long) (config.interval().toNanos() * config.jitter());
      for (Slot slot : slots.values()) {
        if (spreadNanos <= 0) {
          startInRound(slot);
        } else {
          long delay = ThreadLocalRandom.current().nextLong(spreadNanos);
          scheduler.schedule(() -> startInRound(slot), delay, TimeUnit.NANOSECONDS);
        }
      }
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.error("probe round failed to start", e);
      }
    }
  }

  /**
   * One urgent tick: starts a probe of every key that {@link #isUrgent} says is wanted but not
   * serving, at most {@code maxConcurrency} of them (a fleet loading a model everywhere at once
   * must not turn every key into ten probes a second); the next tick goes on where this one
   * stopped, so every urgent key gets its turn. One pass over the keys: cheap enough for
   * thousands of keys ten times a second.
   */
  void runUrgentTick() {
    try {
      long now = clock.millis();
      List<Slot> keys = List.copyOf(slots.values());
      int started = 0;
      for (int i = 0; i < keys.size() && started < config.maxConcurrency(); i++) {
        Slot slot = keys.get((urgentCursor + i) % keys.size());
        if (isUrgent(slot, now) && tryStart(slot)) {
          urgent.increment();
          started++;
          if (started == config.maxConcurrency()) {
            urgentCursor = (urgentCursor + i + 1) % keys.size();
          }
        }
      }
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.error("urgent probe tick failed", e);
      }
    }
  }

  private boolean isUrgent(Slot slot, long nowMillis) {
    KeyStanding standing = slot.standing;
    if (standing == KeyStanding.SERVING || standing.failed()) {
      return false;
    }
    // A key not probed yet is not urgent: it waits for its jittered start in the first round, and
    // pulling them all forward would undo a cold start's spread. A loading key is, even where
    // other replicas serve the model: until the view has it, a request that meets a replica
    // losing the model has nowhere else to go.
    return demanded.contains(slot.key.model())
        || standing == KeyStanding.CHANGING
        || nowMillis < slot.siblings.recoveringUntilMillis;
  }

  private void startInRound(Slot slot) {
    if (!closed && !slot.removed && !tryStart(slot)) {
      skipped.increment();
    }
  }

  private boolean tryStart(Slot slot) {
    if (closed || slot.removed || !slot.pending.compareAndSet(false, true)) {
      return false;
    }
    waiting.add(slot);
    launchWaiting();
    return true;
  }

  /**
   * Starts waiting keys while permits are free. Everyone who adds a key or frees a permit calls
   * this afterwards, so no key stays waiting while a permit is free.
   */
  private void launchWaiting() {
    while (!waiting.isEmpty() && permits.tryAcquire()) {
      Slot slot = waiting.poll();
      if (slot == null) {
        // Another thread took the last key between isEmpty and poll.
        permits.release();
        continue;
      }
      launch(slot);
    }
  }

  private void launch(Slot slot) {
    sent.increment();
    inFlight.incrementAndGet();
    CompletableFuture<ProbeOutcome> call;
    try {
      call = slot.probe.probe(slot.key.model());
    } catch (RuntimeException e) {
      // The probe contract forbids this; a permit must still never leak.
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete((outcome, error) -> finish(slot, outcome != null ? outcome : broken(error)));
  }

  private void finish(Slot slot, ProbeOutcome outcome) {
    inFlight.decrementAndGet();
    if (outcome instanceof ProbeOutcome.Failed) {
      failed.increment();
    }
    // Under the slot's lock, so an outcome is handed over either before its replica's removal
    // reaches the sink (and is dropped with it there) or not at all: never after, where it would
    // land on a replica that came back under the same id at a new address.
    synchronized (slot) {
      if (!closed && !slot.removed) {
        try {
          sink.accept(slot.key.replicaId(), slot.key.model(), outcome);
        } catch (RuntimeException e) {
          LOG.error("probe result sink failed for {}", slot.key, e);
        }
      }
    }
    KeyStanding previous = slot.standing;
    KeyStanding standing = KeyStanding.of(outcome, slot.model);
    slot.standing = standing;
    // A first failure is confirmed at once instead of an interval later: with the default
    // unhealthyThreshold of 2, a replica that hangs or dies between rounds is taken out after
    // two probe timeouts rather than an interval plus two timeouts.
    boolean confirm = standing.failed() && !previous.failed();
    // A replica that answers again after going silent has often just restarted and is loading
    // its models: its keys that do not serve yet are urgent for a while.
    boolean answeredAgain = previous == KeyStanding.NO_ANSWER && !standing.failed();
    if (answeredAgain) {
      slot.siblings.recoveringUntilMillis =
          clock.millis() + RECOVERY_INTERVALS * config.interval().toMillis();
    }
    // Released only after the hand-over, so the next probe of this key cannot overtake it.
    slot.pending.set(false);
    permits.release();
    if (confirm && !closed && !slot.removed) {
      tryStart(slot);
      // A timeout or a refused connection is the replica's, not the model's: its other models
      // are probed at once too, so they leave together instead of one per probe schedule.
      if (standing == KeyStanding.NO_ANSWER) {
        for (Slot sibling : slot.siblings.slots) {
          if (!sibling.standing.failed()) {
            tryStart(sibling);
          }
        }
      }
    }
    if (answeredAgain && !closed && !slot.removed) {
      // The reverse: the replica answers again, so its keys that went silent with it are probed at
      // once; those that answer are then urgent while it recovers, those that fail are left alone.
      for (Slot sibling : slot.siblings.slots) {
        if (sibling.standing == KeyStanding.NO_ANSWER) {
          tryStart(sibling);
        }
      }
    }
    launchWaiting();
  }

  private static ProbeOutcome broken(Throwable error) {
    return new ProbeOutcome.Failed(
        ProbeOutcome.Failed.Kind.BAD_RESPONSE, "probe failed unexpectedly: " + error);
  }

  /**
   * One key's probe, whether a probe of it is pending (waiting for a permit or in flight), and
   * what its last outcome said.
   */
  private static final class Slot {
    final ProbeKey key;
    final ModelStatusProbe probe;
    /** Every slot of the same replica, this one included. */
    final Siblings siblings;
    final AtomicBoolean pending = new AtomicBoolean();
    /** Set once its replica has left: it is never started again and its outcomes are dropped. */
    volatile boolean removed;
    /** The model's settings; replaced (under the prober's lock) when they change. */
    volatile ModelConfig model;
    /** What the last outcome said; written only by the key's one pending probe. */
    volatile KeyStanding standing = KeyStanding.UNPROBED;

    Slot(ProbeKey key, ModelConfig model, ModelStatusProbe probe, Siblings siblings) {
      this.key = key;
      this.model = model;
      this.probe = probe;
      this.siblings = siblings;
    }
  }

  private static Set<String> names(List<ModelConfig> models) {
    return Set.copyOf(models.stream().map(ModelConfig::name).toList());
  }
}
