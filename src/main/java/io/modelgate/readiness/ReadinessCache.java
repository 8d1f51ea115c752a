package io.modelgate.readiness;

import io.modelgate.view.ReadinessListener;
import io.modelgate.view.ReplicaState;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ProbeConfig;
import io.modelgate.probing.ProbeKey;
import io.modelgate.probing.ProbeOutcome;
import io.modelgate.probing.ProbeResultSink;
import io.modelgate.sources.Replica;
import io.modelgate.sources.ReplicaSet;
import io.modelgate.view.ReplicaHealth;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The readiness of every (replica, model), derived from probe outcomes with hysteresis and a
 * staleness bound, held in a Caffeine cache; it reports every change to a {@link
 * ReadinessListener} and logs one line per state change.
 *
 * <p><b>Hysteresis.</b> What TF Serving says is a fact and takes effect at once: a model that is
 * LOADING, UNLOADING, END, failed or NOT_FOUND leaves READY on the first such answer. Entering
 * READY takes {@code healthyThreshold} consecutive READY answers; until then the previous state
 * stays, with the reason "available, 1 of 2 answers". A failed probe is not a fact about the
 * model: a READY key stays READY (unchanged, nothing published) until {@code unhealthyThreshold}
 * consecutive probes have failed, then turns UNREACHABLE. From any other state a failed probe
 * turns UNREACHABLE at once. A failure seen in traffic ({@link #failedInTraffic}) counts as the
 * first failure of a READY key and never as any later one, so a probe always has the last word.
 *
 * <p><b>Staleness.</b> An entry expires {@code staleness} after its last answer (Reported or
 * ModelNotFound; failures do not extend it); the key then becomes UNKNOWN "no answer for ...",
 * published when the scheduler wakes the cache (within about a second: Caffeine's timer wheel
 * groups expiry times in buckets of 2^30 ns). This bounds how long a READY kept by hysteresis can
 * outlive the last answer; the next failed probe then turns the key UNREACHABLE. UNREACHABLE
 * entries do not expire: they are already not routed, and their reason says more than UNKNOWN.
 *
 * <p><b>Threads.</b> {@link #accept} may be called from any thread; it only enqueues. Every read
 * and write of the entries, the handling of expiry notices and the listener calls run on {@code
 * writer}, which must run tasks one at a time in submission order: it is the single writer, so
 * state changes need no locks and are reported in order. A listener that throws is logged.
 */
public final class ReadinessCache implements ProbeResultSink {
  private static final Logger LOG = LoggerFactory.getLogger(ReadinessCache.class);

  /** Replaced on the writer; read there only. */
  private Map<String, ModelConfig> models;
  private final ProbeConfig config;
  private final ReadinessListener listener;
  private final Executor writer;
  private final Clock clock;
  private final Ticker ticker;
  private final Cache<ProbeKey, Readiness> entries;
  private final Map<ProbeKey, ReplicaState> reportedStates = new HashMap<>(); // writer only
  /** The probed replicas by id; writer only. */
  private Map<String, Replica> replicas = Map.of();

  /**
   * @param writer serialising executor for all state changes (see the class doc)
   * @param ticker time source of the staleness bound
   * @param scheduler wakes the cache when an entry is due to expire, so expiry is published
   *     promptly rather than at the next access
   */
  public ReadinessCache(
      List<ModelConfig> models,
      ProbeConfig config,
      ReadinessListener listener,
      Executor writer,
      Clock clock,
      Ticker ticker,
      Scheduler scheduler) {
    this.models = byName(models);
    this.config = config;
    this.listener = listener;
    this.writer = writer;
    this.clock = clock;
    this.ticker = ticker;
    this.entries =
        Caffeine.newBuilder()
            .ticker(ticker)
            .scheduler(scheduler)
            // Caffeine's own maintenance runs on whichever thread triggers it (it is
            // thread-safe); only the expiry notice is ours, and it hops to the writer.
            .executor(Runnable::run)
            .expireAfter(new StalenessExpiry(config.staleness().toNanos()))
            .<ProbeKey, Readiness>evictionListener(
                (key, value, cause) -> {
                  if (cause == RemovalCause.EXPIRED) {
                    writer.execute(() -> expired(key));
                  }
                })
            .build();
  }

  /**
   * Hands an outcome to the writer; never blocks. An outcome of a model or replica no longer
   * probed (it raced the change) is ignored.
   */
  @Override
  public void accept(String replicaId, String model, ProbeOutcome outcome) {
    ProbeKey key = new ProbeKey(replicaId, model);
    writer.execute(
        () -> {
          ModelConfig modelConfig = models.get(model);
          if (modelConfig != null) {
            apply(key, modelConfig, outcome);
          }
        });
  }

  /**
   * Follows the probed models: the state of a model no longer configured is dropped on every
   * replica; a model whose settings changed is assessed with its new settings from its next
   * outcome. Then the listener hears of the models.
   */
  @Override
  public void modelsChanged(List<ModelConfig> next) {
    writer.execute(
        () -> {
          Map<String, ModelConfig> byName = byName(next);
          for (String gone : models.keySet()) {
            if (!byName.containsKey(gone)) {
              for (String replica : replicas.keySet()) {
                ProbeKey key = new ProbeKey(replica, gone);
                entries.invalidate(key);
                reportedStates.remove(key);
              }
            }
          }
          models = byName;
          try {
            listener.modelsChanged(next);
          } catch (RuntimeException e) {
            LOG.error("readiness listener failed on a model change", e);
          }
        });
  }

  private static Map<String, ModelConfig> byName(List<ModelConfig> models) {
    return models.stream().collect(Collectors.toUnmodifiableMap(ModelConfig::name, m -> m));
  }

  /**
   * Counts Envoy's try that got no answer as the first failed probe of a READY key, so that the
   * probe this triggers (see {@link io.modelgate.probing.Prober#failedInTraffic}) can be the
   * second and take the key out one probe sooner. Ignored for any other key: one that is not
   * READY, has failed already, or whose {@code unhealthyThreshold} is 1 (traffic alone never
   * takes a replica out). Never blocks.
   */
  @Override
  public void failedInTraffic(String replicaId, String model, String reason) {
    ProbeKey key = new ProbeKey(replicaId, model);
    writer.execute(
        () -> {
          Readiness previous = entries.getIfPresent(key);
          if (previous != null
              && previous.state() == ReplicaState.READY
              && previous.consecutiveFailures() == 0
              && config.unhealthyThreshold() > 1) {
            entries.put(key, afterFailure(previous, reason));
          }
        });
  }

  /**
   * Follows the probed replicas: the state of one that left, or moved to another address, is
   * dropped (nothing of it is kept, and an outcome of it that raced the change is ignored), then
   * the listener hears of the set.
   */
  @Override
  public void replicasChanged(ReplicaSet set) {
    writer.execute(
        () -> {
          Map<String, Replica> next = set.byId();
          for (Replica old : replicas.values()) {
            Replica now = next.get(old.id());
            // A replica at a new address is a new replica: what the old one answered is forgotten.
            if (now == null || !now.sameEndpoint(old)) {
              for (String model : models.keySet()) {
                ProbeKey key = new ProbeKey(old.id(), model);
                entries.invalidate(key);
                reportedStates.remove(key);
              }
            }
          }
          replicas = Map.copyOf(next);
          try {
            listener.replicasChanged(set);
          } catch (RuntimeException e) {
            LOG.error("readiness listener failed on a replica set change", e);
          }
        });
  }

  /** Runs pending expiry now; for tests that move the ticker by hand. */
  void cleanUp() {
    entries.cleanUp();
  }

  private void apply(ProbeKey key, ModelConfig model, ProbeOutcome outcome) {
    if (!replicas.containsKey(key.replicaId())) {
      return; // its replica left while the outcome was on its way
    }
    Readiness previous = entries.getIfPresent(key);
    ReplicaState lastReported = reportedStates.getOrDefault(key, ReplicaState.UNKNOWN);
    if (previous == null && lastReported != ReplicaState.UNKNOWN) {
      // A read never sees an expired entry, and Caffeine's notice of it may still be on its way:
      // publish the expiry first, so that it is not skipped (the notice will find a fresh entry).
      reportStale(key);
    }
    Readiness next;
    if (outcome instanceof ProbeOutcome.Reported reported) {
      next = afterAnswer(previous, Assessment.of(model, reported.versions()));
    } else if (outcome instanceof ProbeOutcome.ModelNotFound notFound) {
      String reason = "model not found: " + notFound.message();
      next = afterAnswer(previous, new Assessment(ReplicaState.NOT_READY, new TreeSet<>(), reason));
    } else {
      ProbeOutcome.Failed failure = (ProbeOutcome.Failed) outcome;
      next = afterFailure(previous, failure.kind() + ": " + failure.message());
    }
    entries.put(key, next);
    if (previous == null || !next.sameHealth(previous)) {
      report(key, next.health(key));
    }
  }

  private Readiness afterAnswer(Readiness previous, Assessment answer) {
    ReplicaState before = previous == null ? ReplicaState.UNKNOWN : previous.state();
    int readyAnswers =
        answer.state() == ReplicaState.READY
            ? (previous == null ? 0 : previous.consecutiveReady()) + 1
            : 0;
    ReplicaState state = answer.state();
    String reason = answer.reason();
    if (state == ReplicaState.READY
        && before != ReplicaState.READY
        && readyAnswers < config.healthyThreshold()) {
      state = before;
      reason = "available, " + readyAnswers + " of " + config.healthyThreshold() + " answers";
    }
    return new Readiness(
        state,
        answer.available(),
        reason,
        since(previous, state),
        readyAnswers,
        0,
        OptionalLong.of(ticker.read()));
  }

  private Readiness afterFailure(Readiness previous, String reason) {
    int failures = (previous == null ? 0 : previous.consecutiveFailures()) + 1;
    if (previous != null
        && previous.state() == ReplicaState.READY
        && failures < config.unhealthyThreshold()) {
      return new Readiness(
          previous.state(),
          previous.available(),
          previous.reason(),
          previous.since(),
          0,
          failures,
          previous.lastAnswerTick());
    }
    return new Readiness(
        ReplicaState.UNREACHABLE,
        new TreeSet<>(),
        reason,
        since(previous, ReplicaState.UNREACHABLE),
        0,
        failures,
        previous == null ? OptionalLong.empty() : previous.lastAnswerTick());
  }

  private Instant since(Readiness previous, ReplicaState state) {
    return previous != null && previous.state() == state ? previous.since() : clock.instant();
  }

  /** Runs on the writer, after Caffeine evicted the entry. */
  private void expired(ProbeKey key) {
    // An outcome applied after the expiry but before this notice made a fresh entry, which is
    // newer than the expiry (and published it already).
    if (entries.getIfPresent(key) == null && replicas.containsKey(key.replicaId())) {
      reportStale(key);
    }
  }

  private void reportStale(ProbeKey key) {
    report(
        key,
        new ReplicaHealth(
            key.replicaId(),
            ReplicaState.UNKNOWN,
            new TreeSet<>(),
            "no answer for " + format(config.staleness()),
            clock.instant()));
  }

  private void report(ProbeKey key, ReplicaHealth health) {
    ReplicaState reported = reportedStates.put(key, health.state());
    ReplicaState before = reported == null ? ReplicaState.UNKNOWN : reported;
    if (before != health.state()) {
      // A key found READY by its first probe is what a start is expected to find: thousands of
      // such lines would bury the ones that matter (the view's completion line counts them).
      boolean expected = reported == null && health.state() == ReplicaState.READY;
      String format = "model={} replica={} {} -> {}: {}";
      Object[] args = {key.model(), key.replicaId(), before, health.state(), health.reason()};
      if (expected) {
        LOG.debug(format, args);
      } else {
        LOG.info(format, args);
      }
    }
    try {
      listener.readinessChanged(key.model(), health);
    } catch (RuntimeException e) {
      LOG.error("readiness listener failed for {}", key, e);
    }
  }

  private static String format(Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + "s"
        : duration.toMillis() + "ms";
  }

  /** Expires an entry {@code staleness} after its last answer; see the class doc. */
  private static final class StalenessExpiry implements Expiry<ProbeKey, Readiness> {
    private final long stalenessNanos;

    StalenessExpiry(long stalenessNanos) {
      this.stalenessNanos = stalenessNanos;
    }

    @Override
    public long expireAfterCreate(ProbeKey key, Readiness value, long currentTime) {
      if (value.state() == ReplicaState.UNREACHABLE || value.lastAnswerTick().isEmpty()) {
        return Long.MAX_VALUE;
      }
      return Math.max(0, value.lastAnswerTick().getAsLong() + stalenessNanos - currentTime);
    }

    @Override
    public long expireAfterUpdate(
        ProbeKey key, Readiness value, long currentTime, long currentDuration) {
      return expireAfterCreate(key, value, currentTime);
    }

    @Override
    public long expireAfterRead(
        ProbeKey key, Readiness value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }
}
