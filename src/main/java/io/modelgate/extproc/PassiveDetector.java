package io.modelgate.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.modelgate.probing.OutOfBandProbes;
import io.modelgate.probing.ProbeKey;
import io.modelgate.view.HealthViewSource;
import io.modelgate.view.ModelHealth;
import io.modelgate.view.ReplicaHealth;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive detection: what Envoy's tries show about a replica the view calls READY for a model
 * brings that (replica, model)'s next probe forward, instead of waiting for the next interval.
 *
 * <ul>
 *   <li>A try answered "Servable not found" (the model left between two probes): re-probed; the
 *       probe's NOT_FOUND then takes the replica out of routing.
 *   <li>A try that ended without an answer (Envoy's per-try timeout or a reset, as a replica that
 *       hangs causes): counted as the key's first failed probe and re-probed, so one probe
 *       timeout takes a hung replica out instead of its next probe plus two timeouts.
 * </ul>
 *
 * <p>Traffic brings a key's probe forward at most once per {@code minGap} (the probe interval):
 * a replica that keeps answering slowly or 404 to some requests while its probes say READY costs
 * one extra probe per interval, not one per request.
 *
 * <p>Thread-safe. Never calls TF Serving itself and never waits: {@link OutOfBandProbes} only start
 * a probe or hand a failure over.
 */
public final class PassiveDetector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PassiveDetector.class);

  private final HealthViewSource views;
  private final ReplicaIndex replicas;
  private final OutOfBandProbes probes;
  private final long minGapNanos;
  private final Map<ProbeKey, Long> lastActed = new ConcurrentHashMap<>();
  /** Size of {@link #lastActed} at which entries that no longer matter are dropped. */
  private static final int FORGET_AT = 10_000;
  private final LongAdder observed = new LongAdder();
  private final LongAdder reprobes = new LongAdder();
  private volatile boolean closed;

  public PassiveDetector(
      HealthViewSource views, OutOfBandProbes probes, Duration minGap) {
    this.views = views;
    this.replicas = new ReplicaIndex(views);
    this.probes = probes;
    this.minGapNanos = minGap.toNanos();
  }

  /** A try starts: which replica and model it is for, if it is one of modelgate's. */
  Optional<PassiveObservation> tryStarted(ProcessingRequest requestHeaders) {
    return PassiveObservation.of(requestHeaders, replicas);
  }

  /** A try got its response headers. */
  void answered(PassiveObservation started, ProcessingRequest responseHeaders) {
    observed.increment();
    if (PassiveObservation.servableNotFound(responseHeaders)
        && actNow(started)
        && react(started, probes::reprobe)) {
      log.info(
          "model={} replica={} answered Servable not found while READY: re-probing now",
          started.model(),
          started.replicaId());
    }
  }

  /** A try's observer stream ended before its response headers, {@code waited} after its start. */
  void unanswered(PassiveObservation started, Duration waited) {
    observed.increment();
    if (!actNow(started)) {
      return;
    }
    String reason = "a request ended without an answer after " + waited.toMillis() + " ms";
    boolean probing =
        react(started, (replica, model) -> probes.failedInTraffic(replica, model, reason));
    log.info(
        "model={} replica={} {} while READY: counted as a failed probe{}",
        started.model(),
        started.replicaId(),
        reason,
        probing ? ", re-probing now" : "");
  }

  /** Tries to modelgate's replicas observed since start: answered or not. */
  public long observed() {
    return observed.sum();
  }

  /** Re-probes started since start. */
  public long reprobes() {
    return reprobes.sum();
  }

  /**
   * Stops reacting: the streams modelgate's own shutdown cuts end without an answer, and that
   * says nothing about the replicas.
   */
  @Override
  public void close() {
    closed = true;
  }

  private boolean actNow(PassiveObservation observation) {
    return !closed && readyInView(observation) && takeTurn(observation);
  }

  private boolean readyInView(PassiveObservation observation) {
    ModelHealth model = views.current().models().get(observation.model());
    ReplicaHealth replica = model == null ? null : model.replicas().get(observation.replicaId());
    return replica != null && replica.ready();
  }

  /** Whether this key may act now: its last action is at least {@code minGap} old. */
  private boolean takeTurn(PassiveObservation observation) {
    ProbeKey key = new ProbeKey(observation.replicaId(), observation.model());
    long now = System.nanoTime();
    if (lastActed.size() >= FORGET_AT) {
      // An entry older than minGap says no more than none: dropped, so replicas that came and
      // went leave nothing behind.
      lastActed.values().removeIf(acted -> now - acted >= minGapNanos);
    }
    Long last = lastActed.get(key);
    if (last == null) {
      return lastActed.putIfAbsent(key, now) == null;
    }
    return now - last >= minGapNanos && lastActed.replace(key, last, now);
  }

  private boolean react(PassiveObservation observation, BiPredicate<String, String> action) {
    boolean started;
    try {
      started = action.test(observation.replicaId(), observation.model());
    } catch (IllegalArgumentException e) {
      return false; // not a configured key: an Envoy with another modelgate's configuration
    }
    if (started) {
      reprobes.increment();
    }
    return started;
  }
}
