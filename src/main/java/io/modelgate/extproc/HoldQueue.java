package io.modelgate.extproc;

import io.modelgate.probing.ProbeDemand;
import io.modelgate.view.HealthView;
import io.modelgate.view.HealthViewSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests the gateway filter holds ({@link Decision.Hold}) until a replica is READY for
 * them. Every new health view decides each held request again: a route releases it at once, a
 * rejection that no wait will change (its model failed everywhere, or left the configuration)
 * answers it at once, and a hold keeps it. When the hold runs out it is decided one last time
 * and, if still without a replica, answered with its rejection saying how long it waited.
 *
 * <p>Bounded: at most {@code maxHeld} requests at once, beyond which {@link #hold} refuses; a held
 * request is an entry and a timer, never a thread. While a model has held requests, {@link
 * ProbeDemand} hears of it so its replicas are probed urgently.
 *
 * <p>Thread-safe: requests arrive on gRPC threads, views on the publisher's thread, hold ends on
 * this queue's timer thread; each request is answered exactly once, by whichever comes first.
 * One line is logged when the queue fills up and one when it has room again.
 */
final class HoldQueue implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HoldQueue.class);

  private final HealthViewSource views;
  private final RoutingPolicy policy;
  private final ProbeDemand demand;
  private final Duration hold;
  private final int maxHeld;
  private final ExtProcCounters counters;
  private final ScheduledThreadPoolExecutor timer;
  private final Set<Held> held = ConcurrentHashMap.newKeySet();
  private final AtomicInteger size = new AtomicInteger();
  /** Held requests per model, present only while positive. */
  private final Map<String, Integer> heldByModel = new ConcurrentHashMap<>();
  private final AtomicBoolean full = new AtomicBoolean();
  private final AutoCloseable subscription;

  HoldQueue(
      HealthViewSource views,
      RoutingPolicy policy,
      ProbeDemand demand,
      Duration hold,
      int maxHeld,
      ExtProcCounters counters) {
    this.views = views;
    this.policy = policy;
    this.demand = demand;
    this.hold = hold;
    this.maxHeld = maxHeld;
    this.counters = counters;
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread thread = new Thread(r, "modelgate-hold");
              thread.setDaemon(true);
              return thread;
            });
    // A released request's timer is cancelled: drop it now rather than when it would have fired.
    timer.setRemoveOnCancelPolicy(true);
    this.subscription = views.subscribe(this::viewPublished);
  }

  Duration hold() {
    return hold;
  }

  int maxHeld() {
    return maxHeld;
  }

  /**
   * Holds {@code request} for at most the hold, or {@code limit} if shorter (the call's own
   * deadline): {@code answer} is called once, later and on another thread, with the route or the
   * rejection and how long the request was held. Empty when {@code maxHeld} requests are held
   * already.
   */
  Optional<Held> hold(ModelRequest request, Optional<Duration> limit, BiConsumer<Decision, Duration> answer) {
    if (size.incrementAndGet() > maxHeld) {
      size.decrementAndGet();
      counters.holdRefused();
      if (full.compareAndSet(false, true)) {
        LOG.warn(
            "hold queue full: {} requests wait for a replica (extproc.maxHeld); more are answered"
                + " UNAVAILABLE at once",
            maxHeld);
      }
      return Optional.empty();
    }
    Duration wait = limit.filter(l -> l.compareTo(hold) < 0).orElse(hold);
    Held entry = new Held(request, answer, System.nanoTime(), wait);
    held.add(entry);
    counters.held();
    heldByModel.compute(request.model(), (model, n) -> count(model, n, +1));
    entry.expiry = timer.schedule(() -> expire(entry), wait.toNanos(), TimeUnit.NANOSECONDS);
    // A view published between the decision and now was not seen by this entry.
    timer.execute(() -> reconsider(entry, views.current(), new HashMap<>()));
    return Optional.of(entry);
  }

  /** Requests held now. */
  int size() {
    return size.get();
  }

  private void viewPublished(HealthView view) {
    // One decision per distinct request shape per view, however many wait for it.
    Map<ModelRequest, Decision> decisions = new HashMap<>();
    for (Held entry : held) {
      reconsider(entry, view, decisions);
    }
  }

  private void reconsider(Held entry, HealthView view, Map<ModelRequest, Decision> decisions) {
    if (entry.done.get()) {
      return;
    }
    Decision now = decisions.computeIfAbsent(entry.request, r -> policy.decide(r, view));
    if (now instanceof Decision.Route) {
      finish(entry, now);
    } else if (now instanceof Decision.Reject reject) {
      finish(entry, waited(entry, reject.message()));
    }
  }

  private void expire(Held entry) {
    Decision now = policy.decide(entry.request, views.current());
    if (now instanceof Decision.Route) {
      finish(entry, now);
      return;
    }
    String message =
        now instanceof Decision.Reject reject
            ? reject.message()
            : ((Decision.Hold) now).meanwhile().message();
    finish(entry, waited(entry, message));
  }

  private Decision.Reject waited(Held entry, String message) {
    long waitedMs = entry.waited().toMillis();
    String bound =
        entry.wait.equals(hold)
            ? "extproc.holdMs " + hold.toMillis()
            : "the call's grpc-timeout left " + entry.wait.toMillis() + " ms";
    return new Decision.Reject(
        DecisionKind.NOT_LOADED,
        entry.request.protocol(),
        message + "; waited " + waitedMs + " ms for a replica to become ready (" + bound + ")");
  }

  /** Answers the entry unless something else did first (counted only then). */
  private void finish(Held entry, Decision decision) {
    if (leave(entry)) {
      if (decision instanceof Decision.Route) {
        counters.holdReleased();
      } else {
        counters.holdExpired();
      }
      entry.answer.accept(decision, entry.waited());
    }
  }

  /** Takes the entry out of the queue; false if it was out already (answered or cancelled). */
  private boolean leave(Held entry) {
    if (!entry.done.compareAndSet(false, true)) {
      return false;
    }
    held.remove(entry);
    ScheduledFuture<?> expiry = entry.expiry;
    if (expiry != null) {
      expiry.cancel(false);
    }
    heldByModel.compute(entry.request.model(), (model, n) -> count(model, n, -1));
    if (size.decrementAndGet() < maxHeld && full.compareAndSet(true, false)) {
      LOG.info("hold queue has room again ({} of {} held)", size.get(), maxHeld);
    }
    return true;
  }

  /** Inside the map's compute, so demand hears a model's first and last request in order. */
  private Integer count(String model, Integer before, int delta) {
    int after = (before == null ? 0 : before) + delta;
    if (before == null && after > 0) {
      demand.demand(model, true);
    }
    if (after <= 0) {
      demand.demand(model, false);
      return null;
    }
    return after;
  }

  /** Stops deciding held requests; their streams are cut with the server. */
  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      LOG.warn("could not unsubscribe the hold queue from health views", e);
    }
    timer.shutdownNow();
    for (Held entry : held) {
      leave(entry);
    }
  }

  /** One held request. */
  final class Held {
    private final ModelRequest request;
    private final BiConsumer<Decision, Duration> answer;
    private final long startedNanos;
    /** How long it may wait. */
    private final Duration wait;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile ScheduledFuture<?> expiry;

    private Held(ModelRequest request, BiConsumer<Decision, Duration> answer, long startedNanos, Duration wait) {
      this.wait = wait;
      this.request = request;
      this.answer = answer;
      this.startedNanos = startedNanos;
    }

    Duration waited() {
      return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** The client or Envoy gave up on the request: frees its place without answering it. */
    void cancel() {
      if (leave(this)) {
        counters.holdCancelled();
      }
    }
  }
}
