package io.modelgate.readiness;

import io.modelgate.view.ReplicaState;
import io.modelgate.probing.ProbeKey;
import io.modelgate.view.ReplicaHealth;
import java.time.Instant;
import java.util.Collections;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the readiness cache holds for one (replica, model): the routed state with its versions,
 * reason and since-when, and the counters hysteresis needs. Immutable.
 *
 * @param lastAnswerTick Caffeine ticker reading of the last answer (Reported or ModelNotFound);
 *     empty if the replica has only failed since the entry was made
 */
record Readiness(
    ReplicaState state,
    SortedSet<Long> available,
    String reason,
    Instant since,
    int consecutiveReady,
    int consecutiveFailures,
    OptionalLong lastAnswerTick) {

  Readiness {
    available = Collections.unmodifiableSortedSet(new TreeSet<>(available));
  }

  ReplicaHealth health(ProbeKey key) {
    return new ReplicaHealth(key.replicaId(), state, available, reason, since);
  }

  /** Whether a consumer would see a difference: state, versions or reason. */
  boolean sameHealth(Readiness other) {
    return state == other.state && available.equals(other.available) && reason.equals(other.reason);
  }
}
